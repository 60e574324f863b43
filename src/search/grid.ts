/**
 * Grid search: every combination of the parameters' values exactly once, the
 * first parameter varying slowest. `grid` and `choice` spaces give their
 * values, an `int` space low to high by step (up to MAX_INT_VALUES of them);
 * a continuous space is refused. A conditional parameter takes part only in
 * the combinations where its condition holds, so no two combinations differ
 * in an inactive parameter alone. Combinations already in the history (a
 * resumed search) are passed over.
 */
import { canonicalJson, checkParameters, intValues, isActive } from './space.js';
import type { Assignment, Parameter, Sampler } from './space.js';

/** The most values an `int` space may enumerate in a grid. */
export const MAX_INT_VALUES = 1000;

/** The values a grid enumerates for `param`, or an Error naming it. */
function gridValues(param: Parameter): unknown[] {
  const space = param.space;
  switch (space.kind) {
    case 'grid':
    case 'choice':
      return space.values;
    case 'int': {
      const values = intValues(space, MAX_INT_VALUES);
      if (values === undefined) {
        throw new Error(
          `grid search cannot enumerate parameter "${param.path}": its int space has more than ${MAX_INT_VALUES} values; raise the step, narrow the bounds or use random or tpe`,
        );
      }
      return values;
    }
    default:
      throw new Error(
        `grid search cannot enumerate parameter "${param.path}": a ${space.kind} space is continuous; give it a grid, choice or int space, or use random or tpe`,
      );
  }
}

/** Every combination, depth first: the first parameter varies slowest. */
function* combinations(params: readonly Parameter[], values: readonly unknown[][], i: number, sofar: Assignment): Generator<Assignment> {
  if (i === params.length) {
    yield structuredClone(sofar);
    return;
  }
  const p = params[i]!;
  if (!isActive(p, sofar)) {
    yield* combinations(params, values, i + 1, sofar);
    return;
  }
  for (const v of values[i]!) {
    sofar[p.path] = v;
    yield* combinations(params, values, i + 1, sofar);
  }
  delete sofar[p.path];
}

export function gridSampler(params: readonly Parameter[]): Sampler {
  checkParameters(params);
  const values = params.map(gridValues);
  const all = combinations(params, values, 0, {});
  return {
    next(history) {
      const seen = new Set(history.map((o) => canonicalJson(o.params)));
      for (let r = all.next(); r.done !== true; r = all.next()) {
        if (!seen.has(canonicalJson(r.value))) return r.value;
      }
      return undefined;
    },
  };
}
