/** Carving the validation split out of the training examples, as the spec's `data.validation` asks. */
import { UsageError } from '../../errors.js';
import { holdOut, limited, tail } from '../shuffle.js';
import type { Split } from '../types.js';
import type { FormatContext } from './context.js';

/**
 * Given the training example indices, return train/validation/test splits.
 * Each split carries its `indices`.
 * `ordered`: hold out the last part (sequences) rather than a seeded random part.
 */
export function arrangeSplits(ctx: FormatContext, train: Int32Array, test: Int32Array | undefined, makeRows: (indices: Int32Array) => Split, ordered: boolean): { train: Split; validation?: Split; test?: Split } {
  // Each split keeps its indices, so the rows it holds can be named (Dataset.sources).
  const make = (indices: Int32Array): Split => ({ ...makeRows(indices), indices });
  const v = ctx.validation;
  const limit = ctx.d.limit;
  const testSplit = test ? make(limited(test, limit)) : undefined;
  if (v === undefined) return { train: make(limited(train, limit)), ...(testSplit ? { test: testSplit } : {}) };
  if (typeof v === 'string') {
    if (v !== 'test' || !testSplit) {
      throw new UsageError({ code: 'bad-validation', message: `data.validation: '${v}' is not a split of ${ctx.d.name}; give a fraction such as 0.1${testSplit ? ', or test' : ''}` });
    }
    return { train: make(limited(train, limit)), validation: testSplit, test: testSplit };
  }
  const { keep, held } = ordered ? tail(train.length, v) : holdOut(train.length, v, ctx.seed);
  const pick = (sub: Int32Array) => Int32Array.from(sub, (i) => train[i]!);
  return { train: make(limited(pick(keep), limit)), validation: make(limited(pick(held), limit)), ...(testSplit ? { test: testSplit } : {}) };
}

/** A split of a probed dataset (`FormatContext.probe`): its size, and no examples to hand out. */
export function probedSplit(indices: Int32Array): Split {
  return {
    size: indices.length,
    batch() {
      throw new Error('a probed dataset has no examples to hand out; load it without probe');
    },
  };
}
