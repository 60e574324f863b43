/**
 * `strata search` end to end through the real executable, on a small slice of
 * MNIST: trials train as ordinary runs under the search directory, search.jsonl
 * and best.yaml are written, a grid tries each combination once, and the
 * mistakes a user can make are refused (the search section's own, at their
 * lines, are test/fixtures/invalid/search-*.yaml).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { spawnWatched } from '../helpers/child.js';
import { BIN, hasStackTrace, strata } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { TINY_SEARCH_SPEC } from '../helpers/tiny-search.js';

const SPEC = TINY_SEARCH_SPEC;

function writeSpec(dir: string, search: string): string {
  const file = join(dir, 'search.yaml');
  writeFileSync(file, SPEC + search);
  return file;
}

interface Trial {
  trial: number;
  params: Record<string, unknown>;
  status: string;
  value?: number;
  epochs?: number;
  run?: string;
}

const trials = (dir: string) =>
  readFileSync(join(dir, 'search.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Trial);

test('a random search trains its trials as runs, logs them in search.jsonl and keeps the best spec, which strata train takes', async () => {
  const dir = tempDir('strata-search-');
  const file = writeSpec(
    dir,
    `  parameters:
    train.optimizer.learning_rate: {space: loguniform, low: 0.0003, high: 0.03}
    model.layers[2].units: {space: int, low: 8, high: 32, step: 8}
  objective: {metric: val_accuracy, goal: maximize}
  trials: 3
  algorithm: random
`,
  );
  const out = join(dir, 'out');
  const r = await strata(['search', file, '--out', out, '--backend', 'cpu']);
  assert.equal(r.code, 0, r.stderr);
  const ts = trials(out);
  assert.deepEqual(ts.map((t) => t.trial), [1, 2, 3]);
  for (const t of ts) {
    assert.equal(t.status, 'done');
    assert.equal(t.epochs, 2);
    assert.ok(typeof t.value === 'number' && t.value >= 0 && t.value <= 1);
    const lr = t.params['train.optimizer.learning_rate'] as number;
    assert.ok(lr >= 0.0003 && lr <= 0.03);
    assert.ok([8, 16, 24, 32].includes(t.params['model.layers[2].units'] as number));
    // An ordinary run, with the trial's values in its spec.
    const spec = parse(readFileSync(join(t.run!, 'spec.yaml'), 'utf8')) as { model: { layers: { units?: number }[] }; search?: unknown };
    assert.equal(spec.model.layers[2]!.units, t.params['model.layers[2].units']);
    assert.equal(spec.search, undefined);
    assert.ok(existsSync(join(t.run!, 'checkpoints', 'epoch-0002')));
  }
  const best = ts.reduce((a, b) => (b.value! > a.value! ? b : a));
  // Each trial keeps its best checkpoint by the objective, so evaluating its run evaluates the epoch the search counted.
  const pointer = JSON.parse(readFileSync(join(best.run!, 'checkpoints', 'best'), 'utf8')) as { checkpoint: string };
  const bestMeta = JSON.parse(readFileSync(join(best.run!, 'checkpoints', pointer.checkpoint, 'meta.json'), 'utf8')) as { state: { epoch: number } };
  const logged = readFileSync(join(best.run!, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { val_accuracy: number });
  assert.equal(logged[bestMeta.state.epoch - 1]!.val_accuracy, best.value);
  assert.match(r.stdout, new RegExp(`Best: trial ${best.trial}, val_accuracy ${best.value!.toFixed(4)}`));
  const bestSpec = parse(readFileSync(join(out, 'best.yaml'), 'utf8')) as { model: { layers: { units?: number }[] } };
  assert.equal(bestSpec.model.layers[2]!.units, best.params['model.layers[2].units']);
  const again = await strata(['train', join(out, 'best.yaml'), '--out', join(dir, 'again'), '--backend', 'cpu', '--json']);
  assert.equal(again.code, 0, again.stderr);
  const last = again.stdout.trim().split('\n').filter((l) => l.includes('"epoch"')).pop()!;
  assert.ok(Math.abs((JSON.parse(last) as { val_accuracy: number }).val_accuracy - best.value!) < 1e-9, 'the best spec trains to the best trial again (same seed)');
});

test('a grid search tries every combination once, and stops there', async () => {
  const dir = tempDir('strata-search-');
  const file = writeSpec(
    dir,
    `  parameters:
    model.layers[2].units: {space: grid, values: [8, 16]}
    model.layers[2].activation: {space: choice, values: [relu, tanh]}
  objective: {metric: val_loss, goal: minimize}
  trials: 10
  algorithm: grid
`,
  );
  const r = await strata(['search', file, '--out', join(dir, 'out'), '--backend', 'cpu', '--json', '--set', 'train.epochs=1']);
  assert.equal(r.code, 0, r.stderr);
  const ts = trials(join(dir, 'out'));
  assert.equal(ts.length, 4);
  assert.equal(new Set(ts.map((t) => JSON.stringify(t.params))).size, 4);
  const doc = JSON.parse(r.stdout) as { best: { trial: number; value: number } };
  assert.equal(doc.best.value, Math.min(...ts.map((t) => t.value!)), 'minimize: the lowest val_loss is the best');
});

test('several objectives: each trial judged at its best epoch by the first, params its parameter count, and the Pareto front of the trials', async () => {
  const dir = tempDir('strata-search-');
  const file = writeSpec(
    dir,
    `  parameters:
    model.layers[2].units: {space: grid, values: [4, 8, 32]}
    train.optimizer.learning_rate: {space: grid, values: [0.0003, 0.003]}
  objective:
    - {metric: val_accuracy, goal: maximize}
    - {metric: params, goal: minimize}
  trials: 6
  algorithm: grid
`,
  );
  const out = join(dir, 'out');
  const r = await strata(['search', file, '--out', out, '--backend', 'cpu', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { trials: (Trial & { values: Record<string, number> })[]; front: { trial: number; values: Record<string, number>; spec: string }[] };
  assert.equal(doc.trials.length, 6);
  for (const t of doc.trials) {
    // 784·u + u weights and biases, then 10·u + 10.
    const units = t.params['model.layers[2].units'] as number;
    assert.equal(t.values.params, 784 * units + units + 10 * units + 10);
    const logged = readFileSync(join(t.run!, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { val_accuracy: number });
    assert.equal(t.values.val_accuracy, Math.max(...logged.map((e) => e.val_accuracy)));
    assert.equal(t.value, t.values.val_accuracy);
  }
  // The front by hand: no other trial at least as accurate with at most as many parameters, and better in one.
  const expected = doc.trials
    .filter((t) => !doc.trials.some((o) => o !== t && o.values.val_accuracy >= t.values.val_accuracy && o.values.params <= t.values.params && (o.values.val_accuracy > t.values.val_accuracy || o.values.params < t.values.params)))
    .map((t) => t.trial);
  assert.deepEqual(doc.front.map((f) => f.trial), expected);
  for (const f of doc.front) assert.ok(existsSync(f.spec), f.spec);
  // The smallest model is on the front whatever its accuracy, unless one as small is more accurate.
  const smallest = doc.trials.filter((t) => t.values.params === Math.min(...doc.trials.map((o) => o.values.params)));
  assert.ok(smallest.some((t) => expected.includes(t.trial)));
});

test('strata train refuses a spec with a search section; an objective the runs do not log is refused at its line before any trial, naming what they log', async () => {
  const dir = tempDir('strata-search-');
  const file = writeSpec(
    dir,
    `  parameters:
    model.layers[2].units: {space: choice, values: [8, 16]}
  objective: {metric: val_acc, goal: maximize}
  trials: 2
`,
  );
  let r = await strata(['train', file, '--out', join(dir, 'run'), '--backend', 'cpu']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /search\.yaml:\d+:\d+: error: this spec has a search: section, which strata train does not run: search with strata search/);
  assert.ok(!existsSync(join(dir, 'run')), 'no run directory is left');
  r = await strata(['search', file, '--out', join(dir, 'out'), '--backend', 'cpu', '--set', 'train.epochs=1']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /search\.yaml:\d+:\d+: error: the objective val_acc is not a metric the trials log: .*it logs loss, val_loss, accuracy, val_accuracy/);
  assert.ok(!hasStackTrace(r.stderr));
  assert.ok(!existsSync(join(dir, 'out')), 'refused before any trial');
});

/** Whether a process whose command line holds `text` is running (Linux /proc). */
function running(text: string): boolean {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .some((d) => {
      try {
        return readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(text);
      } catch {
        return false;
      }
    });
}

test('a search killed with SIGKILL mid-trial resumes: finished trials kept, the started one continued from its checkpoint, the same trials as without the kill', async () => {
  const dir = tempDir('strata-search-');
  const file = writeSpec(
    dir,
    `  parameters:
    train.optimizer.learning_rate: {space: loguniform, low: 0.0003, high: 0.03}
    model.layers[2].units: {space: choice, values: [8, 16, 32]}
  objective: {metric: val_accuracy, goal: maximize}
  trials: 3
  algorithm: random
`,
  );
  const sets = ['--set', 'data.limit=3000', '--set', 'train.batch_size=32', '--backend', 'cpu'];
  const whole = await strata(['search', file, '--out', join(dir, 'whole'), ...sets, '--quiet']);
  assert.equal(whole.code, 0, whole.stderr);
  const out = join(dir, 'killed');
  const child = spawnWatched(process.execPath, [BIN, 'search', file, '--out', out, ...sets, '--quiet']);
  const second = join(out, 'trials', '002');
  for (const t0 = Date.now(); !existsSync(join(second, 'metrics.jsonl')); ) {
    assert.ok(Date.now() - t0 < 120_000, 'trial 2 finishes an epoch');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGKILL');
  await child.waitForExit(10_000);
  // The orphaned trial sees its search gone, stops after its batch and saves.
  for (const t0 = Date.now(); running(second); ) {
    assert.ok(Date.now() - t0 < 30_000, 'the orphaned trial stops');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.equal(trials(out).length, 1, 'one trial had finished');
  const r = await strata(['search', '--resume', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /trial 2\/3 \(continued\)/);
  const strip = (ts: Trial[]) => ts.map((t) => ({ trial: t.trial, params: t.params, status: t.status, value: t.value, epochs: t.epochs }));
  const last = (d: string) => [...new Map(trials(d).map((t) => [t.trial, t])).values()];
  assert.deepEqual(strip(last(out)), strip(last(join(dir, 'whole'))));
});

test('asha stops the trials that fall behind at its rungs: fewer epochs than the same search without it, each stopped trial logged as stopped before its last epoch', async () => {
  const dir = tempDir('strata-search-');
  const search = (scheduler: string) => `  parameters:
    train.optimizer.learning_rate: {space: loguniform, low: 0.00001, high: 0.03}
  objective: {metric: val_accuracy, goal: maximize}
  trials: 6
  algorithm: random
  scheduler: ${scheduler}
  reduction: 2
`;
  const epochs = (d: string) => trials(d).reduce((s, t) => s + t.epochs!, 0);
  const file = writeSpec(dir, search('asha'));
  let r = await strata(['search', file, '--out', join(dir, 'asha'), '--backend', 'cpu', '--set', 'train.epochs=4']);
  assert.equal(r.code, 0, r.stderr);
  writeFileSync(file, SPEC + search('none'));
  r = await strata(['search', file, '--out', join(dir, 'none'), '--backend', 'cpu', '--set', 'train.epochs=4']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(epochs(join(dir, 'none')), 24);
  const stopped = trials(join(dir, 'asha')).filter((t) => t.status === 'stopped');
  assert.ok(stopped.length > 0, 'some trials stopped');
  // Stopped at a rung (1 or 2 epochs); the trial hears it after its batch, so a fast one may log one epoch more.
  for (const t of stopped) assert.ok(t.epochs! < 4, `stopped before its last epoch, not after ${t.epochs}`);
  assert.ok(epochs(join(dir, 'asha')) < 24, `asha trained ${epochs(join(dir, 'asha'))} epochs`);
  // The same draws either way (the scheduler does not change what is sampled), and the same curve while a trial runs.
  assert.deepEqual(trials(join(dir, 'asha')).map((t) => t.params), trials(join(dir, 'none')).map((t) => t.params));
});

test('parallel: 2 trials at a time, drawn as one at a time draws them (random ignores the results), the second started before the first ends', async () => {
  const dir = tempDir('strata-search-');
  const file = writeSpec(
    dir,
    `  parameters:
    train.optimizer.learning_rate: {space: loguniform, low: 0.0003, high: 0.03}
  objective: {metric: val_accuracy, goal: maximize}
  trials: 4
  algorithm: random
`,
  );
  const one = await strata(['search', file, '--out', join(dir, 'one'), '--backend', 'cpu', '--set', 'train.epochs=1']);
  assert.equal(one.code, 0, one.stderr);
  const two = await strata(['search', file, '--out', join(dir, 'two'), '--backend', 'cpu', '--set', 'train.epochs=1', '--parallel', '2']);
  assert.equal(two.code, 0, two.stderr);
  assert.match(two.stderr, /4 trials \(random, 2 at a time\)/);
  assert.ok(two.stderr.indexOf('trial 2/4  train') < two.stderr.indexOf('trial 1/4  done'), two.stderr);
  const byTrial = (d: string) => trials(d).sort((a, b) => a.trial - b.trial);
  assert.deepEqual(byTrial(join(dir, 'two')).map((t) => [t.params, t.value]), byTrial(join(dir, 'one')).map((t) => [t.params, t.value]), 'the same trials, trained alike');
});

test('the shipped configs/mnist-mlp-search.yaml searches (on a slice: 2 trials of 1 epoch)', async () => {
  const dir = tempDir('strata-search-');
  const r = await strata(['search', 'configs/mnist-mlp-search.yaml', '--out', join(dir, 'out'), '--backend', 'cpu', '--set', 'data.limit=300', '--set', 'train.epochs=1', '--set', 'search.trials=2', '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(trials(join(dir, 'out')).filter((t) => t.status === 'done').length, 2);
  assert.ok(existsSync(join(dir, 'out', 'best.yaml')));
});
