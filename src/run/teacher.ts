/**
 * train.distill's teacher: the run (or checkpoint) the spec names, relative to
 * the spec file, loaded into the training engine; refused at
 * `train.distill.teacher`'s line when it is not there, is not a strata run, its
 * inputs and outputs differ in shape from the student's, or it was trained on
 * other data (other classes, vocabulary or input scaling than the student's).
 */
import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { Engine } from '../backend/select.js';
import { META_JSON } from '../checkpoint/meta.js';
import type { DataInfo } from '../checkpoint/meta.js';
import { modelFromFiles } from '../checkpoint/model-files.js';
import { openCheckpoint } from '../checkpoint/pick.js';
import { UsageError } from '../errors.js';
import { placeIn } from '../spec/place.js';
import type { Spec } from '../spec/types.js';
import type { LayersModel } from '../tf-types.js';
import { CHECKPOINTS } from './run-dir.js';

/** Where `teacher` (train.distill.teacher) is: relative to the spec's file unless absolute. */
export function teacherPath(specFile: string, teacher: string): string {
  return resolve(dirname(specFile), teacher);
}

const shapes = (m: LayersModel, which: 'inputs' | 'outputs') => m[which].map((t) => `[${t.shape.map((d) => (d === null ? 'batch' : String(d))).join(', ')}]`).join(', ');

/** A value of data.json, cut to 80 characters. */
function short(v: unknown): string {
  const t = JSON.stringify(v);
  return t.length > 80 ? `${t.slice(0, 77)}...` : t;
}

/** What of two runs' data must agree for one to teach the other: the meaning of the outputs and of the inputs. */
const TAUGHT_ALIKE = ['classes', 'vocabulary', 'inputScaling', 'targetScaling'] as const;

/** Load the teacher of `spec` (whose train.distill.teacher is `teacher`) for `student`, trained on `data`; the caller disposes it. */
export async function loadTeacher(engine: Engine, spec: Spec, student: LayersModel, teacher: string, data: DataInfo): Promise<LayersModel> {
  const at = placeIn(spec, ['train', 'distill', 'teacher']);
  const refuse = (message: string): never => {
    throw new UsageError({ ...at, code: 'distill-teacher', message });
  };
  const path = teacherPath(spec.file, teacher);
  // The path as resolved (a run's saved spec holds it absolute), shown from the working directory.
  const shown = `'${relative(process.cwd(), path) || '.'}'`;
  if (!existsSync(path)) refuse(`the teacher ${shown} does not exist; give a strata run directory (or one of its checkpoints), relative to the spec file`);
  if (!existsSync(join(path, META_JSON)) && !existsSync(join(path, CHECKPOINTS))) {
    refuse(`the teacher ${shown} is not a strata run: it has no ${CHECKPOINTS}/ folder (nor ${META_JSON}, as a checkpoint has); train the teacher with strata train and give its run directory`);
  }
  let files;
  let taughtOn: DataInfo;
  try {
    const opened = openCheckpoint(path, 'train.distill.teacher', 'best', (line) => process.emitWarning(line));
    files = opened.model;
    taughtOn = opened.data;
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    return refuse(`the teacher ${shown} cannot be used: ${e.diagnostics.map((d) => d.message).join('; ')}`);
  }
  const model = await modelFromFiles(engine, files);
  const [ti, to, si, so] = [shapes(model, 'inputs'), shapes(model, 'outputs'), shapes(student, 'inputs'), shapes(student, 'outputs')];
  if (ti !== si || to !== so) {
    model.dispose();
    refuse(`the teacher ${shown} takes ${ti} and gives ${to}, and this model takes ${si} and gives ${so}; distill from a teacher with the student's input and output shapes (one trained on the same data)`);
  }
  // Shapes first: a teacher of other shapes was certainly trained on other data, and they say more.
  for (const key of TAUGHT_ALIKE) {
    const [a, b] = [taughtOn[key], data[key]];
    if (a !== undefined && b !== undefined && JSON.stringify(a) !== JSON.stringify(b)) {
      model.dispose();
      refuse(`the teacher ${shown} was trained on other data than this run (its ${key} ${short(a)}, this run's ${short(b)}); distill from a teacher trained on the same dataset`);
    }
  }
  return model;
}
