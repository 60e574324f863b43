/**
 * A spec's `search:` section read into a plan for `strata search`, and
 * checked like the rest of the spec, each mistake at its line: a key path
 * that is not one, bounds that make no sense, a condition on a parameter that
 * is not listed before it, and every value a parameter can take (its bounds,
 * each of its values) tried in the spec it would change, so that a path that
 * points nowhere, or a value the key's schema or the model's shapes refuse,
 * is said before any trial trains. The section's shape is checked with the
 * rest of the spec (src/spec/sections.ts, searchSchema).
 */
import { placeIn } from '../spec/place.js';
import { StrataError, UsageError } from '../errors.js';
import type { Diagnostic } from '../errors.js';
import { parseOverride } from '../spec/overrides.js';
import { parseSpec } from '../spec/read.js';
import type { Spec } from '../spec/types.js';
import { gridSampler } from './grid.js';
import { checkParameters, ParameterProblem } from './space.js';
import type { Parameter, Space } from './space.js';
import type { SchedulerOptions } from './scheduler.js';
import { PARAMS, primaryObjective } from './objectives.js';
import type { Objective } from './objectives.js';

export interface SearchPlan {
  parameters: Parameter[];
  /** What a trial is judged by: one objective, or several for a Pareto front. */
  objectives: Objective[];
  /** The first objective that is a logged metric: a trial's best epoch, the scheduler's curve, the best trial. */
  primary: Objective;
  trials: number;
  algorithm: 'random' | 'grid' | 'tpe';
  seed: number;
  scheduler: SchedulerOptions;
  /** Trials trained at a time. */
  parallel: number;
  /** Seconds of training after which no new trial starts. */
  timeBudget?: number;
}

interface RawSpace {
  space: Space['kind'];
  low?: number;
  high?: number;
  step?: number;
  values?: unknown[];
  when?: Record<string, unknown>;
}

/** `path=value` as `--set` takes it (JSON is YAML, so any value reads back as itself). */
export function setting(path: string, value: unknown): string {
  return `${path}=${JSON.stringify(value)}`;
}

/** The values worth trying at check time: a numeric space's bounds, a list's every value. */
function extremes(space: Space): unknown[] {
  switch (space.kind) {
    case 'choice':
    case 'grid':
      return space.values;
    case 'int': {
      const step = space.step ?? 1;
      return [space.low, space.low + Math.floor((space.high - space.low) / step) * step];
    }
    default:
      return [space.low, space.high];
  }
}

/**
 * The plan of `spec`'s search section (`text`: the spec file's text; `sets`: the user's
 * --set overrides, which every trial gets too). Throws a UsageError with every mistake found.
 */
export function readSearch(spec: Spec, text: string, sets: readonly string[]): SearchPlan {
  const raw = spec.raw.search as
    | { parameters: Record<string, RawSpace>; objective: Objective | Objective[]; trials?: number; algorithm?: SearchPlan['algorithm']; seed?: number; scheduler?: SchedulerOptions['kind']; grace_epochs?: number; reduction?: number; min_trials?: number; time_budget?: number; parallel?: number }
    | undefined;
  if (!raw) throw new UsageError({ file: spec.file, code: 'no-search', message: 'this spec has no search: section; add one (docs/search.md), or train the spec with strata train' });
  const problems: Diagnostic[] = [];
  const parameters: Parameter[] = [];
  for (const [path, s] of Object.entries(raw.parameters)) {
    const here = ['search', 'parameters', path];
    if ('code' in parseOverride(setting(path, 0))) {
      problems.push({ ...placeIn(spec, here), code: 'search-bad-path', message: `'${path}' is not a key path; write keys separated by dots, with list indices in brackets, as --set does: model.layers[2].units` });
      continue;
    }
    const space: Space = s.space === 'choice' || s.space === 'grid' ? { kind: s.space, values: s.values! } : s.space === 'int' ? { kind: 'int', low: s.low!, high: s.high!, ...(s.step !== undefined ? { step: s.step } : {}) } : { kind: s.space, low: s.low!, high: s.high! };
    const when = s.when ? Object.entries(s.when)[0]! : undefined;
    parameters.push({ path, space, ...(when ? { when: { path: when[0], is: Array.isArray(when[1]) ? when[1] : [when[1]] } } : {}) });
  }
  try {
    checkParameters(parameters);
  } catch (e) {
    if (!(e instanceof ParameterProblem)) throw e;
    problems.push({ ...placeIn(spec, ['search', 'parameters', e.path]), code: 'search-bad-space', message: e.reason });
  }
  const algorithm = raw.algorithm ?? 'tpe';
  if (algorithm === 'grid' && problems.length === 0) {
    try {
      gridSampler(parameters);
    } catch (e) {
      problems.push({ ...placeIn(spec, ['search', 'algorithm']), code: 'search-grid-continuous', message: (e as Error).message });
    }
  }
  const listed = Array.isArray(raw.objective);
  const objectives = listed ? (raw.objective as Objective[]) : [raw.objective as Objective];
  const objectivePlace = (i: number) => placeIn(spec, listed ? ['search', 'objective', i, 'metric'] : ['search', 'objective', 'metric']);
  objectives.forEach((o, i) => {
    if (objectives.findIndex((p) => p.metric === o.metric) < i) problems.push({ ...objectivePlace(i), code: 'search-duplicate-objective', message: `${o.metric} is already an objective of this search; list each metric once` });
  });
  if (!primaryObjective(objectives)) problems.push({ ...placeIn(spec, ['search', 'objective']), code: 'search-no-metric', message: `${PARAMS} (the parameter count) is known before training, so a search needs a metric the trials log as well; add one, such as {metric: val_accuracy, goal: maximize}` });
  if (problems.length === 0) problems.push(...tryValues(spec, text, sets, parameters));
  if (problems.length === 0) {
    // Each objective must be a metric the trials log (or params): checked as a checkpoint monitor
    // is, which the primary one becomes in each trial unless the spec sets its own (objectiveSettings).
    objectives.forEach((o, i) => {
      if (o.metric === PARAMS) return;
      try {
        parseSpec(spec.file, text, { overrides: [...sets, setting('train.checkpoint.monitor', o.metric)] });
      } catch (e) {
        if (!(e instanceof StrataError)) throw e;
        problems.push({ ...objectivePlace(i), code: 'search-unknown-metric', message: `the objective ${o.metric} is not a metric the trials log: ${e.diagnostics[0]!.message}` });
      }
    });
  }
  if (problems.length > 0) throw new UsageError(problems);
  const scheduler: SchedulerOptions = { kind: raw.scheduler ?? 'none', grace: raw.grace_epochs ?? 1, reduction: raw.reduction ?? 3, minTrials: raw.min_trials ?? 3 };
  return { parameters, objectives, primary: primaryObjective(objectives)!, trials: raw.trials ?? 10, algorithm, seed: raw.seed ?? spec.seed ?? 0, scheduler, parallel: raw.parallel ?? 1, ...(raw.time_budget !== undefined ? { timeBudget: raw.time_budget } : {}) };
}

/** Every value each parameter can take at its ends, in the spec it changes (a conditional one with its condition met). */
function tryValues(spec: Spec, text: string, sets: readonly string[], parameters: readonly Parameter[]): Diagnostic[] {
  const problems: Diagnostic[] = [];
  for (const p of parameters) {
    const condition = p.when ? [setting(p.when.path, p.when.is[0])] : [];
    for (const value of extremes(p.space)) {
      try {
        parseSpec(spec.file, text, { overrides: [...sets, ...condition, setting(p.path, value)] });
      } catch (e) {
        if (!(e instanceof StrataError)) throw e;
        const first = e.diagnostics[0]!;
        problems.push({ ...placeIn(spec, ['search', 'parameters', p.path]), code: 'search-bad-value', message: `${p.path} = ${JSON.stringify(value)} makes a spec strata refuses: ${first.message}` });
        break;
      }
    }
  }
  return problems;
}

/**
 * The --set overrides that make each trial keep its best checkpoint by the search's objective
 * (train.checkpoint.monitor and mode), unless the spec chooses its own monitor: the best trial's
 * run then evaluates the epoch the search counted. None when the spec sets a monitor.
 */
export function objectiveSettings(spec: Spec, objective: Objective): string[] {
  const checkpoint = (spec.raw.train as { checkpoint?: { monitor?: unknown } } | undefined)?.checkpoint;
  if (checkpoint?.monitor !== undefined) return [];
  return [setting('train.checkpoint.monitor', objective.metric), setting('train.checkpoint.mode', objective.goal === 'maximize' ? 'max' : 'min')];
}
