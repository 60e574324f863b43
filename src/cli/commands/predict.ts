/** `strata predict <run|checkpoint> --input FILE`: the model's answer for new inputs. */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { osFailure } from '../../errors.js';
import { printJson, warnOnStderr, withBackend, withJson } from '../options.js';
import type { CommonOptions } from '../options.js';
import type { Prediction } from '../../eval/predict.js';
import { renderTable } from '../table.js';

interface PredictOptions extends Omit<CommonOptions, 'set'> {
  input: string;
  output?: string;
}

export function predictCommand(program: Command): void {
  const cmd = program
    .command('predict')
    .description("the model's predictions for new inputs: IDX images, CSV rows or lines of text")
    .argument('<run|checkpoint>', 'a run directory (its best checkpoint) or a checkpoint directory')
    .requiredOption('--input <file>', 'the inputs: an IDX file (images), a CSV file (rows with the training columns) or a text file (one example per line)')
    .option('--output <file>', 'also write the predictions to this file as JSON');
  withBackend(withJson(cmd)).action(async (target: string, opts: PredictOptions) => {
    const { openCheckpoint } = await import('../../checkpoint/pick.js');
    const checkpoint = openCheckpoint(target, 'predict', 'best', warnOnStderr);
    const { readPredictInput } = await import('../../eval/predict-input.js');
    const inputs = readPredictInput(opts.input, checkpoint.data);
    const { loadEngine } = await import('../../backend/select.js');
    const engine = await loadEngine(opts.backend);
    const { modelFromFiles } = await import('../../checkpoint/model-files.js');
    const model = await modelFromFiles(engine, checkpoint.model);
    const { predict } = await import('../../eval/predict.js');
    let predictions;
    try {
      predictions = predict(engine, model, inputs, checkpoint.data);
    } finally {
      model.dispose();
    }
    if (opts.output) {
      try {
        writeFileSync(opts.output, `${JSON.stringify({ checkpoint: checkpoint.dir, predictions }, null, 2)}\n`);
      } catch (e) {
        throw osFailure(e, `cannot write ${opts.output}`, { ENOENT: 'the folder it goes in does not exist' });
      }
    }
    if (opts.json) {
      printJson({ checkpoint: checkpoint.dir, predictions });
      return;
    }
    const short = (s: string) => (s.length > 48 ? `${s.slice(0, 45)}...` : s);
    const input = (p: Prediction) => short(p.input.replace(/\s+/g, ' '));
    // A class comes with its probability; values (regression, forecasts) have none, so no column for it.
    if (predictions.some((p) => p.probability !== undefined)) {
      const rows = predictions.map((p) => [input(p), p.class ?? '', p.probability !== undefined ? p.probability.toFixed(4) : '']);
      process.stdout.write(`${renderTable(['Input', 'Prediction', 'Probability'], rows, ['left', 'left', 'right'])}\n`);
    } else {
      const rows = predictions.map((p) => [input(p), (p.values ?? []).map((v) => v.toFixed(3)).join(', ')]);
      process.stdout.write(`${renderTable(['Input', 'Prediction'], rows, ['left', 'right'])}\n`);
    }
  });
}
