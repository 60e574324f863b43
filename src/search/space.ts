/**
 * The search space of `strata search`: the kinds of space a parameter can be
 * drawn from, assignments and observations, and what every sampler shares —
 * checking the parameters (bounds, and conditions whose parent comes first),
 * which parameters are active under an assignment, JSON equality of values,
 * the one mapping of a numeric space to the line samplers draw on, and
 * `sampleOne`, the one uniform draw from a space.
 */

export type Space =
  | { kind: 'uniform'; low: number; high: number }
  | { kind: 'loguniform'; low: number; high: number } // low > 0
  | { kind: 'int'; low: number; high: number; step?: number; log?: boolean } // inclusive bounds
  | { kind: 'choice'; values: unknown[] } // any JSON values
  | { kind: 'grid'; values: unknown[] }; // like choice, but enumerated by the grid sampler

/** A parameter; with `when`, present only when parameter `when.path` was assigned one of `is` (JSON-equal). */
export interface Parameter {
  path: string;
  space: Space;
  when?: { path: string; is: unknown[] };
}

/** Parameter path → value; a conditional parameter whose condition does not hold is absent. */
export type Assignment = Record<string, unknown>;

/** A finished trial. `value` is minimized; NaN or ±Infinity (a failed trial) counts as the worst. */
export interface Observation {
  params: Assignment;
  value: number;
  /** Several objectives: the trial's vector of losses (lower is better in each; not finite is the worst). TPE then ranks trials by Pareto dominance. */
  losses?: readonly number[];
}

export interface Sampler {
  /** The next assignment to try, or undefined when nothing is left (a grid exhausted). */
  next(history: readonly Observation[]): Assignment | undefined;
}

/** A JSON value's text with object keys sorted, so that equal values give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value as Record<string, unknown>)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function jsonEqual(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/** Whether `param`'s condition holds under `assignment` (a parameter without `when` always does). */
export function isActive(param: Parameter, assignment: Assignment): boolean {
  const when = param.when;
  if (when === undefined) return true;
  if (!Object.prototype.hasOwnProperty.call(assignment, when.path)) return false;
  const value = assignment[when.path];
  return when.is.some((v) => jsonEqual(v, value));
}

/** The parameters present under `assignment`, in order (parents are listed before their conditional children). */
export function activeParameters(params: readonly Parameter[], assignment: Assignment): Parameter[] {
  return params.filter((p) => isActive(p, assignment));
}

/**
 * Assign the parameters in order, each active one by `draw` given what is
 * assigned so far: the one walk every sampler makes over the conditions.
 */
export function assignInOrder(params: readonly Parameter[], draw: (param: Parameter, sofar: Assignment) => unknown): Assignment {
  const assignment: Assignment = {};
  for (const p of params) {
    if (isActive(p, assignment)) assignment[p.path] = draw(p, assignment);
  }
  return assignment;
}

/** A mistake in one parameter's space or condition: `path` names it, `reason` says what is wrong. */
export class ParameterProblem extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`search parameter "${path}": ${reason}`);
  }
}

function fail(path: string, message: string): never {
  throw new ParameterProblem(path, message);
}

function checkSpace(path: string, space: Space): void {
  const finite = (n: unknown) => typeof n === 'number' && Number.isFinite(n);
  switch (space.kind) {
    case 'uniform':
    case 'loguniform':
    case 'int': {
      if (!finite(space.low) || !finite(space.high)) fail(path, `${space.kind} needs finite numbers low and high`);
      if (!(space.low < space.high) && !(space.kind === 'int' && space.low === space.high)) {
        fail(path, `${space.kind} needs low < high (got low ${space.low}, high ${space.high})`);
      }
      if (space.kind === 'loguniform' && !(space.low > 0)) fail(path, `loguniform needs low > 0 (got ${space.low})`);
      if (space.kind === 'int') {
        if (!Number.isInteger(space.low) || !Number.isInteger(space.high)) {
          fail(path, `int needs integer bounds (got low ${space.low}, high ${space.high})`);
        }
        const step = space.step ?? 1;
        if (!Number.isInteger(step) || step < 1) fail(path, `int needs a step that is a positive integer (got ${step})`);
        if (space.log === true && !(space.low > 0)) fail(path, `int with log needs low > 0 (got ${space.low})`);
      }
      return;
    }
    case 'choice':
    case 'grid':
      if (!Array.isArray(space.values) || space.values.length === 0) fail(path, `${space.kind} needs a non-empty list of values`);
      return;
    default:
      fail(path, `unknown space kind ${JSON.stringify((space as { kind: unknown }).kind)}`);
  }
}

/**
 * Check every space and condition: unique paths, sound bounds, and each
 * `when` naming a parameter listed before it (which rules out cycles; a cycle
 * is named as such).
 */
export function checkParameters(params: readonly Parameter[]): void {
  const index = new Map<string, number>();
  params.forEach((p, i) => {
    if (typeof p.path !== 'string' || p.path === '') throw new Error(`search parameter ${i + 1} has no path`);
    if (index.has(p.path)) fail(p.path, 'is listed twice');
    index.set(p.path, i);
  });
  params.forEach((p, i) => {
    checkSpace(p.path, p.space);
    const when = p.when;
    if (when === undefined) return;
    if (!Array.isArray(when.is) || when.is.length === 0) fail(p.path, `its condition on "${when.path}" needs a non-empty list "is"`);
    const parent = index.get(when.path);
    if (parent === undefined) fail(p.path, `its condition refers to "${when.path}", which is not a search parameter`);
    if (parent < i) return;
    // A parent at or after the child: a cycle if following the parents leads back here.
    const chain = [p.path];
    let at: Parameter | undefined = params[parent];
    while (at !== undefined && !chain.includes(at.path)) {
      chain.push(at.path);
      at = at.when === undefined ? undefined : params[index.get(at.when.path) ?? -1];
    }
    if (at !== undefined && at.path === p.path) fail(p.path, `the conditions form a cycle: ${[...chain, p.path].join(' → ')}`);
    fail(p.path, `its condition refers to "${when.path}", which is listed after it; list "${when.path}" first`);
  });
}

/**
 * A numeric space as samplers see it: an interval [low, high] of a line
 * (the logarithm for log spaces), `toValue` from a point of the line to the
 * parameter's value (exponentiated, rounded to the int step and clamped),
 * `toLine` back. For `int`, the interval reaches half a step past each end
 * value so that every value owns a bin of the same width, and `bin(v)` is the
 * stretch of the line that rounds to v.
 */
export interface NumericLine {
  low: number;
  high: number;
  toValue(x: number): number;
  toLine(value: number): number;
  bin?(value: number): [number, number];
}

export function numericLine(space: Space): NumericLine | undefined {
  switch (space.kind) {
    case 'uniform':
      return { low: space.low, high: space.high, toValue: (x) => clamp(x, space.low, space.high), toLine: (v) => v };
    case 'loguniform':
      return {
        low: Math.log(space.low),
        high: Math.log(space.high),
        toValue: (x) => clamp(Math.exp(x), space.low, space.high),
        toLine: (v) => Math.log(v),
      };
    case 'int': {
      const step = space.step ?? 1;
      const top = space.low + Math.floor((space.high - space.low) / step) * step;
      const log = space.log === true;
      const t = log ? Math.log : (v: number) => v;
      const inv = log ? Math.exp : (x: number) => x;
      // On a log line the lower edge must stay above 0.
      const lowEdge = log && space.low - step / 2 <= 0 ? space.low / 2 : space.low - step / 2;
      const low = t(lowEdge);
      const high = t(top + step / 2);
      const toValue = (x: number) => clamp(space.low + Math.round((inv(x) - space.low) / step) * step, space.low, top);
      return {
        low,
        high,
        toValue,
        toLine: t,
        bin: (v) => [Math.max(low, t(Math.max(v - step / 2, lowEdge))), Math.min(high, t(v + step / 2))],
      };
    }
    default:
      return undefined;
  }
}

/** The values of an int space, low to high by step. */
export function intValues(space: Extract<Space, { kind: 'int' }>, limit: number): number[] | undefined {
  const step = space.step ?? 1;
  const count = Math.floor((space.high - space.low) / step) + 1;
  if (count > limit) return undefined;
  return Array.from({ length: count }, (_, i) => space.low + i * step);
}

function clamp(x: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, x));
}

/** One draw from `space`, uniform on its line (or over its values), from `u` in [0, 1). */
export function sampleOne(space: Space, u: () => number): unknown {
  if (space.kind === 'choice' || space.kind === 'grid') {
    const i = Math.min(space.values.length - 1, Math.floor(u() * space.values.length));
    return structuredClone(space.values[i]);
  }
  const line = numericLine(space)!;
  return line.toValue(line.low + u() * (line.high - line.low));
}
