/**
 * `strata report` through the real executable, on a short run of the bundled
 * spam-transformer config (shrunk with --set so it trains in seconds): the
 * report draws the attention maps of both encoder blocks, labelled with the
 * words of the first test e-mail.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { strata } from '../helpers/cli.js';
import { figureOf, tickLabels } from '../helpers/report-html.js';
import { tempDir } from '../helpers/tmp.js';

test('report of a short spam-transformer run: 2 blocks × 4 heads of attention maps, axes labelled with words', async () => {
  const out = join(tempDir('strata-cli-report-'), 'run');
  const small = ['data.sequence_length=32', 'data.max_tokens=500', 'model.layers[0].shape=[32]', 'model.layers[1].input_dim=500', 'model.layers[2].max_length=32'];
  const r = await strata(['train', 'configs/spam-transformer.yaml', '--out', out, '--backend', 'cpu', '--set', 'train.epochs=1', '--set', 'train.batch_size=16', '--set', 'data.limit=48', ...small.flatMap((s) => ['--set', s])]);
  assert.equal(r.code, 0, r.stderr);
  const file = join(out, 'attn.html');
  const rep = await strata(['report', out, '-o', file, '--json', '--backend', 'cpu']);
  assert.equal(rep.code, 0, rep.stderr);
  assert.equal((JSON.parse(rep.stdout) as { report: string }).report, file);
  assert.ok(existsSync(file));
  const html = readFileSync(file, 'utf8');
  const maps = [...html.matchAll(/data-chart="(attention-[^"]+)" data-series="1"/g)].map((m) => m[1]);
  assert.deepEqual(maps, [1, 2].flatMap((b) => [1, 2, 3, 4].map((h) => `attention-transformer_encoder_${b}-attention-${h}`)));
  assert.match(html, /transformer_encoder_2, head 4 of 4/);
  // The first test e-mail's words label the axes (its headers start with 'from').
  const labels = tickLabels(figureOf(html, 'attention-transformer_encoder_1-attention-1'))[0] ?? [];
  assert.ok(labels.length > 2 && labels.length <= 64, `${labels.length} labels`);
  assert.ok(labels.some((l) => /^[a-z]{3,}$/.test(l)), labels.join(' '));
});
