/**
 * `strata compress <run|checkpoint> --quantize uint8|uint16|float16`: the
 * model with its float32 weights stored in fewer bytes, as a checkpoint
 * directory of its own; prints the size and the test metrics before and after.
 */
import { relative } from 'node:path';
import type { Command } from 'commander';
import { describeCheckpoint } from '../../checkpoint/store.js';
import type { CompressResult } from '../../compress/compress.js';
import { printJson, warnOnStderr, withBackend, withJson } from '../options.js';
import type { CommonOptions } from '../options.js';
import { renderTable } from '../table.js';

interface CompressCliOptions extends Omit<CommonOptions, 'set'> {
  quantize: string;
  only?: string;
  out?: string;
  evaluate: boolean;
  split: string;
}

const rel = (p: string) => relative(process.cwd(), p) || '.';
const bytes = (n: number) => n.toLocaleString('en-US');
const num = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(4));
const signed = (v: number) => `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(4)}`;

export function renderCompression(r: CompressResult): string {
  const n = r.weights.quantized.length;
  const all = n + r.weights.kept.length;
  const out = [`${describeCheckpoint(rel(r.checkpoint))} → ${rel(r.out)}: ${n} of ${all} weights stored as ${r.quantize}`, ''];
  const { before, after } = r.size;
  const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
  out.push(
    renderTable(
      ['Size (bytes)', 'Before', 'After', 'Smaller by'],
      [
        ['raw', bytes(before.raw), bytes(after.raw), ratio(before.raw, after.raw)],
        ['gzipped', bytes(before.gzip), bytes(after.gzip), ratio(before.gzip, after.gzip)],
      ],
      ['left', 'right', 'right', 'right'],
    ),
    '',
  );
  const m = r.metrics;
  if (m) {
    out.push(`On ${m.dataset} (${m.split}, ${m.examples.toLocaleString('en-US')} examples)`);
    out.push(renderTable(['Metric', 'Before', 'After', 'Change'], Object.keys(m.before).map((k) => [k, num(m.before[k]!), num(m.after[k] ?? Number.NaN), signed((m.after[k] ?? Number.NaN) - m.before[k]!)]), ['left', 'right', 'right', 'right']), '');
  }
  return out.join('\n');
}

export function compressCommand(program: Command): void {
  const cmd = program
    .command('compress')
    .description('a smaller copy of a model: its float32 weights quantized to uint8, uint16 or float16, in TensorFlow.js\'s format; the size and test metrics before and after')
    .argument('<run|checkpoint>', 'a run directory (its best checkpoint, else its latest) or a checkpoint directory')
    .requiredOption('--quantize <dtype>', 'how to store the weights: uint8 (4× smaller), uint16 (2×) or float16 (2×)')
    .option('--only <patterns>', "only the weights whose names match: shell-style patterns such as 'dense_1/*' or '*/kernel' (* matches '/' too), separated by commas")
    .option('--out <dir>', 'the folder to write (default: RUN/compressed-DTYPE, or CHECKPOINT-DTYPE beside a checkpoint given); it must not exist or be empty')
    .option('--split <name>', 'the split both models are evaluated on: test, validation or train', 'test')
    .option('--no-evaluate', 'skip the evaluation before and after (the sizes only)');
  withBackend(withJson(cmd)).action(async (target: string, opts: CompressCliOptions) => {
    const { compress, quantizeDtype } = await import('../../compress/compress.js');
    const quantize = quantizeDtype(opts.quantize);
    const { splitName } = await import('../../eval/evaluate.js');
    const split = splitName(opts.split);
    const { openCheckpoint } = await import('../../checkpoint/pick.js');
    const checkpoint = openCheckpoint(target, 'compress', 'best', warnOnStderr);
    const { loadEngine } = await import('../../backend/select.js');
    const engine = await loadEngine(opts.backend);
    const r = await compress(engine, target, checkpoint, {
      quantize,
      evaluate: opts.evaluate,
      split,
      ...(opts.only !== undefined ? { only: opts.only } : {}),
      ...(opts.out !== undefined ? { out: opts.out } : {}),
    });
    if (opts.json) printJson(r);
    else process.stdout.write(renderCompression(r));
  });
}
