/**
 * `strata search`'s trials: the sampler chooses each trial's parameters from
 * the ones before it, the trial's spec is the searched spec with them set (as
 * `--set` would) and its search section dropped, and the trial trains as an
 * ordinary run, `strata train` in a child process, into its own run
 * directory under the search's, so every trial can be evaluated, reported and
 * resumed like any run. A combination that makes a spec strata refuses is
 * counted and reported, never trained.
 *
 *     DIR/search.jsonl        one line per trial: parameters, status, objective, epochs, time
 *     DIR/trials/NNN.yaml     each trial's spec; DIR/trials/NNN/ its run directory
 *     DIR/best.yaml           the best trial's spec, ready for strata train
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { cpus } from 'node:os';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument, stringify } from 'yaml';
import { StrataError, UsageError } from '../errors.js';
import { parseSpec } from '../spec/read.js';
import { METRICS_FILE, readMetrics } from '../run/metrics-log.js';
import { absoluteData, SPEC_RELATIVE_PATHS } from '../run/prepare.js';
import type { Spec } from '../spec/types.js';
import { gridSampler } from './grid.js';
import { randomSampler } from './random.js';
import { objectiveSettings, setting } from './section.js';
import { lossVector, PARAMS } from './objectives.js';
import type { Goal } from './objectives.js';
import { LATEST, readPointer } from '../checkpoint/store.js';
import { MODEL_JSON, weightCount } from '../checkpoint/model-files.js';
import type { SearchPlan } from './section.js';
import { canonicalJson } from './space.js';
import type { Assignment, Observation, Sampler } from './space.js';
import { tpeSampler } from './tpe.js';
import { shouldStop } from './scheduler.js';
import { BEST_SPEC, TRIALS_DIR, TRIALS_FILE, trialName } from './files.js';

const BIN = fileURLToPath(new URL('../../../bin/strata.js', import.meta.url));

export interface TrialRecord {
  trial: number;
  params: Assignment;
  /** done: trained; stopped: stopped early by the scheduler; invalid: its spec was refused (never trained); failed: training exited with an error; interrupted: Ctrl-C. */
  status: 'done' | 'stopped' | 'invalid' | 'failed' | 'interrupted';
  /** The primary objective: its metric at the trial's best epoch. */
  value?: number;
  /** Every objective at that epoch (params: the model's parameter count). */
  values?: Record<string, number>;
  epochs?: number;
  /** The primary objective's metric at each epoch (NaN where not finite). */
  curve?: number[];
  seconds: number;
  /** The trial's run directory. */
  run?: string;
  message?: string;
}

export interface SearchOptions {
  spec: Spec;
  text: string;
  sets: readonly string[];
  plan: SearchPlan;
  dir: string;
  /** Passed on to every trial's strata train (--engine, --backend, ...). */
  trainArgs: readonly string[];
  onTrial?: (t: TrialRecord, best: TrialRecord | undefined) => void;
  onStart?: (trial: number, params: Assignment, resumed: boolean) => void;
  interrupted?: () => boolean;
  /** The trials of an earlier, interrupted run of this search (search.jsonl's lines, the last per trial counting). */
  earlier?: readonly TrialRecord[];
}

export interface SearchResult {
  trials: TrialRecord[];
  best?: TrialRecord;
  interrupted: boolean;
}

function sampler(plan: SearchPlan): Sampler {
  if (plan.algorithm === 'grid') return gridSampler(plan.parameters);
  if (plan.algorithm === 'random') return randomSampler(plan.parameters, plan.seed);
  return tpeSampler(plan.parameters, plan.seed);
}

const better = (goal: Goal, a: number, b: number) => (goal === 'maximize' ? a > b : a < b);

/**
 * One trial's `strata train`: `onEpoch` sees each epoch's log as it ends (its --json lines) and
 * may stop the trial; the exit code, whether it was stopped, and the end of its stderr.
 */
function trainTrial(trainArgs: readonly string[], env: Record<string, string>, onEpoch: (log: Record<string, number>) => boolean): Promise<{ code: number | null; stderr: string; stopped: boolean }> {
  return new Promise((resolve, reject) => {
    // STRATA_STOP_WITH_PARENT: if this search is killed, the trial stops after its batch and saves.
    const child = spawn(process.execPath, [BIN, 'train', ...trainArgs, '--json'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env, STRATA_STOP_WITH_PARENT: '1' } });
    let stopped = false;
    let stderr = '';
    createInterface({ input: child.stdout }).on('line', (line) => {
      let doc: Record<string, number>;
      try {
        doc = JSON.parse(line) as Record<string, number>;
      } catch {
        return; // not an epoch line
      }
      // Stopped by the scheduler: as Ctrl-C, it saves after its batch and exits 130.
      if (typeof doc.epoch === 'number' && typeof doc.loss === 'number' && !stopped && onEpoch(doc)) {
        stopped = true;
        child.kill('SIGINT');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-4000);
    });
    // Ctrl-C reaches the trial too (the terminal signals the whole process group): it saves its checkpoint and exits 130.
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr, stopped }));
  });
}

/** search.jsonl's trials, the last line of each trial counting (a trial interrupted and then finished has two). */
export function readTrials(file: string, primary?: string): TrialRecord[] {
  const byTrial = new Map<number, TrialRecord>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const t = JSON.parse(line) as TrialRecord;
      // A line strata wrote before several objectives has only the primary one's value.
      if (t.values === undefined && t.value !== undefined && primary !== undefined) t.values = { [primary]: t.value };
      byTrial.set(t.trial, t);
    } catch {
      // a line cut short by a kill: that trial did not finish
    }
  }
  return [...byTrial.values()].sort((a, b) => a.trial - b.trial);
}

/** The parameter count of a trial's model, from its last checkpoint's weights manifest (NaN if it has none). */
function parameterCount(run: string): number {
  const dir = join(run, 'checkpoints');
  const latest = readPointer(dir, LATEST);
  if (!latest) return Number.NaN;
  try {
    return weightCount(readFileSync(join(dir, latest.checkpoint, MODEL_JSON), 'utf8'));
  } catch {
    return Number.NaN;
  }
}


const FINISHED = new Set(['done', 'stopped', 'invalid', 'failed']);
/** A trial that counted: trained (to the end, or stopped by the scheduler) with a finite value of the primary objective. */
export const counted = (t: TrialRecord) => (t.status === 'done' || t.status === 'stopped') && typeof t.value === 'number' && Number.isFinite(t.value);

export async function runSearch(o: SearchOptions): Promise<SearchResult> {
  const { spec, plan, dir } = o;
  const earlier = new Map((o.earlier ?? []).map((t) => [t.trial, t]));
  const trialsDir = join(dir, TRIALS_DIR);
  mkdirSync(trialsDir, { recursive: true });
  const log = join(dir, TRIALS_FILE);
  const s = sampler(plan);
  let best: TrialRecord | undefined;
  const sign = plan.primary.goal === 'maximize' ? -1 : 1;
  const asLoss = (curve: readonly number[]) => curve.map((v) => (Number.isFinite(v) ? sign * v : Infinity));
  // Trial i is drawn once trials 1 to i - parallel have ended, from those alone, whatever the
  // order the running ones end in: the same draws in every run, and in a resumed one.
  const lag = Math.max(1, plan.parallel);
  // Trials side by side share the cores (unless STRATA_THREADS says otherwise).
  const threads: Record<string, string> = lag > 1 && !process.env.STRATA_THREADS ? { STRATA_THREADS: String(Math.max(1, Math.floor(cpus().length / lag))) } : {};
  /** Trial i: its spec (or `invalid`), then strata train on it (or --resume on its run), to its record. */
  const trial = async (i: number, name: string, params: Assignment, earlierCurves: number[][]): Promise<TrialRecord> => {
    // A trial that had started (interrupted, or its line never written) continues from its run's last checkpoint.
    const started = existsSync(join(trialsDir, name, 'checkpoints', 'latest'));
    o.onStart?.(i, params, started);
    const t0 = Date.now();
    let record: TrialRecord;
    let trialSpec: Spec | undefined;
    try {
      trialSpec = parseSpec(spec.file, o.text, { overrides: [...o.sets, ...objectiveSettings(spec, plan.primary), ...Object.entries(params).map(([k, v]) => setting(k, v))] });
    } catch (e) {
      if (!(e instanceof StrataError)) throw e;
      record = { trial: i, params, status: 'invalid', seconds: 0, message: e.diagnostics.map((d) => d.message).join('; ') };
    }
    if (trialSpec) {
      const file = join(trialsDir, `${name}.yaml`);
      absoluteData(trialSpec);
      const { search: _search, ...rest } = trialSpec.raw;
      writeFileSync(file, stringify(rest, { lineWidth: 0 }));
      const run = join(trialsDir, name);
      if (!started) rmSync(run, { recursive: true, force: true });
      const metric = plan.primary.metric;
      // The trial's curve: the epochs before a resumption, then each as it ends.
      const curve = started ? readMetrics(join(run, METRICS_FILE)).map((e) => e[metric] ?? Number.NaN) : [];
      const r = await trainTrial(started ? ['--resume', run, ...o.trainArgs] : [file, '--out', run, ...o.trainArgs], threads, (log) => {
        curve.push(log[metric] ?? Number.NaN);
        return shouldStop(plan.scheduler, asLoss(curve), earlierCurves);
      });
      const seconds = (Date.now() - t0) / 1000;
      // Every epoch of the trial's run, the ones before a resumption included.
      const epochs = readMetrics(join(run, METRICS_FILE));
      const finalCurve = epochs.map((e) => (Number.isFinite(e[metric]) ? e[metric]! : Number.NaN));
      let bestEpoch = -1;
      finalCurve.forEach((v, e) => {
        if (Number.isFinite(v) && (bestEpoch < 0 || better(plan.primary.goal, v, finalCurve[bestEpoch]!))) bestEpoch = e;
      });
      const value = bestEpoch >= 0 ? finalCurve[bestEpoch] : undefined;
      const values: Record<string, number> = {};
      if (bestEpoch >= 0) for (const { metric: m } of plan.objectives) values[m] = m === PARAMS ? parameterCount(run) : (epochs[bestEpoch]![m] ?? Number.NaN);
      const status = r.code === 0 ? 'done' : r.code === 130 ? (r.stopped && !o.interrupted?.() ? 'stopped' : 'interrupted') : 'failed';
      const message = status === 'failed' ? r.stderr.trim().split('\n').slice(-3).join(' ') : undefined;
      record = { trial: i, params, status, ...(value !== undefined ? { value, values } : {}), epochs: finalCurve.length, curve: finalCurve, seconds, run, ...(message ? { message } : {}) };
    }
    return record!;
  };
  const records = new Map<number, TrialRecord>();
  const running = new Map<number, Promise<void>>();
  let stopped = false;
  /** A trial's end: logged (when it ran now), counted, the best kept. */
  const finish = (record: TrialRecord, fresh: boolean) => {
    records.set(record.trial, record);
    if (fresh) appendFileSync(log, `${JSON.stringify(record)}\n`);
    if (counted(record) && (!best || better(plan.primary.goal, record.value!, best.value!))) {
      best = record;
      const yaml = join(trialsDir, `${trialName(record.trial)}.yaml`);
      if (existsSync(yaml)) copyFileSync(yaml, join(dir, BEST_SPEC));
    }
    if (fresh) o.onTrial?.(record, best);
    if (record.status === 'interrupted' || o.interrupted?.()) stopped = true;
  };
  for (let i = 1; i <= plan.trials && !stopped; i++) {
    await running.get(i - lag);
    if (stopped) break;
    const seen = [...Array(Math.max(0, i - lag)).keys()].map((k) => records.get(k + 1)).filter((t): t is TrialRecord => t !== undefined);
    const history: Observation[] = seen.map((t) => ({ params: t.params, value: counted(t) ? sign * t.value! : Number.NaN, ...(plan.objectives.length > 1 ? { losses: counted(t) ? lossVector(t, plan.objectives) : plan.objectives.map(() => Infinity) } : {}) }));
    const params = s.next(history);
    if (params === undefined) break;
    const name = trialName(i);
    const before = earlier.get(i);
    if (before && canonicalJson(before.params) !== canonicalJson(params)) {
      throw new UsageError({ arg: `--resume ${dir}`, code: 'search-diverged', message: `trial ${i} of this search had other parameters than the search draws now (the search: section, its seed, parallel or --set changed); start a new search, or resume with the spec it started with` });
    }
    if (before && FINISHED.has(before.status)) {
      // Finished before the interruption: counted again, not trained again.
      finish(before, false);
      continue;
    }
    const spent = [...records.values()].reduce((sum, t) => sum + t.seconds, 0);
    if (plan.timeBudget !== undefined && spent >= plan.timeBudget && !earlier.has(i)) break;
    const earlierCurves = seen.filter((t) => t.curve).map((t) => asLoss(t.curve!));
    const done = trial(i, name, params, earlierCurves).then((record) => finish(record, true));
    done.catch(() => undefined); // handled where it is awaited; not an unhandled rejection meanwhile
    running.set(i, done);
  }
  await Promise.all(running.values());
  const trials = [...records.values()].sort((a, b) => a.trial - b.trial);
  return { trials, ...(best ? { best } : {}), interrupted: stopped };
}

/**
 * The spec's text as the search directory keeps it (search.yaml, for --resume): a dataset or a
 * teacher given as a path relative to the spec made absolute, so it is found from there; the rest as written.
 */
export function keptSpecText(file: string, text: string): string {
  const doc = parseDocument(text);
  let changed = false;
  for (const { path, absolute } of SPEC_RELATIVE_PATHS) {
    const abs = absolute(file, doc.getIn(path));
    if (abs === undefined) continue;
    doc.setIn(path, abs);
    changed = true;
  }
  return changed ? doc.toString({ lineWidth: 0 }) : text;
}
