/**
 * Writing checkpoints into a run's `checkpoints/` folder, atomically, and
 * keeping the last K plus the best. A checkpoint is a directory; it is written
 * under a temporary name and renamed into place, and the `latest` and `best`
 * pointers (small JSON files) are replaced the same way, so a crash at any
 * moment leaves every pointer naming a complete checkpoint.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { osFailure } from '../errors.js';
import { flushDir, replaceFile, sha256, writeFlushed } from './durable.js';
import { CHECKPOINT_FORMAT, CHECKPOINT_FORMAT_VERSION, DATA_JSON, MASKS_BIN, META_JSON, OPTIMIZER_BIN, SPEC_FILE } from './meta.js';
import type { CheckpointMeta, DataInfo } from './meta.js';
import { MODEL_JSON, WEIGHTS_BIN } from './model-files.js';
import type { ModelFiles } from './model-files.js';

export const LATEST = 'latest';
export const BEST = 'best';

/** Everything a checkpoint holds, in memory. */
export interface CheckpointContent {
  model: ModelFiles;
  optimizer: Uint8Array;
  /** train.pruning's masks (meta.pruning says whose), when there are any. */
  masks?: Uint8Array;
  /** Other files written (and checksummed) with it, by name: a compressed model's copy of its run's metrics.jsonl. */
  extra?: Record<string, string | Uint8Array>;
  specText: string;
  data: DataInfo;
  meta: Omit<CheckpointMeta, 'files' | 'format' | 'format_version'>;
}

/** The directory name of a checkpoint: `epoch-0003`, or `epoch-0003-batch-00042` when cut mid-epoch. */
export function checkpointName(epoch: number, batch: number): string {
  const e = `epoch-${String(epoch).padStart(4, '0')}`;
  return batch > 0 ? `${e}-batch-${String(batch).padStart(5, '0')}` : e;
}

/**
 * What a checkpoint's directory name means, in words: `epoch-0003` is "end of epoch 3";
 * `epoch-0001-batch-00132`, written when epoch 2 was interrupted, is "epoch 2, 132 batches done"
 * (the name counts finished epochs, so it reads as "epoch 1"; the names stay as they are, since
 * runs resume by them). Undefined for a name of another form. Takes a name or a path.
 */
export function checkpointPosition(nameOrPath: string): string | undefined {
  const m = /(?:^|[\\/])epoch-(\d+)(?:-batch-(\d+))?[\\/]?$/.exec(nameOrPath);
  if (!m) return undefined;
  return positionText(Number(m[1]), m[2] === undefined ? 0 : Number(m[2]));
}

/** A training position (`epochs` finished, then `batches` of the next) in words, as checkpointPosition says it. */
export function positionText(epochs: number, batches: number): string {
  if (batches === 0) return epochs === 0 ? 'before training' : `end of epoch ${epochs}`;
  return `epoch ${epochs + 1}, ${batches} batch${batches === 1 ? '' : 'es'} done`;
}

/** A checkpoint's name or path followed by its position in words: `…/epoch-0001-batch-00132 (epoch 2, 132 batches done)`. */
export function describeCheckpoint(nameOrPath: string): string {
  const position = checkpointPosition(nameOrPath);
  return position ? `${nameOrPath} (${position})` : nameOrPath;
}

const rel = (p: string) => relative(process.cwd(), p) || '.';

/**
 * Write one checkpoint into `checkpointsDir`; returns its directory. A failure
 * of the operating system (a full disk, a folder it may not write) removes the
 * temporary directory and throws a RuntimeFailure naming the checkpoint: no
 * `.tmp-*` is left behind, and the checkpoints there stay as they were.
 */
export function writeCheckpoint(checkpointsDir: string, name: string, c: CheckpointContent): string {
  const target = join(checkpointsDir, name);
  const tmp = join(checkpointsDir, `.tmp-${name}-${process.pid}`);
  try {
    mkdirSync(checkpointsDir, { recursive: true });
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp);
    const files: Record<string, Uint8Array | string> = {
      [MODEL_JSON]: c.model.modelJson,
      [WEIGHTS_BIN]: c.model.weights,
      [OPTIMIZER_BIN]: c.optimizer,
      [SPEC_FILE]: c.specText,
      [DATA_JSON]: JSON.stringify(c.data),
      ...(c.masks ? { [MASKS_BIN]: c.masks } : {}),
      ...c.extra,
    };
    const sums: Record<string, string> = {};
    for (const [file, data] of Object.entries(files)) {
      writeFlushed(join(tmp, file), data);
      failForTest(name, join(tmp, file));
      sums[file] = sha256(data);
    }
    stallForCrashTest(name);
    const meta: CheckpointMeta = { format: CHECKPOINT_FORMAT, format_version: CHECKPOINT_FORMAT_VERSION, ...c.meta, files: sums };
    writeFlushed(join(tmp, META_JSON), `${JSON.stringify(meta, null, 2)}\n`);
    flushDir(tmp);
    if (existsSync(target)) {
      // The same position written again (a resumed run passing it): swap, then drop the old one.
      const old = join(checkpointsDir, `.old-${name}-${process.pid}`);
      renameSync(target, old);
      try {
        renameSync(tmp, target);
      } catch (e) {
        renameSync(old, target);
        throw e;
      }
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(tmp, target);
    }
    flushDir(checkpointsDir);
  } catch (e) {
    try {
      rmSync(tmp, { recursive: true, force: true });
    } catch {
      // The failure below is what to report.
    }
    throw osFailure(e, `cannot write the checkpoint ${rel(target)}`);
  }
  return target;
}

/** Point `latest` or `best` at a checkpoint, atomically. */
export function setPointer(checkpointsDir: string, pointer: typeof LATEST | typeof BEST, name: string, extra: Record<string, unknown> = {}): void {
  const file = join(checkpointsDir, pointer);
  try {
    replaceFile(file, `${JSON.stringify({ checkpoint: name, ...extra })}\n`);
  } catch (e) {
    throw osFailure(e, `cannot point ${rel(file)} at ${name}`);
  }
}

export function readPointer(checkpointsDir: string, pointer: typeof LATEST | typeof BEST): { checkpoint: string; [k: string]: unknown } | undefined {
  try {
    const p = JSON.parse(readFileSync(join(checkpointsDir, pointer), 'utf8')) as { checkpoint?: unknown };
    return typeof p.checkpoint === 'string' && /^[\w.-]+$/.test(p.checkpoint) ? (p as { checkpoint: string }) : undefined;
  } catch {
    return undefined;
  }
}

/** The checkpoint directories of a run, oldest first by training position (never temporary ones). */
export function listCheckpoints(checkpointsDir: string): string[] {
  if (!existsSync(checkpointsDir)) return [];
  return readdirSync(checkpointsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && /^epoch-\d+(-batch-\d+)?$/.test(d.name))
    .map((d) => d.name)
    .sort();
}

/** Remove leftovers of interrupted writes and all but the last `keep` checkpoints (and those in `protect`). */
export function prune(checkpointsDir: string, keep: number, protect: readonly string[]): string[] {
  const removed: string[] = [];
  for (const d of readdirSync(checkpointsDir)) {
    if (d.startsWith('.tmp-') || d.startsWith('.old-')) rmSync(join(checkpointsDir, d), { recursive: true, force: true });
  }
  const all = listCheckpoints(checkpointsDir);
  for (const name of all.slice(0, Math.max(0, all.length - keep))) {
    if (protect.includes(name)) continue;
    rmSync(join(checkpointsDir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

/**
 * Fault injection for the tests of write failures: with STRATA_TEST_FAIL_WRITE set
 * to a checkpoint name (`epoch-0002`), the write of that checkpoint fails after its
 * first file as a full disk fails it (ENOSPC); `epoch-0002:EACCES` fails it with
 * that code instead (the tests run as root, where a read-only folder stops nothing).
 */
function failForTest(name: string, file: string): void {
  const [target, code = 'ENOSPC'] = (process.env.STRATA_TEST_FAIL_WRITE ?? '').split(':');
  if (target !== name) return;
  const e = new Error(`${code}: injected by STRATA_TEST_FAIL_WRITE, write '${file}'`) as NodeJS.ErrnoException;
  Object.assign(e, { code, syscall: 'write', path: file });
  throw e;
}

/**
 * Fault injection for the crash test: with STRATA_TEST_STALL_CHECKPOINT set to a
 * checkpoint name, the write of that checkpoint stops halfway (its files written,
 * meta.json and the rename not yet), says so on stderr, and waits to be killed.
 */
function stallForCrashTest(name: string): void {
  if (process.env.STRATA_TEST_STALL_CHECKPOINT !== name) return;
  process.stderr.write(`strata-test: stalled writing ${name}\n`);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 30_000);
}
