/** The test helpers that run child processes bound every wait, and say why a wait failed. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawnWatched } from './child.js';
import { cliTimeoutMs, strata } from './cli.js';

const node = (code: string) => spawnWatched(process.execPath, ['-e', code]);

test('waitFor resolves with the match once the output shows it', async () => {
  const child = node("process.stderr.write('warming up\\n'); setTimeout(() => process.stderr.write('ready on port 4711\\n'), 50); setTimeout(() => {}, 200);");
  const m = await child.waitFor(/ready on port (\d+)/, 10_000);
  assert.equal(m[1], '4711');
  assert.deepEqual(await child.waitForExit(10_000), { code: 0, signal: null });
});

test('waitFor rejects with the stderr when the child exits first', async () => {
  const child = node("process.stderr.write('cannot open the dataset\\n'); process.exit(3);");
  await assert.rejects(child.waitFor('Training', 10_000), /exited \(code 3\) before printing stderr matching \/Training\/\. Its stderr:\ncannot open the dataset/);
});

test('waitFor and waitForExit reject in time when the child hangs, and kill it', async () => {
  const child = node("process.stderr.write('stuck\\n'); setInterval(() => {}, 1000);");
  // Let it start first: on a loaded machine Node alone can take longer than the 300 ms below.
  await child.waitFor('stuck', 30_000);
  const started = Date.now();
  await assert.rejects(child.waitFor('never printed', 300), /no stderr matching \/never printed\/ within 300 ms; killed it\. Its stderr:\nstuck/);
  assert.ok(Date.now() - started < 5000);
  assert.equal((await child.waitForExit(10_000)).signal, 'SIGKILL');

  const other = node('setInterval(() => {}, 1000);');
  await assert.rejects(other.waitForExit(300), /still running after 300 ms; killed it/);
  assert.equal((await other.waitForExit(10_000)).signal, 'SIGKILL');
});

test('strata() kills a run that outlasts STRATA_TEST_CLI_TIMEOUT_MS and says so', async () => {
  assert.equal(cliTimeoutMs({}), 600_000);
  assert.equal(cliTimeoutMs({ STRATA_TEST_CLI_TIMEOUT_MS: '2500' }), 2500);
  assert.throws(() => cliTimeoutMs({ STRATA_TEST_CLI_TIMEOUT_MS: '10s' }), /STRATA_TEST_CLI_TIMEOUT_MS is '10s'/);
  const saved = process.env.STRATA_TEST_CLI_TIMEOUT_MS;
  process.env.STRATA_TEST_CLI_TIMEOUT_MS = '1';
  try {
    await assert.rejects(strata(['train', 'configs/mnist-mlp.yaml', '--backend', 'cpu']), /^Error: strata train configs\/mnist-mlp\.yaml --backend cpu: killed after 1 ms without finishing/);
  } finally {
    if (saved === undefined) delete process.env.STRATA_TEST_CLI_TIMEOUT_MS;
    else process.env.STRATA_TEST_CLI_TIMEOUT_MS = saved;
  }
});
