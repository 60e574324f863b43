/** `strata predict <run|checkpoint> --input FILE`: the model's answer for new inputs. */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { printJson, withBackend, withJson } from '../options.js';
import type { CommonOptions } from '../options.js';
import { renderTable } from '../table.js';

interface PredictOptions extends Omit<CommonOptions, 'set'> {
  input: string;
  output?: string;
}

export interface Prediction {
  input: string;
  /** Classification and language models: the most likely class or token and its probability. */
  class?: string;
  probability?: number;
  /** Regression and forecasting: the values, in the data's units where the scaling is known. */
  values?: number[];
}

export function predictCommand(program: Command): void {
  const cmd = program
    .command('predict')
    .description("the model's predictions for new inputs: IDX images, CSV rows or lines of text")
    .argument('<run|checkpoint>', 'a run directory (its best checkpoint) or a checkpoint directory')
    .requiredOption('--input <file>', 'the inputs: an IDX file (images), a CSV file (rows with the training columns) or a text file (one example per line)')
    .option('--output <file>', 'also write the predictions to this file as JSON');
  withBackend(withJson(cmd)).action(async (target: string, opts: PredictOptions) => {
    const { loadRunCheckpoint, skippedWarnings } = await import('../../checkpoint/pick.js');
    const { checkpoint, skipped } = loadRunCheckpoint(target, 'predict', 'best');
    for (const line of skippedWarnings(skipped, checkpoint.dir)) process.stderr.write(`${line}\n`);
    const { readPredictInput } = await import('../../eval/predict-input.js');
    const info = checkpoint.data;
    const input = readPredictInput(opts.input, info);
    const { loadEngine } = await import('../../backend/select.js');
    const engine = await loadEngine(opts.backend);
    const { modelFromFiles } = await import('../../checkpoint/model-files.js');
    const model = await modelFromFiles(engine, checkpoint.model);
    const { tf } = engine;
    const out = tf.tidy(() => {
      const x = tf.tensor(input.x, [input.count, ...info.inputShape], info.inputDtype as 'float32' | 'int32');
      let y = model.predict(x) as import('@tensorflow/tfjs-core').Tensor;
      if (y.rank === 3) y = tf.squeeze(tf.slice(y, [0, y.shape[1]! - 1, 0], [-1, 1, -1]), [1]);
      return { values: y.dataSync() as Float32Array, width: y.shape[y.shape.length - 1] ?? 1 };
    });
    model.dispose();
    const names = info.classes ?? info.vocabulary;
    const predictions: Prediction[] = input.labels.map((label, i) => {
      const row = Array.from(out.values.subarray(i * out.width, (i + 1) * out.width));
      if (names && (info.task === 'classification' || info.task === 'language_model')) {
        if (row.length === 1) return { input: label, class: names[row[0]! >= 0.5 ? 1 : 0]!, probability: row[0]! >= 0.5 ? row[0]! : 1 - row[0]! };
        const best = row.indexOf(Math.max(...row));
        return { input: label, class: names[best] ?? String(best), probability: row[best]! };
      }
      const t = info.targetScaling;
      return { input: label, values: t ? row.map((v) => v * t.scale + t.offset) : row };
    });
    if (opts.output) writeFileSync(opts.output, `${JSON.stringify({ checkpoint: checkpoint.dir, predictions }, null, 2)}\n`);
    if (opts.json) {
      printJson({ checkpoint: checkpoint.dir, predictions });
      return;
    }
    const short = (s: string) => (s.length > 48 ? `${s.slice(0, 45)}...` : s);
    const rows = predictions.map((p) => [short(p.input.replace(/\s+/g, ' ')), p.class ?? p.values!.map((v) => v.toFixed(3)).join(', '), p.probability !== undefined ? p.probability.toFixed(4) : '']);
    process.stdout.write(`${renderTable(['Input', 'Prediction', 'Probability'], rows, ['left', 'left', 'right'])}\n`);
  });
}
