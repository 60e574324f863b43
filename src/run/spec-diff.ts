/**
 * What changed between a run's spec and the spec given on resume, and
 * whether each change is safe to apply to a run in progress. Changes to the
 * model that alter weight shapes are refused later, when the checkpoint's
 * weights are put into the new model; everything else applies, and changes
 * that make the run differ from an uninterrupted one are flagged.
 */
import { formatPath } from '../document/source.js';

export interface SpecChange {
  path: string;
  from: unknown;
  to: unknown;
  /** Safe: only how long or how patiently training goes on (epochs, early stopping, schedule, checkpoints). */
  safe: boolean;
}

const SAFE = [/^train\.epochs$/, /^train\.early_stopping\b/, /^train\.schedule\b/, /^train\.checkpoint\b/, /^train\.steps_per_epoch$/, /^train\.metrics\b/, /^train\.top_k$/, /^description$/, /^name$/];

export function diffSpecs(before: unknown, after: unknown, path: (string | number)[] = []): SpecChange[] {
  const same = JSON.stringify(before) === JSON.stringify(after);
  if (same) return [];
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObj(before) && isObj(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    return keys.flatMap((k) => diffSpecs(before[k], after[k], [...path, k]));
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    return before.flatMap((v, i) => diffSpecs(v, after[i], [...path, i]));
  }
  const p = formatPath(path);
  return [{ path: p, from: before, to: after, safe: SAFE.some((r) => r.test(p)) }];
}

const show = (v: unknown) => (v === undefined ? '(unset)' : JSON.stringify(v));

export function describeChange(c: SpecChange): string {
  return `  ${c.path}: ${show(c.from)} → ${show(c.to)}${c.safe ? '' : '  (the run will no longer match an uninterrupted one)'}`;
}
