/**
 * Upgrading specs written for an older `version:`. Each step turns a spec of
 * version n into version n + 1 and is registered under n; an old spec is
 * taken through every step up to the current version. Version 1 is the first
 * format, so there are no steps yet; the next format change adds one here.
 */
import { UsageError } from '../errors.js';
import { SPEC_VERSION } from './sections.js';

/** Turns a spec (as a plain value) of one version into the next; returns a new value. */
export type UpgradeStep = (spec: Record<string, unknown>) => Record<string, unknown>;

/** Steps by the version they upgrade from. */
export const UPGRADE_STEPS: ReadonlyMap<number, UpgradeStep> = new Map();

export interface Upgraded {
  spec: Record<string, unknown>;
  /** The versions upgraded from, in order (empty when the spec was current). */
  applied: number[];
}

/**
 * Take `spec` to version `current`. A spec without a numeric version is left
 * for validation to report; one newer than `current` is refused.
 */
export function upgradeSpec(
  spec: Record<string, unknown>,
  file: string,
  o: { steps?: ReadonlyMap<number, UpgradeStep>; current?: number } = {},
): Upgraded {
  const steps = o.steps ?? UPGRADE_STEPS;
  const current = o.current ?? SPEC_VERSION;
  let version = spec.version;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) return { spec, applied: [] };
  if (version > current) {
    throw new UsageError({ file, code: 'newer-version', message: `the spec has version ${version}, but this strata reads versions up to ${current}; upgrade strata` });
  }
  const applied: number[] = [];
  let out = spec;
  while (version < current) {
    const step = steps.get(version);
    if (!step) throw new Error(`no upgrade step registered from spec version ${version}`);
    out = { ...step(out), version: version + 1 };
    applied.push(version);
    version++;
  }
  return { spec: out, applied };
}
