/**
 * Random search: every trial an independent draw of each active parameter
 * from its space. Trial k draws from its own stream, seeded by the search's
 * seed and k, so the same seed gives the same sequence of assignments.
 */
import { mixSeed, Rng } from '../rng.js';
import { assignInOrder, checkParameters, sampleOne } from './space.js';
import type { Assignment, Parameter, Sampler } from './space.js';

/** A draw of every active parameter, uniform on its space, from `u`. */
export function randomAssignment(params: readonly Parameter[], u: () => number): Assignment {
  return assignInOrder(params, (p) => sampleOne(p.space, u));
}

export function randomSampler(params: readonly Parameter[], seed: number): Sampler {
  checkParameters(params);
  let calls = 0;
  return {
    next() {
      const rng = new Rng(mixSeed(seed, calls++));
      return randomAssignment(params, () => rng.next());
    },
  };
}
