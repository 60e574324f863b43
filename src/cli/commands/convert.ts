/**
 * `strata convert <input> --to yaml|json|keras|onnx [-o FILE] [--lossy]`: between
 * strata specs (YAML, JSON) and Keras / TensorFlow.js model JSON, both ways.
 * The input's format is read from its content. What cannot be carried over
 * is listed, and the command refuses (exit 2) unless `--lossy` is given.
 * `--to onnx -o FILE` writes a trained run or checkpoint as an ONNX model.
 */
import { writeFileSync } from 'node:fs';
import { replaceFile } from '../../checkpoint/durable.js';
import type { Command } from 'commander';
import { isOsError, osReason, RuntimeFailure, StrataError, UsageError } from '../../errors.js';
import type { Conversion, LossyItem } from '../../convert/convert.js';
import { printJson, withBackend, withJson } from '../options.js';

interface ConvertOptions {
  to: string;
  output?: string;
  lossy?: boolean;
  json?: boolean;
  backend?: string;
}

const TARGETS = ['yaml', 'json', 'keras', 'onnx'];

export const lossyLine = (l: LossyItem) => `layer '${l.layer}': ${l.field}: ${l.why}`;

/** Run the conversion; refuse a lossy one unless allowed. */
export async function runConvert(input: string, opts: ConvertOptions): Promise<Conversion> {
  if (!TARGETS.includes(opts.to)) {
    throw new UsageError({ arg: `--to ${opts.to}`, code: 'bad-target', message: `unknown output format '${opts.to}'; choose one of ${TARGETS.join(', ')}` });
  }
  const { convert } = await import('../../convert/convert.js');
  const c = await convert(input, opts.to as Conversion['to'], engineLoader(opts));
  if (c.lossy.length > 0 && !opts.lossy) {
    throw new UsageError(
      c.lossy.map((l) => ({ file: input, code: 'lossy', message: `${lossyLine(l)}; pass --lossy to convert without it` })),
    );
  }
  return c;
}

const engineLoader = (opts: ConvertOptions) => async () => (await import('../../backend/select.js')).loadEngine(opts.backend);

function writeFailure(file: string, e: unknown): RuntimeFailure {
  return new RuntimeFailure({ file, code: 'write-failed', message: `cannot write the output: ${osReason(e, { ENOENT: 'the folder it goes in does not exist' })}${isOsError(e) ? ` (${e.code})` : ''}` });
}

/** `--to onnx`: a binary model, written atomically to `-o`. */
async function runOnnx(input: string, opts: ConvertOptions): Promise<void> {
  if (opts.output === undefined) throw new UsageError({ arg: '--to onnx', code: 'no-output', message: 'an ONNX model is binary; give the file to write with -o, such as -o model.onnx' });
  const { toOnnx } = await import('../../convert/to-onnx.js');
  const bytes = await toOnnx(input, engineLoader(opts));
  try {
    replaceFile(opts.output, bytes);
  } catch (e) {
    throw writeFailure(opts.output, e);
  }
  if (opts.json) printJson({ ok: true, from: input, to: 'onnx', output: opts.output, bytes: bytes.length });
  else process.stderr.write(`wrote ${opts.output} (${bytes.length} bytes)\n`);
}

export function convertCommand(program: Command): void {
  const cmd = program
    .command('convert')
    .description('convert between strata specs (YAML, JSON) and Keras / TensorFlow.js model JSON, or a trained run to ONNX; the input format is detected')
    .argument('<input>', 'a spec, a Keras model JSON, a TensorFlow.js model.json, a checkpoint directory, or (for onnx) a run directory')
    .requiredOption('--to <format>', `the output format: ${TARGETS.join(', ')}`)
    .option('-o, --output <file>', 'write here instead of stdout (required for onnx)')
    .option('--lossy', 'convert even when some settings cannot be carried over (they are listed on stderr)');
  withBackend(withJson(cmd)).action(async (input: string, opts: ConvertOptions) => {
    let c: Conversion;
    try {
      if (opts.to === 'onnx') return await runOnnx(input, opts);
      c = await runConvert(input, opts);
    } catch (e) {
      if (opts.json && e instanceof StrataError) printJson({ ok: false, errors: e.diagnostics });
      throw e;
    }
    for (const l of c.lossy) process.stderr.write(`${input}: warning: ${lossyLine(l)}\n`);
    for (const n of c.notes) process.stderr.write(`${input}: note: ${n}\n`);
    if (opts.output !== undefined) {
      try {
        writeFileSync(opts.output, c.text);
      } catch (e) {
        throw writeFailure(opts.output, e);
      }
    }
    if (opts.json) printJson({ ok: true, from: c.from, to: c.to, output: opts.output ?? null, lossy: c.lossy, notes: c.notes, ...(opts.output === undefined ? { text: c.text } : {}) });
    else if (opts.output === undefined) process.stdout.write(c.text);
  });
}
