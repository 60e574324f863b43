/**
 * Setting up a training session before it starts: read the spec with its
 * overrides, make a new run directory or reopen the one being resumed (or fork
 * it into a new one), say what changed since the checkpoint, and load what
 * training needs (the dataset, checked against the model, and the resolved
 * `train:` section). `strata train` parses its arguments, calls these, and prints.
 */
import { copyFileSync, cpSync, existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { replaceFile } from '../checkpoint/durable.js';
import type { LoadedCheckpoint } from '../checkpoint/load.js';
import { openCheckpoint } from '../checkpoint/pick.js';
import { LATEST, listCheckpoints, setPointer } from '../checkpoint/store.js';
import type { Dataset } from '../data/types.js';
import { placeIn } from '../spec/place.js';
import { osFailure, UsageError } from '../errors.js';
import { parseSpec, readSpecFile } from '../spec/read.js';
import type { Spec } from '../spec/types.js';
import { trainConfig } from '../train/config.js';
import type { TrainConfig } from '../train/config.js';
import { loadSpecDataset } from './dataset.js';
import { acquireRunLock } from './lock.js';
import type { RunLock } from './lock.js';
import { INTERNALS_FILE, METRICS_FILE } from './metrics-log.js';
import { CHECKPOINTS, createRunDir, defaultRunDir, RUN_SPEC } from './run-dir.js';
import { describeChange, diffSpecs } from './spec-diff.js';
import { teacherPath } from './teacher.js';

export interface PrepareOptions {
  /** The spec file: required for a new run; on resume, a changed spec to continue with. */
  spec?: string;
  /** `--set` overrides. */
  set?: readonly string[];
  /** The seed, over the spec's. */
  seed?: number;
  /** The new run's directory (default runs/<name>-<timestamp>). */
  out?: string;
  /** Continue the run or checkpoint given here. */
  resume?: string;
  /** With `resume`: continue into this new directory and leave the old run as it is. */
  fork?: string;
  /** Told what is worth saying (skipped checkpoints, changes from the run's spec); `important` lines are warnings. */
  say?: (line: string, important: boolean) => void;
}

export interface PreparedRun {
  spec: Spec;
  /** The resolved spec as YAML (with the seed and absolute data paths), as written to RUN/spec.yaml. */
  specText: string;
  runDir: string;
  seed: number;
  /** The checkpoint to continue from. */
  resume?: LoadedCheckpoint;
  /** Whether the run directory was made here (a new run, a fork, or a resumed lone checkpoint). */
  created: boolean;
  /** The run directory's lock, held by this process until released (see lock.ts). */
  lock: RunLock;
}

const rel = (p: string) => relative(process.cwd(), p) || '.';

/** Write the run's resolved spec, as an OS failure names it. */
function writeRunSpec(runDir: string, specText: string): void {
  const file = join(runDir, RUN_SPEC);
  try {
    replaceFile(file, specText);
  } catch (e) {
    throw osFailure(e, `cannot write ${rel(file)}`);
  }
}

/** Take the run's lock, then do `work` under it; the lock is released again if `work` fails. */
function underLock<T>(runDir: string, option: string, say: (line: string, important: boolean) => void, work: (lock: RunLock) => T): T {
  const lock = acquireRunLock(runDir, option, (line) => say(line, true));
  try {
    return work(lock);
  } catch (e) {
    lock.release();
    throw e;
  }
}

/**
 * A run killed before its first checkpoint: a directory with the run's spec.yaml
 * and no checkpoint at all (not merely damaged ones), given to --resume.
 */
function unstartedRun(target: string): boolean {
  try {
    if (!statSync(target).isDirectory()) return false;
  } catch {
    return false;
  }
  return existsSync(join(target, RUN_SPEC)) && !existsSync(join(target, 'meta.json')) && listCheckpoints(join(target, CHECKPOINTS)).length === 0;
}

/** `dataset` (a spec's data.dataset) as an absolute path when it is a file or folder relative to the spec `file`; undefined otherwise (a bundled name, already absolute, not there). */
function absoluteDataPath(file: string, dataset: unknown): string | undefined {
  if (typeof dataset !== 'string' || isAbsolute(dataset) || !existsSync(resolve(dirname(file), dataset))) return undefined;
  return resolve(dirname(file), dataset);
}

/**
 * The spec's values that name a file or folder relative to the spec file, each with the rule
 * that makes it absolute (undefined: leave it as it is): data.dataset (a bundled dataset's
 * name stays a name) and train.distill's teacher run. A run's spec.yaml and a search's kept
 * spec are read from elsewhere, so both record them absolute (absoluteData, and
 * search/run.ts's keptSpecText), from this one list.
 */
export const SPEC_RELATIVE_PATHS: readonly { path: readonly string[]; absolute: (specFile: string, value: unknown) => string | undefined }[] = [
  { path: ['data', 'dataset'], absolute: absoluteDataPath },
  { path: ['train', 'distill', 'teacher'], absolute: (specFile, value) => (typeof value === 'string' && !isAbsolute(value) ? teacherPath(specFile, value) : undefined) },
];

/** A dataset or teacher given as a path relative to the spec is recorded absolute, so the run finds it from anywhere. */
export function absoluteData(spec: Spec): void {
  for (const { path, absolute } of SPEC_RELATIVE_PATHS) {
    let parent = spec.raw as Record<string, unknown> | undefined;
    for (const key of path.slice(0, -1)) parent = parent?.[key] as Record<string, unknown> | undefined;
    const last = path[path.length - 1]!;
    const abs = parent && typeof parent === 'object' ? absolute(spec.file, parent[last]) : undefined;
    if (abs === undefined) continue;
    parent![last] = abs;
    if (last === 'dataset' && spec.data) spec.data.dataset = abs;
  }
}

function resolvedText(spec: Spec, seed: number): string {
  absoluteData(spec);
  return stringify({ ...spec.raw, seed }, { lineWidth: 0 });
}

/**
 * Where a resumed run goes on: `fork` (a new directory, which gets the old
 * run's metrics.jsonl), else the checkpoint's own run, else (a checkpoint
 * directory on its own) a new directory, `out` or the default.
 */
export function resumeDirectory(checkpoint: Pick<LoadedCheckpoint, 'runDir'>, o: Pick<PrepareOptions, 'fork' | 'out'>, name: string): { runDir: string; create?: '--fork' | '--out'; copyMetricsFrom?: string } {
  if (o.fork) {
    const metrics = checkpoint.runDir ? join(checkpoint.runDir, METRICS_FILE) : undefined;
    return { runDir: o.fork, create: '--fork', ...(metrics && existsSync(metrics) ? { copyMetricsFrom: metrics } : {}) };
  }
  if (checkpoint.runDir) return { runDir: checkpoint.runDir };
  return { runDir: o.out ?? defaultRunDir(name), create: '--out' };
}

/** Decide the spec, seed and run directory, and write the resolved spec there; on resume, find the checkpoint and say what changed. */
export function prepareRun(o: PrepareOptions): PreparedRun {
  const say = o.say ?? (() => {});
  const overrides = [...(o.set ?? []), ...(o.seed !== undefined ? [`seed=${o.seed}`] : [])];

  if (!o.resume) {
    if (o.fork) throw new UsageError({ arg: '--fork', code: 'fork-without-resume', message: '--fork continues a run into a new directory; give the run with --resume RUN as well' });
    if (!o.spec) throw new UsageError({ arg: 'train', code: 'missing-spec', message: 'give a spec to train, such as strata train configs/mnist-cnn.yaml, or continue a run with --resume RUN' });
    const spec = readSpecFile(o.spec, { overrides });
    const seed = spec.seed ?? Math.floor(Math.random() * 2 ** 31);
    const runDir = o.out ?? defaultRunDir(spec.name);
    createRunDir(runDir, '--out', o.out === undefined ? placeIn(spec, ['name']) : undefined);
    return underLock(runDir, `--out ${runDir}`, say, (lock) => {
      const specText = resolvedText(spec, seed);
      writeRunSpec(runDir, specText);
      return { spec, specText, runDir, seed, created: true, lock };
    });
  }

  if (unstartedRun(o.resume)) return restartUnstarted(o.resume, o, overrides, say);

  const checkpoint = openCheckpoint(o.resume, '--resume', 'latest', (line) => say(line, true));
  if (checkpoint.meta.compression) {
    const source = join(checkpoint.dir, checkpoint.meta.compression.source);
    throw new UsageError({
      arg: `--resume ${o.resume}`,
      code: 'compressed-checkpoint',
      message: `${rel(checkpoint.dir)} is a compressed model (strata compress: its weights stored as ${checkpoint.meta.compression.quantize}, no optimizer state), which training does not continue from; resume the checkpoint it was made from, ${rel(source)}`,
    });
  }
  const before = parse(checkpoint.specText) as Record<string, unknown>;
  const specFile = o.spec ?? join(checkpoint.runDir ?? checkpoint.dir, RUN_SPEC);
  const spec = o.spec ? readSpecFile(o.spec, { overrides }) : parseSpec(existsSync(specFile) ? specFile : join(checkpoint.dir, RUN_SPEC), checkpoint.specText, { overrides, saved: true });
  // A spec given without a seed keeps the run's.
  const seed = spec.seed ?? checkpoint.meta.seed;
  absoluteData(spec);
  const changes = diffSpecs(before, { ...spec.raw, seed });
  const where = resumeDirectory(checkpoint, o, spec.name);
  if (where.create) createRunDir(where.runDir, where.create);
  return underLock(where.runDir, where.create ? `${where.create} ${where.runDir}` : `--resume ${o.resume}`, say, (lock) => {
    if (changes.length > 0) say(`Changes from the run's spec:\n${changes.map(describeChange).join('\n')}`, changes.some((c) => !c.safe));
    if (where.copyMetricsFrom) {
      try {
        copyFileSync(where.copyMetricsFrom, join(where.runDir, METRICS_FILE));
      } catch (e) {
        throw osFailure(e, `cannot copy ${rel(where.copyMetricsFrom!)} to ${rel(where.runDir)}`);
      }
    }
    if (where.create === '--fork') {
      // The fork starts from a checkpoint of its own: resumable and loadable before (or without) an epoch of its own.
      const name = basename(checkpoint.dir);
      const into = join(where.runDir, CHECKPOINTS);
      try {
        cpSync(checkpoint.dir, join(into, name), { recursive: true });
      } catch (e) {
        throw osFailure(e, `cannot copy ${rel(checkpoint.dir)} into ${rel(into)}`);
      }
      setPointer(into, LATEST, name);
    }
    const specText = resolvedText(spec, seed);
    writeRunSpec(where.runDir, specText);
    return { spec, specText, runDir: where.runDir, seed, resume: checkpoint, created: where.create !== undefined, lock };
  });
}

/**
 * `--resume RUN` of a run killed before its first checkpoint: start it from the
 * beginning with its spec.yaml and seed (or the spec given), in the run itself
 * or in `--fork DIR`, saying so. What the killed start left (a metrics line of
 * an older strata, gradient norms, a model folder) goes.
 */
function restartUnstarted(target: string, o: PrepareOptions, overrides: string[], say: (line: string, important: boolean) => void): PreparedRun {
  const runSpec = join(target, RUN_SPEC);
  const recordedText = readFileSync(runSpec, 'utf8');
  const recorded = parseSpec(runSpec, recordedText, { overrides, saved: true });
  const spec = o.spec ? readSpecFile(o.spec, { overrides }) : recorded;
  const before = parse(recordedText) as Record<string, unknown>;
  const recordedSeed = typeof before.seed === 'number' ? before.seed : undefined;
  const seed = spec.seed ?? recordedSeed ?? Math.floor(Math.random() * 2 ** 31);
  absoluteData(spec);
  const changes = diffSpecs(before, { ...spec.raw, seed });
  const runDir = o.fork ?? target;
  if (o.fork) createRunDir(o.fork, '--fork');
  return underLock(runDir, o.fork ? `--fork ${o.fork}` : `--resume ${target}`, say, (lock) => {
    say(`strata: ${rel(target)} holds no checkpoint (it stopped before its first one); starting it from the beginning with its spec.yaml and seed ${seed}`, true);
    if (changes.length > 0) say(`Changes from the run's spec:\n${changes.map(describeChange).join('\n')}`, changes.some((c) => !c.safe));
    if (!o.fork) {
      for (const f of [METRICS_FILE, INTERNALS_FILE, 'model']) rmSync(join(runDir, f), { recursive: true, force: true });
    }
    const specText = resolvedText(spec, seed);
    writeRunSpec(runDir, specText);
    return { spec, specText, runDir, seed, created: o.fork !== undefined, lock };
  });
}

/** What a training session needs besides the model: the dataset (checked against the spec's model) and the resolved `train:` section. */
export async function loadTrainingInputs(p: PreparedRun): Promise<{ dataset: Dataset; config: TrainConfig }> {
  const dataset = await loadSpecDataset(p.spec, { seed: p.seed });
  return { dataset, config: trainConfig(p.spec.train, dataset.validation !== undefined) };
}

/** After a failure: a new run that wrote no checkpoint leaves nothing behind. */
export function discardUnstarted(p: PreparedRun): void {
  if (!p.resume && p.created && listCheckpoints(join(p.runDir, CHECKPOINTS)).length === 0) rmSync(p.runDir, { recursive: true, force: true });
}
