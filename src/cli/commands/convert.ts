/**
 * `strata convert <input> --to yaml|json|keras [-o FILE] [--lossy]`: between
 * strata specs (YAML, JSON) and Keras / TensorFlow.js model JSON, both ways.
 * The input's format is read from its content. What cannot be carried over
 * is listed, and the command refuses (exit 2) unless `--lossy` is given.
 */
import { writeFileSync } from 'node:fs';
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

const TARGETS = ['yaml', 'json', 'keras'];

export const lossyLine = (l: LossyItem) => `layer '${l.layer}': ${l.field}: ${l.why}`;

/** Run the conversion; refuse a lossy one unless allowed. */
export async function runConvert(input: string, opts: ConvertOptions): Promise<Conversion> {
  if (!TARGETS.includes(opts.to)) {
    throw new UsageError({ arg: `--to ${opts.to}`, code: 'bad-target', message: `unknown output format '${opts.to}'; choose one of ${TARGETS.join(', ')}` });
  }
  const { convert } = await import('../../convert/convert.js');
  const c = await convert(input, opts.to as Conversion['to'], async () => (await import('../../backend/select.js')).loadEngine(opts.backend));
  if (c.lossy.length > 0 && !opts.lossy) {
    throw new UsageError(
      c.lossy.map((l) => ({ file: input, code: 'lossy', message: `${lossyLine(l)}; pass --lossy to convert without it` })),
    );
  }
  return c;
}

export function convertCommand(program: Command): void {
  const cmd = program
    .command('convert')
    .description('convert between strata specs (YAML, JSON) and Keras / TensorFlow.js model JSON; the input format is detected')
    .argument('<input>', 'a spec, a Keras model JSON, a TensorFlow.js model.json, or a checkpoint directory')
    .requiredOption('--to <format>', `the output format: ${TARGETS.join(', ')}`)
    .option('-o, --output <file>', 'write here instead of stdout')
    .option('--lossy', 'convert even when some settings cannot be carried over (they are listed on stderr)');
  withBackend(withJson(cmd)).action(async (input: string, opts: ConvertOptions) => {
    let c: Conversion;
    try {
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
        throw new RuntimeFailure({ file: opts.output, code: 'write-failed', message: `cannot write the output: ${osReason(e, { ENOENT: 'the folder it goes in does not exist' })}${isOsError(e) ? ` (${e.code})` : ''}` });
      }
    }
    if (opts.json) printJson({ ok: true, from: c.from, to: c.to, output: opts.output ?? null, lossy: c.lossy, notes: c.notes, ...(opts.output === undefined ? { text: c.text } : {}) });
    else if (opts.output === undefined) process.stdout.write(c.text);
  });
}
