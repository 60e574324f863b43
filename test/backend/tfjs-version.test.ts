/**
 * The version guard on strata's wasm kernels (src/backend/tfjs-version.ts):
 * which versions it accepts, and, in child processes, that under another
 * version (STRATA_TEST_TFJS_VERSION) strata installs none of its kernels,
 * leaves the wasm package's own in place, supplies only the gradients the
 * backend lacks (portable-kernels.ts), computes what the cpu backend computes
 * and says so once on stderr; and that on the real version its kernels are on.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { effectiveVersions, KERNELS_TFJS_RELEASE, kernelsOffNotice, kernelsSupported } from '../../src/backend/tfjs-version.js';
import { maxRelDiff } from '../helpers/layers.js';

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

interface ChildReport {
  backend: string;
  threads: number;
  installed: string[];
  portable: string[];
  replaced: string[];
  added: string[];
  ran: string[];
  wasm: { loss: number; grads: number[][] };
  cpu: { loss: number; grads: number[][] };
}

const CHILD = fileURLToPath(new URL('../helpers/wasm-kernels-child.js', import.meta.url));

function child(env: NodeJS.ProcessEnv): Promise<{ report: ChildReport; stderr: string }> {
  return new Promise((resolve, reject) => {
    const vars = { ...process.env, ...env };
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete vars[k];
    execFile(process.execPath, [CHILD], { env: vars, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`the child failed: ${err.message}\n${stderr}`));
      else resolve({ report: JSON.parse(stdout) as ChildReport, stderr });
    });
  });
}

/** The wasm results against the cpu backend's. */
function agrees(r: ChildReport): void {
  assert.ok(Math.abs(r.wasm.loss - r.cpu.loss) < 1e-5 * Math.max(1, Math.abs(r.cpu.loss)), `loss ${r.wasm.loss} on wasm, ${r.cpu.loss} on cpu`);
  assert.equal(r.wasm.grads.length, 6);
  r.wasm.grads.forEach((g, i) => {
    assert.equal(g.length, r.cpu.grads[i]!.length);
    const d = maxRelDiff(g, r.cpu.grads[i]!);
    assert.ok(d < 1e-4, `gradient ${i}: max relative difference ${d} from the cpu backend`);
  });
}

/** The kernels the test computation runs that strata replaces or supplies on the supported release. */
const STRATA_PATHS = ['BatchMatMul', 'Conv2DBackpropFilter', 'Conv2DBackpropInput', 'MaxPoolGrad', 'Sum', 'Transpose', 'UnsortedSegmentSum'];
/** The gradients the wasm backend of 4.22 has no kernel for. */
const MISSING = ['Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput', 'UnsortedSegmentSum'];

test('under another TensorFlow.js version: none of strata’s kernels, the same results as the cpu backend, one notice', async () => {
  const { report: r, stderr } = await child({ STRATA_TEST_TFJS_VERSION: '4.23.0', STRATA_THREADS: '2' });
  assert.equal(r.backend, 'wasm');
  for (const k of STRATA_PATHS) assert.ok(r.ran.includes(k), `the computation runs ${k}`);
  assert.deepEqual(r.installed, [], 'strata installed none of its wasm kernels');
  assert.deepEqual(r.replaced, [], 'every kernel the wasm package registered is still its own');
  assert.deepEqual(r.added, MISSING, 'only the gradients the backend lacks were added');
  assert.deepEqual(r.portable, MISSING);
  assert.equal(r.threads, 1, 'strata did not start the threaded build');
  agrees(r);
  const lines = stderr.split('\n').filter((l) => l !== '');
  assert.deepEqual(lines, [kernelsOffNotice({ core: '4.23.0', wasm: '4.23.0' })], `stderr: ${stderr}`);
});

test('on the real version strata’s kernels are installed, agree with the cpu backend, and nothing is printed', async () => {
  const { report: r, stderr } = await child({ STRATA_TEST_TFJS_VERSION: undefined, STRATA_THREADS: '1' });
  assert.equal(r.backend, 'wasm');
  for (const k of STRATA_PATHS) assert.ok(r.installed.includes(k), `strata's ${k} is installed`);
  for (const k of ['BatchMatMul', 'Conv2DBackpropInput', 'MaxPoolGrad', 'Transpose']) assert.ok(r.replaced.includes(k), `the wasm package's ${k} is replaced`);
  assert.deepEqual(r.portable, []);
  agrees(r);
  assert.equal(stderr, '');
});
