/**
 * `strata compress`: a checkpoint's model made smaller, written as a checkpoint
 * directory of its own that `strata evaluate`, `predict` and `report` read and
 * any TensorFlow.js program loads with `tf.loadLayersModel` (its model.json and
 * weights.bin are a plain layers model). Measured before and after: the size
 * of model.json + weights.bin, raw and gzipped, and the test metrics by the
 * same evaluation as `strata evaluate`.
 *
 * Quantization is the one method so far (quantize.ts); pruning, distillation
 * and export to other formats will sit beside it.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Engine } from '../backend/select.js';
import { readCheckpointDir } from '../checkpoint/load.js';
import type { LoadedCheckpoint } from '../checkpoint/load.js';
import { META_JSON } from '../checkpoint/meta.js';
import { manifestWeights, modelFromFiles, WEIGHTS_BIN } from '../checkpoint/model-files.js';
import type { ModelFiles } from '../checkpoint/model-files.js';
import { writeCheckpoint } from '../checkpoint/store.js';
import { osFailure, UsageError } from '../errors.js';
import { evaluate } from '../eval/evaluate.js';
import type { SplitName } from '../eval/evaluate.js';
import { METRICS_FILE } from '../run/metrics-log.js';
import { VERSION } from '../version.js';
import { matchesAny, parsePatterns } from './pattern.js';
import { QUANTIZE_DTYPES, quantizable, quantizeWeights } from './quantize.js';
import type { QuantizeDtype, WeightEntry } from './quantize.js';

export interface CompressOptions {
  quantize: QuantizeDtype;
  /** `--only`: comma-separated shell-style patterns of weight names (pattern.ts). */
  only?: string;
  /** Where to write; default RUN/compressed-<dtype>, or <checkpoint>-<dtype> beside a checkpoint given. */
  out?: string;
  /** Evaluate before and after (default true). */
  evaluate?: boolean;
  split?: SplitName;
}

/** The size of a model's files: model.json plus the weights, raw and each gzipped (node:zlib, default level). */
export interface ModelSize {
  raw: number;
  gzip: number;
}

export interface CompressResult {
  checkpoint: string;
  out: string;
  quantize: QuantizeDtype;
  /** The weights stored quantized, and the rest (kept as they were). */
  weights: { quantized: string[]; kept: string[] };
  size: { before: ModelSize; after: ModelSize };
  /** The evaluation of both models on the same split, as `strata evaluate` gives it (absent with `evaluate: false`). */
  metrics?: { dataset: string; split: string; examples: number; before: Record<string, number>; after: Record<string, number> };
}

/** A `--quantize` value, checked. */
export function quantizeDtype(value: string, option = '--quantize'): QuantizeDtype {
  if ((QUANTIZE_DTYPES as readonly string[]).includes(value)) return value as QuantizeDtype;
  throw new UsageError({ arg: `${option} ${value}`, code: 'bad-quantize', message: `unknown storage type '${value}'; choose one of ${QUANTIZE_DTYPES.join(', ')}` });
}

export function modelSize(files: ModelFiles): ModelSize {
  return {
    raw: Buffer.byteLength(files.modelJson) + files.weights.byteLength,
    gzip: gzipSync(files.modelJson).byteLength + gzipSync(files.weights).byteLength,
  };
}

const rel = (p: string) => relative(process.cwd(), p) || '.';
const list = (names: readonly string[], max = 8) => (names.length > max ? `${names.slice(0, max).join(', ')}, … (${names.length} in all)` : names.join(', '));

/** Where the compressed model goes by default: inside a run given, beside a checkpoint given. */
export function defaultOut(target: string, checkpoint: LoadedCheckpoint, dtype: QuantizeDtype): string {
  return existsSync(join(target, META_JSON)) ? `${checkpoint.dir}-${dtype}` : join(target, `compressed-${dtype}`);
}

/** Refuse an `out` that exists and is not an empty folder (nothing already written is lost). */
function checkOut(out: string): void {
  if (!existsSync(out)) return;
  const empty = statSync(out).isDirectory() && readdirSync(out).length === 0;
  if (!empty) throw new UsageError({ arg: `--out ${out}`, code: 'out-exists', message: `'${out}' already exists and is not an empty folder; remove it or give another --out DIR` });
}

/** Which weights `--only` chooses; a pattern that picks no float32 weight is a UsageError listing them. */
function chooser(specs: readonly WeightEntry[], only: string | undefined): (name: string) => boolean {
  const candidates = specs.filter(quantizable).map((w) => w.name);
  if (only === undefined) return () => true;
  const patterns = parsePatterns(only);
  if (patterns.length === 0 || !candidates.some((n) => matchesAny(n, patterns))) {
    const others = specs.filter((w) => !quantizable(w) && matchesAny(w.name, patterns)).map((w) => w.name);
    const why = others.length > 0 ? `matches only weights that are not float32 (${list(others)})` : 'matches no weight';
    throw new UsageError({
      arg: `--only ${only}`,
      code: 'no-weight-matches',
      message: `'${only}' ${why}; the float32 weights are ${list(candidates)} (a pattern is matched against the whole name: * is any run of characters, '/' included, ? one character; separate several with commas)`,
    });
  }
  return (name) => matchesAny(name, patterns);
}

/** Compress the model of `checkpoint` (opened from `target`, a run or checkpoint directory) as `o` says. */
export async function compress(engine: Engine, target: string, checkpoint: LoadedCheckpoint, o: CompressOptions): Promise<CompressResult> {
  const out = o.out ?? defaultOut(target, checkpoint, o.quantize);
  checkOut(out);
  const { json, specs } = manifestWeights(checkpoint.model.modelJson);
  const choose = chooser(specs, o.only);
  const notFinite = (name: string): never => {
    throw new UsageError({ arg: `compress ${rel(target)}`, code: 'not-finite', message: `the weight '${name}' holds values that are not finite (NaN or infinity), which ${o.quantize} levels cannot hold; leave it out with --only, or use --quantize float16` });
  };
  const q = quantizeWeights(specs, checkpoint.model.weights, o.quantize, choose, notFinite);
  if (q.quantized.length === 0) {
    throw new UsageError({ arg: `compress ${rel(target)}`, code: 'nothing-to-quantize', message: `the model has no float32 weights left to quantize (its weights: ${list(specs.map((w) => `${w.name} ${w.quantization?.dtype ?? w.dtype}`))})` });
  }
  const model: ModelFiles = {
    modelJson: JSON.stringify({ ...json, weightsManifest: [{ paths: [WEIGHTS_BIN], weights: q.specs }] }),
    weights: q.data,
  };
  // What TensorFlow.js makes of the files, before they are written.
  (await modelFromFiles(engine, { ...model, source: join(out, 'model.json') })).dispose();
  // The model as it was is evaluated first: data that cannot be loaded stops the command before it writes anything.
  const split = o.split ?? 'test';
  const before = o.evaluate === false ? undefined : await evaluate(engine, checkpoint, { split });
  // No masks.bin goes along (the zeros are in the weights), so neither does meta.pruning.
  const { files: _, pruning: _masks, ...meta } = checkpoint.meta;
  // The run's log goes along, so that `strata report` on the compressed model shows how it was trained.
  const log = checkpoint.runDir ? join(checkpoint.runDir, METRICS_FILE) : undefined;
  let logText: string | undefined;
  if (log && existsSync(log)) {
    try {
      logText = readFileSync(log, 'utf8');
    } catch (e) {
      throw osFailure(e, `cannot read ${rel(log)}`);
    }
  }
  writeCheckpoint(dirname(out), basename(out), {
    model,
    optimizer: new Uint8Array(0),
    specText: checkpoint.specText,
    data: checkpoint.data,
    ...(logText !== undefined ? { extra: { [METRICS_FILE]: logText } } : {}),
    meta: {
      ...meta,
      created: new Date().toISOString(),
      strata_version: VERSION,
      optimizer: { type: meta.optimizer.type, weights: [] },
      compression: { quantize: o.quantize, weights: q.quantized, source: relative(out, checkpoint.dir) },
    },
  });
  const result: CompressResult = {
    checkpoint: checkpoint.dir,
    out,
    quantize: o.quantize,
    weights: { quantized: q.quantized, kept: specs.map((w) => w.name).filter((n) => !q.quantized.includes(n)) },
    size: { before: modelSize(checkpoint.model), after: modelSize(model) },
  };
  if (!before) return result;
  const after = await evaluate(engine, readCheckpointDir(out), { split });
  result.metrics = { dataset: before.dataset, split: before.split, examples: before.examples, before: before.metrics, after: after.metrics };
  return result;
}
