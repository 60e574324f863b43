/** The spec upgrade mechanism, exercised with made-up steps (version 1 is the only real one). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SPEC_VERSION } from '../../src/spec/sections.js';
import { UPGRADE_STEPS, upgradeSpec } from '../../src/spec/upgrade.js';
import type { UpgradeStep } from '../../src/spec/upgrade.js';

const rename: UpgradeStep = (spec) => {
  const { model, ...rest } = spec;
  return { ...rest, network: model };
};
const addSeed: UpgradeStep = (spec) => ({ ...spec, seed: 7 });
const steps = new Map([[1, rename], [2, addSeed]]);

test('an old spec goes through every step, one per version, in order', () => {
  const r = upgradeSpec({ version: 1, model: { layers: [] } }, 'old.yaml', { steps, current: 3 });
  assert.deepEqual(r.applied, [1, 2]);
  assert.deepEqual(r.spec, { version: 3, network: { layers: [] }, seed: 7 });
  const from2 = upgradeSpec({ version: 2, network: {} }, 'v2.yaml', { steps, current: 3 });
  assert.deepEqual(from2, { spec: { version: 3, network: {}, seed: 7 }, applied: [2] });
});

test('a current spec is returned as it is; a newer one is refused', () => {
  const spec = { version: SPEC_VERSION, model: {} };
  assert.equal(upgradeSpec(spec, 's.yaml').spec, spec);
  assert.throws(() => upgradeSpec({ version: 4 }, 'new.yaml', { steps, current: 3 }), /new\.yaml: error: the spec has version 4, but this strata reads versions up to 3; upgrade strata/);
});

test('every version below the current one has its step', () => {
  for (let v = 1; v < SPEC_VERSION; v++) assert.ok(UPGRADE_STEPS.has(v), `no upgrade step from version ${v}`);
  assert.throws(() => upgradeSpec({ version: 1 }, 'gap.yaml', { steps: new Map([[2, addSeed]]), current: 3 }), /no upgrade step registered from spec version 1/);
});
