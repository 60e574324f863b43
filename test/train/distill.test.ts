/**
 * train.distill: the distillation term against a hand computation, the loss it
 * makes (alpha · the loss on the labels + (1 - alpha) · the term), alpha 1 the
 * same training as without a teacher bit for bit, and the teacher's checks at
 * train.distill.teacher's line (missing, not a run, other shapes, other data).
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { loadEngine } from '../../src/backend/select.js';
import type { Engine } from '../../src/backend/select.js';
import type { Tensor } from '@tensorflow/tfjs-core';
import { UsageError, formatDiagnostic } from '../../src/errors.js';
import { buildModel } from '../../src/model/build.js';
import { createRunDir } from '../../src/run/run-dir.js';
import { runSession } from '../../src/run/session.js';
import { parseSpec } from '../../src/spec/read.js';
import { trainConfig } from '../../src/train/config.js';
import { distillationTerm, logitsOf } from '../../src/train/distill.js';
import { initialState, train } from '../../src/train/loop.js';
import { blobs, blobsSpec } from '../helpers/synthetic.js';
import { tempDir } from '../helpers/tmp.js';

let engine: Engine;
before(async () => {
  engine = await loadEngine(process.env.STRATA_TEST_BACKEND ?? 'cpu');
});

test("a confident teacher's tiny probabilities keep their order in the logits (not all floored to one value)", async () => {
  const { tf } = engine;
  const logits = logitsOf(tf, tf.tensor2d([[1 - 1.001e-9, 1e-9, 1e-12]]));
  const [, a, b] = (await logits.data()) as Float32Array;
  logits.dispose();
  assert.ok(Math.abs(a! - Math.log(1e-9)) < 1e-3 && Math.abs(b! - Math.log(1e-12)) < 1e-3, `${a}, ${b}`);
});

test('the distillation term is T² · mean KL(softmax(log t / T) ‖ softmax(log s / T)), by hand on a batch of two', async () => {
  const { tf } = engine;
  const teacher = [
    [0.7, 0.2, 0.1],
    [0.1, 0.1, 0.8],
  ];
  const student = [
    [0.5, 0.3, 0.2],
    [0.3, 0.3, 0.4],
  ];
  const T = 2;
  // softmax(log p / T) = p^(1/T) / Σ p^(1/T).
  const soften = (p: number[]) => {
    const q = p.map((v) => Math.pow(v, 1 / T));
    const sum = q.reduce((a, b) => a + b, 0);
    return q.map((v) => v / sum);
  };
  const kl = teacher.map((t, i) => {
    const [a, b] = [soften(t), soften(student[i]!)];
    return a.reduce((sum, v, j) => sum + v * Math.log(v / b[j]!), 0);
  });
  const expected = ((kl[0]! + kl[1]!) / 2) * T * T;
  const term = distillationTerm(tf, tf.tensor2d(teacher), tf.tensor2d(student), T);
  const got = (await term.data())[0]!;
  term.dispose();
  assert.ok(Math.abs(got - expected) < 1e-6, `${got} against ${expected}`);
  assert.ok(expected > 0.01, 'a term worth testing');
  // The same distributions: no term.
  const none = distillationTerm(tf, tf.tensor2d(teacher), tf.tensor2d(teacher), 5);
  assert.ok(Math.abs((await none.data())[0]!) < 1e-6);
  none.dispose();
});

/** Blobs without dropout, so that a training step's outputs are the model's predictions. */
const plainSpec = (units: number, extra = '') => blobsSpec(8, 3, extra).replace('    - type: dropout\n      rate: 0.2\n', '').replace('units: 16', `units: ${units}`);

function model(text: string) {
  const spec = parseSpec('blobs.yaml', text);
  return { spec, model: buildModel(spec, engine).model, config: trainConfig(spec.train, true) };
}

test('with distill, one step’s loss is alpha · the loss on the labels + (1 - alpha) · the term, on the same batch', async () => {
  const { tf } = engine;
  const data = blobs(64);
  const size = data.train.size;
  const teacher = model(plainSpec(24).replace('seed: 3', 'seed: 9')).model;
  const extra = `  steps_per_epoch: 1\n  distill: {teacher: unused, temperature: 4, alpha: 0.3}\n`;
  const student = model(plainSpec(16, extra).replace('batch_size: 16', `batch_size: ${size}`).replace('epochs: 4', 'epochs: 1'));
  // Before the step: the loss on the labels and the term, on the whole training split (the one batch).
  const all = data.train.batch(Int32Array.from({ length: size }, (_, i) => i));
  const x = tf.tensor(all.x as Float32Array, [size, 8]);
  const y = tf.tensor(all.y as Float32Array, [size, 3]);
  const lossFn = student.config.loss.def.make(tf, { labelSmoothing: 0 });
  const [labels, term] = tf.tidy(() => {
    const s = student.model.predict(x) as Tensor;
    const t = teacher.predict(x) as Tensor;
    return [tf.mean(lossFn(y, s)), distillationTerm(tf, t, s, 4)];
  });
  const expected = 0.3 * (await labels.data())[0]! + 0.7 * (await term.data())[0]!;
  tf.dispose([x, y, labels, term]);
  const r = await train(engine, student.model, data, student.config, 3, initialState(3), {}, undefined, { teacher });
  assert.ok(Math.abs(r.history[0]!.loss - expected) < 1e-5, `logged ${r.history[0]!.loss}, expected ${expected}`);
  teacher.dispose();
  student.model.dispose();
});

test('alpha 1 trains exactly as without a teacher; alpha 0.5 trains otherwise', async () => {
  const data = blobs(256);
  const teacher = model(plainSpec(24).replace('seed: 3', 'seed: 9')).model;
  const run = async (distill: string) => {
    const m = model(blobsSpec(8, 3, distill));
    const r = await train(engine, m.model, data, m.config, 3, initialState(3), {}, undefined, distill ? { teacher } : {});
    const w = await Promise.all(m.model.getWeights().map(async (t) => Array.from(await t.data())));
    m.model.dispose();
    return { w, loss: r.history.map((h) => h.loss) };
  };
  const alone = await run('');
  const one = await run('  distill: {teacher: unused, temperature: 3, alpha: 1}\n');
  const half = await run('  distill: {teacher: unused, temperature: 3, alpha: 0.5}\n');
  assert.deepEqual(one.w, alone.w);
  assert.deepEqual(one.loss, alone.loss);
  assert.notDeepEqual(half.w, alone.w);
  assert.notDeepEqual(half.loss, alone.loss);
  teacher.dispose();
});

test('the teacher is checked at train.distill.teacher: missing, not a strata run, other shapes, other classes; a good one trains', async () => {
  const root = tempDir('strata-distill-');
  const teacherRun = join(root, 'teacher');
  createRunDir(teacherRun, '--out');
  // A teacher with 4 classes, and one with 3.
  const four = blobsSpec(8, 4).replace('epochs: 4', 'epochs: 1');
  const r4 = await runSession({ engine, spec: parseSpec(join(root, 't4.yaml'), four), specText: four, dataset: blobs(64, 8, 4), runDir: teacherRun, seed: 1 });
  r4.model.dispose();
  const threeRun = join(root, 'teacher3');
  createRunDir(threeRun, '--out');
  const three = plainSpec(24).replace('epochs: 4', 'epochs: 1');
  const r3 = await runSession({ engine, spec: parseSpec(join(root, 't3.yaml'), three), specText: three, dataset: blobs(64), runDir: threeRun, seed: 1 });
  r3.model.dispose();
  // The same shapes, other data: three classes of other names.
  const otherRun = join(root, 'other');
  createRunDir(otherRun, '--out');
  const r5 = await runSession({ engine, spec: parseSpec(join(root, 't5.yaml'), three), specText: three, dataset: { ...blobs(64), classes: ['cat', 'dog', 'bird'] }, runDir: otherRun, seed: 1 });
  r5.model.dispose();
  mkdirSync(join(root, 'empty'));
  const student = async (teacher: string) => {
    const text = blobsSpec(8, 3, `  distill:\n    teacher: ${teacher}\n`).replace('epochs: 4', 'epochs: 1');
    const runDir = join(root, `student-${teacher}`);
    createRunDir(runDir, '--out');
    // The spec file is in root: the teacher is relative to it.
    return runSession({ engine, spec: parseSpec(join(root, 'student.yaml'), text), specText: text, dataset: blobs(64), runDir, seed: 1 });
  };
  const refused = async (teacher: string, pattern: RegExp) => {
    await assert.rejects(student(teacher), (e: unknown) => {
      assert.ok(e instanceof UsageError);
      const line = formatDiagnostic(e.diagnostics[0]!);
      assert.match(line, /student\.yaml:23:14: error: /);
      assert.match(line, pattern);
      return true;
    });
  };
  await refused('nowhere', /the teacher '.*nowhere' does not exist; give a strata run directory/);
  await refused('empty', /the teacher '.*empty' is not a strata run: it has no checkpoints\/ folder/);
  await refused('teacher', /takes \[batch, 8\] and gives \[batch, 4\], and this model takes \[batch, 8\] and gives \[batch, 3\]; distill from a teacher with the student's input and output shapes/);
  await refused('other', /the teacher '.*other' was trained on other data than this run \(its classes \["cat","dog","bird"\], this run's \["c0","c1","c2"\]\); distill from a teacher trained on the same dataset/);
  const ok = await student('teacher3');
  assert.equal(ok.stopped, 'completed');
  ok.model.dispose();
});
