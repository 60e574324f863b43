/**
 * Reference tables for the training registry's table-driven tests
 * (test/train-registry/): each test file keeps one hand-written reference per
 * entry, by name, and iterates over the registry, so a new entry fails until
 * its reference is written, and a reference whose entry is gone fails too.
 */
import assert from 'node:assert/strict';
import type { Entry } from '../../src/train-registry/entry.js';

/** The reference case of `def` in `table`, or a failure that says where to add one. */
export function referenceFor<T>(table: Readonly<Record<string, T>>, kind: string, def: Entry, file: string): T {
  const ref = Object.hasOwn(table, def.name) ? table[def.name] : undefined;
  if (ref === undefined) {
    assert.fail(`${kind} '${def.name}' has no reference case: add one under '${def.name}' in ${file} (a hand-written float64 reference of what Keras or PyTorch computes)`);
  }
  return ref;
}

/** Every name in `table` is a registered entry: a reference left behind by a removed entry fails. */
export function assertNoStaleReferences(table: Readonly<Record<string, unknown>>, kind: string, names: readonly string[], file: string): void {
  const stale = Object.keys(table).filter((n) => !names.includes(n));
  assert.deepEqual(stale, [], `${file} has reference cases for ${kind} entries that are not registered: ${stale.join(', ')}`);
}

/** Assert that `actual` (float32 from TensorFlow.js) matches `expected` (float64) within `abs + rel·|expected|` per element. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, tol: { abs?: number; rel?: number } = {}): void {
  const abs = tol.abs ?? 1e-6;
  const rel = tol.rel ?? 1e-5;
  assert.equal(actual.length, expected.length, `${what}: ${actual.length} values, expected ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const ok = Math.abs(a - e) <= abs + rel * Math.abs(e);
    if (!ok) assert.fail(`${what}: element ${i} is ${a}, expected ${e} (|diff| ${Math.abs(a - e)}); got [${Array.from(actual).join(', ')}], expected [${Array.from(expected).join(', ')}]`);
  }
}
