/** The version guard on strata's wasm kernels (src/backend/tfjs-version.ts): which versions it accepts, and its notice. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { effectiveVersions, KERNELS_TFJS_RELEASE, kernelsOffNotice, kernelsSupported } from '../../src/backend/tfjs-version.js';

test('the kernels are supported on every 4.22 patch release of both packages, and on nothing else', () => {
  assert.equal(KERNELS_TFJS_RELEASE, '4.22');
  const both = (v: string) => kernelsSupported({ core: v, wasm: v });
  for (const v of ['4.22.0', '4.22.1', '4.22.15']) assert.ok(both(v), v);
  for (const v of ['4.21.0', '4.23.0', '5.22.0', '3.22.0', '4.2.2', '4.220.0', '4.22', '4.22.0-rc.1', '4.22.x', 'unknown', '']) assert.ok(!both(v), v);
  assert.ok(!kernelsSupported({ core: '4.22.0', wasm: '4.23.0' }), 'a wasm package of another release');
  assert.ok(!kernelsSupported({ core: '4.21.0', wasm: '4.22.0' }), 'a core package of another release');
});

test('STRATA_TEST_TFJS_VERSION stands in for both packages’ versions; unset or empty, the loaded ones count', () => {
  const loaded = { core: '4.22.0', wasm: '4.22.0' };
  assert.deepEqual(effectiveVersions(loaded, {}), loaded);
  assert.deepEqual(effectiveVersions(loaded, { STRATA_TEST_TFJS_VERSION: '' }), loaded);
  assert.deepEqual(effectiveVersions(loaded, { STRATA_TEST_TFJS_VERSION: '4.23.0' }), { core: '4.23.0', wasm: '4.23.0' });
  assert.deepEqual(effectiveVersions({ core: undefined, wasm: '4.22.0' }, {}), { core: 'unknown', wasm: '4.22.0' });
});

test('the notice is one line naming the version found, the release needed, that the kernels are off and that training works', () => {
  const one = kernelsOffNotice({ core: '4.23.0', wasm: '4.23.0' });
  assert.ok(!one.includes('\n'));
  assert.match(one, /^strata: note: found TensorFlow\.js 4\.23\.0, but strata's own wasm kernels .* need TensorFlow\.js 4\.22\.x, so they are off; training still works .*slower\.$/);
  assert.match(kernelsOffNotice({ core: '4.22.0', wasm: '4.21.0' }), /found @tensorflow\/tfjs-core 4\.22\.0 with @tensorflow\/tfjs-backend-wasm 4\.21\.0,/);
});
