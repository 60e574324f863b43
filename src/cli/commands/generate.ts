/** `strata generate <run|checkpoint> --prompt TEXT`: sample text from a language model. */
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { printJson, warnOnStderr, withBackend, withJson } from '../options.js';
import type { CommonOptions } from '../options.js';

interface GenerateCliOptions extends Omit<CommonOptions, 'set'> {
  prompt: string;
  length: string;
  temperature: string;
  seed: string;
}

function number(value: string, option: string, integer: boolean, min: number): number {
  const n = Number(value);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min) {
    throw new UsageError({ arg: `${option} ${value}`, code: 'bad-number', message: `${option} must be ${integer ? 'an integer' : 'a number'} ≥ ${min}` });
  }
  return n;
}

export function generateCommand(program: Command): void {
  const cmd = program
    .command('generate')
    .description('sample text from a language model checkpoint')
    .argument('<run|checkpoint>', 'a run directory (its best checkpoint) or a checkpoint directory')
    .requiredOption('--prompt <text>', 'the text to continue')
    .option('--length <n>', 'tokens (characters, for a character model) to generate', '200')
    .option('--temperature <t>', 'sampling temperature: 0 picks the most likely token, 1 samples the model as is, higher is wilder', '0.8')
    .option('--seed <n>', 'the seed of the sampling', '0');
  withBackend(withJson(cmd)).action(async (target: string, opts: GenerateCliOptions) => {
    const length = number(opts.length, '--length', true, 1);
    const temperature = number(opts.temperature, '--temperature', false, 0);
    const seed = number(opts.seed, '--seed', true, 0);
    const { openCheckpoint } = await import('../../checkpoint/pick.js');
    const checkpoint = openCheckpoint(target, 'generate', 'best', warnOnStderr);
    const vocab = checkpoint.data.vocabulary;
    if (!vocab || checkpoint.data.task !== 'language_model') {
      throw new UsageError({ arg: target, code: 'not-a-language-model', message: `this checkpoint was trained on ${checkpoint.data.name} (${checkpoint.data.task}), not a text dataset with a vocabulary; generate works with language models such as configs/moby-dick-lstm.yaml` });
    }
    const { loadEngine } = await import('../../backend/select.js');
    const engine = await loadEngine(opts.backend);
    const { modelFromFiles } = await import('../../checkpoint/model-files.js');
    const model = await modelFromFiles(engine, checkpoint.model);
    const { generateText } = await import('../../eval/generate.js');
    const text = generateText(engine, model, vocab, { prompt: opts.prompt, length, temperature, seed });
    model.dispose();
    if (opts.json) printJson({ prompt: opts.prompt, text, temperature, seed, checkpoint: checkpoint.dir });
    else process.stdout.write(`${opts.prompt}${text}\n`);
  });
}
