/**
 * The specs shown in the README and docs/ are real: each one validates,
 * builds, and has the layers, output shapes and parameter counts worked out
 * by hand below (the counts Keras gives for the same layers); and the summary
 * docs/cli.md shows is the one `strata summary` prints.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadEngine } from '../src/backend/select.js';
import { summarize } from '../src/cli/commands/summary.js';
import type { LayerRow } from '../src/cli/commands/summary.js';
import { buildModel } from '../src/model/build.js';
import { parseSpec } from '../src/spec/read.js';
import { ROOT } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';

const pages = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** One summary row: layer name, output shape (null: the batch), parameters. */
type Row = [name: string, shape: (number | null)[], params: number];

interface Expected {
  /** Every row `strata summary` prints, in order; blocks show the layers they expand into. */
  rows: Row[];
  /** The model's output shapes. */
  outputs: (number | null)[][];
  /** Parameters not trained: batch norm's moving mean and variance, 2 per channel (default 0). */
  nonTrainable?: number;
}

/**
 * What each doc spec builds, by its name (a spec without `name:` is named
 * after its file, here `<page>#<n>`, n counting that page's specs from 1).
 * Parameter counts are Keras's formulas, worked out by hand: dense
 * in·units + units, conv k·k·in·filters + filters, embedding vocabulary·size,
 * LSTM 4·(units·(in + units) + units), layer norm 2·features.
 */
const EXPECTED: Record<string, Expected> = {
  // docs/search.md: the MLP a search varies (its search: section does not change the model).
  'mnist-mlp-search': {
    rows: [
      ['input_1', [null, 28, 28, 1], 0],
      ['flatten_1', [null, 784], 0], // 28·28·1
      ['dense_1', [null, 256], 784 * 256 + 256], // 200,960
      ['dropout_1', [null, 256], 0],
      ['dense_2', [null, 10], 256 * 10 + 10], // 2,570
    ],
    outputs: [[null, 10]],
  },
  // docs/compression.md: the MLP pruned during training.
  'mnist-mlp-pruned': {
    rows: [
      ['input_1', [null, 28, 28, 1], 0],
      ['flatten_1', [null, 784], 0], // 28·28·1
      ['dense_1', [null, 256], 784 * 256 + 256], // 200,960
      ['dense_2', [null, 10], 256 * 10 + 10], // 2,570
    ],
    outputs: [[null, 10]],
  },
  // docs/compression.md: the small student distilled from a teacher run.
  'mnist-mlp-student': {
    rows: [
      ['input_1', [null, 28, 28, 1], 0],
      ['flatten_1', [null, 784], 0],
      ['dense_1', [null, 32], 784 * 32 + 32], // 25,120
      ['dense_2', [null, 10], 32 * 10 + 10], // 330
    ],
    outputs: [[null, 10]],
  },
  // README.md: Keras's "simple MNIST convnet" with batch normalization (the same as configs/mnist-cnn.yaml).
  'mnist-cnn': {
    rows: [
      ['input_1', [null, 28, 28, 1], 0],
      ['conv2d_1', [null, 26, 26, 32], 3 * 3 * 1 * 32], // 288, no bias; valid padding: 28 - 3 + 1 = 26
      ['batch_norm_1', [null, 26, 26, 32], 4 * 32], // 128: gamma, beta, moving mean and variance
      ['relu_1', [null, 26, 26, 32], 0],
      ['max_pool2d_1', [null, 13, 13, 32], 0],
      ['conv2d_2', [null, 11, 11, 64], 3 * 3 * 32 * 64], // 18,432
      ['batch_norm_2', [null, 11, 11, 64], 4 * 64], // 256
      ['relu_2', [null, 11, 11, 64], 0],
      ['max_pool2d_2', [null, 5, 5, 64], 0], // floor(11 / 2)
      ['flatten_1', [null, 1600], 0], // 5·5·64
      ['dropout_1', [null, 1600], 0],
      ['dense_1', [null, 10], 1600 * 10 + 10], // 16,010
    ],
    outputs: [[null, 10]], // total 288 + 128 + 18,432 + 256 + 16,010 = 35,114
    nonTrainable: 2 * 32 + 2 * 64, // 192
  },
  // docs/spec.md #1: softmax regression, no name.
  'spec.md#1': {
    rows: [
      ['input_1', [null, 784], 0],
      ['dense_1', [null, 10], 784 * 10 + 10], // 7,850
    ],
    outputs: [[null, 10]],
  },
  // docs/spec.md #2: a character model over 64 steps.
  'moby-dick-carried': {
    rows: [
      ['input_1', [null, 64], 0],
      ['embedding_1', [null, 64, 16], 82 * 16], // 1,312
      ['lstm_1', [null, 64, 128], 4 * (128 * (16 + 128) + 128)], // 74,240
      ['dropout_1', [null, 64, 128], 0],
      ['dense_1', [null, 64, 82], 128 * 82 + 82], // 10,578
    ],
    outputs: [[null, 64, 82]], // total 86,130
  },
  // docs/spec.md #3: a skip connection by names, a repeated layer.
  'residual-mlp': {
    rows: [
      ['input_1', [null, 32], 0],
      ['stem', [null, 64], 32 * 64 + 64], // 2,112
      ['hidden_1', [null, 64], 64 * 64 + 64], // 4,160
      ['hidden_2', [null, 64], 64 * 64 + 64], // 4,160
      ['add_1', [null, 64], 0],
      ['layer_norm_1', [null, 64], 2 * 64], // 128: gamma and beta
      ['dense_1', [null, 10], 64 * 10 + 10], // 650
    ],
    outputs: [[null, 10]], // total 11,210
  },
  // docs/spec.md #4: residual and dense blocks, expanded into their layers.
  'small-resnet': {
    rows: [
      ['input_1', [null, 16, 16, 3], 0],
      ['residual_1_1_conv2d', [null, 16, 16, 8], 3 * 3 * 3 * 8 + 8], // 224
      ['residual_1_2_conv2d', [null, 16, 16, 8], 3 * 3 * 8 * 8 + 8], // 584
      ['residual_1_projection', [null, 16, 16, 8], 1 * 1 * 3 * 8 + 8], // 32: a 1×1 conv, since 3 channels ≠ 8
      ['residual_1_add', [null, 16, 16, 8], 0],
      ['residual_1', [null, 16, 16, 8], 0], // the block's relu
      ['residual_2_1_conv2d', [null, 16, 16, 8], 3 * 3 * 8 * 8 + 8], // 584
      ['residual_2_2_conv2d', [null, 16, 16, 8], 3 * 3 * 8 * 8 + 8], // 584; no projection: 8 channels in and out
      ['residual_2_add', [null, 16, 16, 8], 0],
      ['residual_2', [null, 16, 16, 8], 0],
      ['dense_block_1_1_conv2d', [null, 16, 16, 4], 3 * 3 * 8 * 4 + 4], // 292
      ['dense_block_1_concat_1', [null, 16, 16, 12], 0], // 8 + 4 channels
      ['dense_block_1_2_conv2d', [null, 16, 16, 4], 3 * 3 * 12 * 4 + 4], // 436
      ['dense_block_1', [null, 16, 16, 16], 0], // 12 + 4 channels
      ['global_avg_pool2d_1', [null, 16], 0],
      ['dense_1', [null, 10], 16 * 10 + 10], // 170
    ],
    outputs: [[null, 10]], // total 2,906
  },
  // docs/spec.md #5: two inputs, a transformer encoder (repeated) and decoder. key_dim
  // defaults to features / heads = 8. Multi-head attention over 16 features: query,
  // key and value kernels 16·2·8 + biases 2·8 = 272 each, output 2·8·16 + 16 = 272,
  // so 4·272 = 1,088. Feed-forward 16·32 + 32 + 32·16 + 16 = 1,072.
  'tiny-seq2seq': {
    rows: [
      ['source', [null, 12], 0],
      ['embedding_1', [null, 12, 16], 50 * 16], // 800
      ['target', [null, 10], 0],
      ['positional_encoding_1', [null, 12, 16], 0], // fixed sinusoids
      ['embedding_2', [null, 10, 16], 50 * 16], // 800
      ['encoder_1', [null, 12, 16], 1088 + 2 * (2 * 16) + 1072], // 2,224: attention, 2 layer norms, feed-forward
      ['target_positions', [null, 10, 16], 10 * 16], // 160: max_length · features
      ['encoder_2', [null, 12, 16], 1088 + 2 * (2 * 16) + 1072], // 2,224
      ['transformer_decoder_1', [null, 10, 16], 2 * 1088 + 3 * (2 * 16) + 1072], // 3,344: self- and cross-attention, 3 layer norms
      ['dense_1', [null, 10, 50], 16 * 50 + 50], // 850
    ],
    outputs: [[null, 10, 50]], // total 10,402
  },
  // docs/spec.md #6: an image and a feature vector.
  'two-inputs': {
    rows: [
      ['image', [null, 28, 28, 1], 0],
      ['flatten_1', [null, 784], 0],
      ['image_features', [null, 32], 784 * 32 + 32], // 25,120
      ['meta', [null, 4], 0],
      ['concatenate_1', [null, 36], 0], // 32 + 4
      ['dense_1', [null, 10], 36 * 10 + 10], // 370
    ],
    outputs: [[null, 10]], // total 25,490
  },
  // docs/spec.md #7: initializers and a regularizer (which add no parameters).
  regularized: {
    rows: [
      ['input_1', [null, 16], 0],
      ['dense_1', [null, 32], 16 * 32 + 32], // 544
      ['dense_2', [null, 1], 32 * 1 + 1], // 33
    ],
    outputs: [[null, 1]], // total 577
  },
};

/** The specs (YAML blocks with `version: 1`) a page shows. */
function docSpecs(page: string): string[] {
  const text = readFileSync(join(ROOT, page), 'utf8');
  return [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((block) => /^version: 1$/m.test(block));
}

test('every spec in EXPECTED is still shown in the docs', () => {
  const names = pages.flatMap((page) => docSpecs(page).map((block, i) => parseSpec(`${page.replace(/^.*\//, '')}#${i + 1}.yaml`, block).name));
  assert.deepEqual(Object.keys(EXPECTED).filter((name) => !names.includes(name)), [], 'specs in EXPECTED that no page shows any more');
});

test('the summary docs/cli.md shows is what `strata summary --json` prints', async () => {
  const doc = readFileSync(join(ROOT, 'docs/cli.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## `strata summary'));
  const file = /npx strata summary (\S+) --json/.exec(section)?.[1];
  assert.ok(file, 'docs/cli.md shows a `strata summary <file> --json` command');
  const json = /```json\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(json, 'docs/cli.md shows the --json output');
  // The page elides the layers after the first with `...`.
  const shown = JSON.parse(json.replace(/,\s*\.\.\.\]/, ']')) as { name: string; layers: LayerRow[]; total_params: number; trainable_params: number; non_trainable_params: number };
  const s = await summarize(join(ROOT, file), { set: [], backend: 'cpu' });
  assert.equal(s.name, shown.name);
  assert.deepEqual(s.layers.slice(0, shown.layers.length), shown.layers);
  assert.equal(s.total_params, shown.total_params);
  assert.equal(s.trainable_params, shown.trainable_params);
  assert.equal(s.non_trainable_params, shown.non_trainable_params);
  // And the number is Keras's for that model (as in EXPECTED['mnist-cnn'], the README's copy of it):
  // conv2d 3·3·1·32, batch norm 4·32, conv2d 3·3·32·64, batch norm 4·64, dense (5·5·64)·10 + 10;
  // the batch norms' moving means and variances (2·32 + 2·64) are not trained.
  assert.equal(shown.total_params, 3 * 3 * 1 * 32 + 4 * 32 + 3 * 3 * 32 * 64 + 4 * 64 + (5 * 5 * 64 * 10 + 10));
  assert.equal(shown.total_params, 35114);
  assert.equal(shown.non_trainable_params, 2 * 32 + 2 * 64);
});

for (const page of pages) {
  const specs = docSpecs(page);
  if (specs.length === 0) continue;
  test(`the ${specs.length} spec(s) in ${page} validate, build and have the layers and parameters worked out by hand`, async () => {
    const engine = await loadEngine('cpu');
    const dir = tempDir('strata-docs-');
    for (const [i, block] of specs.entries()) {
      // Written to a file so that the summary is the one `strata summary` prints for it.
      const file = join(dir, `${page.replace(/^.*\//, '')}#${i + 1}.yaml`);
      writeFileSync(file, block);
      const spec = parseSpec(file, block);
      const where = `${page} spec #${i + 1} (${spec.name})`;
      const expected = EXPECTED[spec.name];
      assert.ok(expected, `${where}: no hand-worked layers and parameter counts for it in EXPECTED; add them`);

      const { model } = buildModel(spec, engine);
      try {
        assert.deepEqual(model.outputs.map((o) => o.shape), expected.outputs, `${where}: output shapes`);
      } finally {
        model.dispose();
      }

      const s = await summarize(file, { set: [], backend: 'cpu' });
      assert.equal(s.name, spec.name);
      const rows = s.layers.map((l: LayerRow): Row => [l.name, l.output_shape as (number | null)[], l.params]);
      assert.equal(rows.length, expected.rows.length, `${where}: summary rows (${rows.map((r) => r[0]).join(', ')})`);
      assert.deepEqual(rows, expected.rows, `${where}: summary rows`);
      const total = expected.rows.reduce((n, r) => n + r[2], 0);
      assert.equal(s.total_params, total, `${where}: total params`);
      // Batch norm is the one layer with non-trainable parameters (its moving statistics).
      const frozen = expected.nonTrainable ?? 0;
      assert.equal(s.trainable_params, total - frozen, `${where}: trainable params`);
      assert.equal(s.non_trainable_params, frozen, `${where}: non-trainable params`);
    }
  });
}

test('every key of the data section is documented in docs/spec.md (the train section is docs/training.md, generated)', async () => {
  const { dataSchema } = await import('../src/spec/sections.js');
  const doc = readFileSync(join(ROOT, 'docs/spec.md'), 'utf8');
  const missing = Object.keys((dataSchema.properties ?? {}) as object).filter((k) => !doc.includes(`\`${k}\``));
  assert.deepEqual(missing, []);
});
