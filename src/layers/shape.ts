/**
 * Shapes as the spec checker sees them: without the batch dimension, `null`
 * for a dimension of any size. Shape rules throw `ShapeProblem`; the graph
 * checker adds which layer and which producer were involved.
 */

export type Shape = readonly (number | null)[];

/** A layer's rule rejected its input. */
export class ShapeProblem extends Error {
  /** When set, the input does not have the form the layer expects, e.g. `[batch, features]`. */
  readonly expects?: string;
  /** What to change, e.g. "add a flatten layer before it". */
  readonly hint?: string;
  /** Which input (for layers with several) the problem concerns. */
  readonly inputIndex?: number;
  /** For merges: the two inputs that do not fit together. */
  readonly pair?: readonly [number, number];

  constructor(message: string, o: { expects?: string; hint?: string; inputIndex?: number; pair?: [number, number] } = {}) {
    super(message);
    this.expects = o.expects;
    this.hint = o.hint;
    this.inputIndex = o.inputIndex;
    this.pair = o.pair;
  }
}

export function formatShape(s: Shape): string {
  return `[${['batch', ...s.map((d) => (d === null ? '?' : String(d)))].join(', ')}]`;
}

/**
 * Require an input of one of the given ranks (not counting the batch). `expects`
 * describes the form in words; `hint` says what to add for a given wrong rank.
 */
export function expectRank(input: Shape, ranks: readonly number[], expects: string, hint: (rank: number) => string | undefined): void {
  if (!ranks.includes(input.length)) {
    throw new ShapeProblem('', { expects, hint: hint(input.length) });
  }
}

/** Require that the last dimension be known (weights are sized by it). */
export function knownLast(input: Shape, what: string): number {
  const last = input[input.length - 1];
  if (last === null || last === undefined) {
    throw new ShapeProblem(`needs a known ${what} (the last dimension), but it is unknown; give the input layer a fixed size there`);
  }
  return last;
}

/** One dimension through a convolution or pooling window. */
export function windowOutput(n: number | null, size: number, stride: number, padding: string, dilation = 1, what = 'kernel'): number | null {
  if (n === null) return null;
  if (padding === 'same' || padding === 'causal') return Math.ceil(n / stride);
  const span = (size - 1) * dilation + 1;
  const out = Math.floor((n - span) / stride) + 1;
  if (out < 1) {
    throw new ShapeProblem(`${what} of size ${span} does not fit an input dimension of ${n} with padding 'valid'; use a smaller ${what}, or padding: same`);
  }
  return out;
}

/** `3` or `[3, 3]` as a list of `dims` integers. */
export function expand(v: number | readonly number[], dims: number): number[] {
  return typeof v === 'number' ? new Array<number>(dims).fill(v) : [...v];
}

export function product(s: Shape): number | null {
  let p = 1;
  for (const d of s) {
    if (d === null) return null;
    p *= d;
  }
  return p;
}
