import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyOverrides, parseOverride } from '../../src/spec/overrides.js';
import type { Override } from '../../src/spec/overrides.js';

const parse = (s: string) => {
  const o = parseOverride(s);
  assert.ok('path' in o, JSON.stringify(o));
  return o as Override;
};

test('paths with list indices and typed values', () => {
  assert.deepEqual(parse('model.layers[2].units=64'), { arg: '--set model.layers[2].units=64', path: ['model', 'layers', 2, 'units'], value: 64 });
  assert.equal(parse('train.optimizer.learning_rate=1e-4').value, 1e-4);
  assert.equal(parse('a.b=true').value, true);
  assert.equal(parse('a.b=relu').value, 'relu');
  assert.deepEqual(parse('a.b=[3, 3]').value, [3, 3]);
  assert.equal(parse('a.b=null').value, null);
  assert.equal(parse("a.b='64'").value, '64');
  assert.deepEqual(parse('m.l[1][0]=1').path, ['m', 'l', 1, 0]);
});

test('malformed overrides are reported at the argument', () => {
  for (const bad of ['units', '=3', 'a..b=1', 'a[x]=1', 'a.b=[1,']) {
    const o = parseOverride(bad);
    assert.ok(!('path' in o), bad);
    assert.equal(o.arg, `--set ${bad}`);
  }
});

test('applying creates missing keys, refuses missing list entries', () => {
  const spec: Record<string, unknown> = { model: { layers: [{ type: 'dense', units: 1 }] } };
  const applied = new Map<string, string>();
  const problems = applyOverrides(spec, [parse('model.layers[0].units=8'), parse('train.epochs=2'), parse('model.layers[3].units=1'), parse('model.layers[0].units.x=1')], applied);
  assert.deepEqual(spec, { model: { layers: [{ type: 'dense', units: 8 }] }, train: { epochs: 2 } });
  assert.deepEqual([...applied.values()], ['--set model.layers[0].units=8', '--set train.epochs=2']);
  assert.equal(problems.length, 2);
  assert.match(problems[0]!.message, /index 3 is out of range: model\.layers has 1 entries/);
  assert.match(problems[1]!.message, /not a mapping/);
});
