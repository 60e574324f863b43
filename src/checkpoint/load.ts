/**
 * Finding and reading checkpoints. Every file is checked against the sha256
 * recorded in `meta.json` before anything is used; a damaged checkpoint is
 * named with the file that failed. Given a run, the newest good checkpoint is
 * used, and a damaged newer one is reported and skipped.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { UsageError } from '../errors.js';
import { sha256 } from './durable.js';
import { CHECKPOINT_FORMAT, CHECKPOINT_FORMAT_VERSION, DATA_JSON, MASKS_BIN, META_JSON, OPTIMIZER_BIN, SPEC_FILE } from './meta.js';
import type { CheckpointMeta, DataInfo } from './meta.js';
import { MODEL_JSON, WEIGHTS_BIN } from './model-files.js';
import type { ModelFiles } from './model-files.js';
import { LATEST, listCheckpoints, readPointer } from './store.js';

export interface LoadedCheckpoint {
  dir: string;
  /** The run the checkpoint belongs to, when it sits in a run's checkpoints/ folder. */
  runDir?: string;
  meta: CheckpointMeta;
  model: ModelFiles;
  optimizer: Uint8Array;
  /** train.pruning's masks (meta.pruning says whose), when the checkpoint has them. */
  masks?: Uint8Array;
  specText: string;
  data: DataInfo;
}

/** A checkpoint that cannot be used, and why (naming the file). */
export class DamagedCheckpoint extends Error {
  constructor(
    readonly dir: string,
    readonly file: string,
    readonly why: string,
  ) {
    super(`${join(dir, file)}: ${why}`);
  }
}

const REQUIRED = [MODEL_JSON, WEIGHTS_BIN, OPTIMIZER_BIN, SPEC_FILE, DATA_JSON];

/** Read and verify one checkpoint directory; throws DamagedCheckpoint. */
export function readCheckpointDir(dir: string): LoadedCheckpoint {
  let meta: CheckpointMeta;
  try {
    meta = JSON.parse(readFileSync(join(dir, META_JSON), 'utf8')) as CheckpointMeta;
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'is missing' : 'is not valid JSON (the checkpoint is damaged or was cut short)';
    throw new DamagedCheckpoint(dir, META_JSON, why);
  }
  if (meta.format !== CHECKPOINT_FORMAT || typeof meta.files !== 'object' || meta.files === null) {
    throw new DamagedCheckpoint(dir, META_JSON, 'is not a strata checkpoint description');
  }
  if (meta.format_version > CHECKPOINT_FORMAT_VERSION) {
    throw new DamagedCheckpoint(dir, META_JSON, `was written by a newer strata (checkpoint format ${meta.format_version}); upgrade strata to read it`);
  }
  const bytes = new Map<string, Buffer>();
  // masks.bin is there when meta.json lists it (a pruned run's checkpoints), and checked the same way.
  for (const file of [...REQUIRED, ...(meta.files[MASKS_BIN] ? [MASKS_BIN] : [])]) {
    const expected = meta.files[file];
    if (!expected) throw new DamagedCheckpoint(dir, META_JSON, `has no checksum for ${file}`);
    let data: Buffer;
    try {
      data = readFileSync(join(dir, file));
    } catch {
      throw new DamagedCheckpoint(dir, file, 'is missing');
    }
    if (sha256(data) !== expected) throw new DamagedCheckpoint(dir, file, 'is damaged: its sha256 does not match the one in meta.json');
    bytes.set(file, data);
  }
  const text = (f: string) => bytes.get(f)!.toString('utf8');
  const bin = (f: string) => new Uint8Array(bytes.get(f)!);
  const parent = dirname(dir);
  const runDir = existsSync(join(dirname(parent), SPEC_FILE)) || existsSync(join(dirname(parent), 'metrics.jsonl')) ? dirname(parent) : undefined;
  return {
    dir,
    ...(runDir ? { runDir } : {}),
    meta,
    model: { modelJson: text(MODEL_JSON), weights: bin(WEIGHTS_BIN), source: join(dir, MODEL_JSON) },
    optimizer: bin(OPTIMIZER_BIN),
    ...(bytes.has(MASKS_BIN) ? { masks: bin(MASKS_BIN) } : {}),
    specText: text(SPEC_FILE),
    data: JSON.parse(text(DATA_JSON)) as DataInfo,
  };
}

export interface ResolveResult {
  checkpoint: LoadedCheckpoint;
  /** Newer checkpoints that were skipped because they are damaged. */
  skipped: DamagedCheckpoint[];
}

const rel = (p: string) => relative(process.cwd(), p) || '.';

/**
 * Find the checkpoint that `target` names: a checkpoint directory, or a run
 * directory (its newest good checkpoint, starting from `latest`).
 */
export function resolveCheckpoint(target: string, option: string): ResolveResult {
  if (!existsSync(target) || !statSync(target).isDirectory()) {
    throw new UsageError({ arg: `${option} ${target}`, code: 'no-checkpoint', message: `'${target}' is not a directory; give a run directory (such as runs/mnist-cnn-20261125-101500) or one of its checkpoints` });
  }
  if (existsSync(join(target, META_JSON))) {
    try {
      return { checkpoint: readCheckpointDir(target), skipped: [] };
    } catch (e) {
      if (e instanceof DamagedCheckpoint) throw new UsageError({ arg: `${option} ${target}`, code: 'damaged-checkpoint', message: `the checkpoint cannot be used: ${rel(join(e.dir, e.file))} ${e.why}` });
      throw e;
    }
  }
  const dir = join(target, 'checkpoints');
  const names = listCheckpoints(dir);
  if (names.length === 0) {
    throw new UsageError({ arg: `${option} ${target}`, code: 'no-checkpoint', message: `'${target}' holds no checkpoints (no ${META_JSON} here and no checkpoints/ folder with any)` });
  }
  // Newest first, starting from the latest pointer (it never names a half-written checkpoint).
  const latest = readPointer(dir, LATEST)?.checkpoint;
  const order = [...names].reverse();
  const start = latest && order.includes(latest) ? order.indexOf(latest) : 0;
  const skipped: DamagedCheckpoint[] = [];
  for (const name of order.slice(start)) {
    try {
      return { checkpoint: readCheckpointDir(join(dir, name)), skipped };
    } catch (e) {
      if (!(e instanceof DamagedCheckpoint)) throw e;
      skipped.push(e);
    }
  }
  throw new UsageError({
    arg: `${option} ${target}`,
    code: 'damaged-checkpoint',
    message: `no checkpoint in '${target}' can be used: ${skipped.map((s) => `${rel(join(s.dir, s.file))} ${s.why}`).join('; ')}`,
  });
}
