/**
 * Loading a model strata saved, for programs that use strata as a library:
 * from a run (its `model/` folder, else its best checkpoint), a checkpoint, a
 * model folder or a `model.json`, read from disk (no `file://` fetching, which
 * plain `@tensorflow/tfjs` cannot do in Node), with strata's own layers
 * registered in the TensorFlow.js copy that gets the model.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize, sep } from 'node:path';
import { loadEngine } from '../backend/select.js';
import { envOf } from '../layers/custom/classes.js';
import type { TensorFlow } from '../layers/custom/classes.js';
import { UsageError } from '../errors.js';
import type { LayersModel } from '../tf-types.js';
import { META_JSON } from './meta.js';
import { MODEL_JSON, modelFromFiles } from './model-files.js';
import type { ModelFiles } from './model-files.js';
import { openCheckpoint } from './pick.js';
import { MODEL_DIR } from './run-model.js';

const WHAT = 'give a run directory, its model/ folder, a checkpoint directory or a model.json';

function refuse(path: string, message: string): never {
  throw new UsageError({ arg: path, code: 'no-model', message });
}

/** The bytes of a model.json and the weight files its manifest names (each inside the model's folder). */
function readModelJson(file: string): ModelFiles {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    refuse(file, `cannot read '${file}': ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    refuse(file, `'${file}' is not JSON; ${WHAT}`);
  }
  const manifest = typeof json === 'object' && json !== null ? (json as { weightsManifest?: unknown }).weightsManifest : undefined;
  if (!Array.isArray(manifest) || !manifest.every((g) => typeof g === 'object' && g !== null)) {
    refuse(file, `'${file}' has no weightsManifest list; it is not a TensorFlow.js layers model (${WHAT})`);
  }
  const paths = (manifest as { paths?: unknown }[]).flatMap((g) => (Array.isArray(g.paths) ? g.paths : []));
  const dir = dirname(file);
  const parts: Buffer[] = [];
  for (const p of paths) {
    const safe = typeof p === 'string' && p !== '' && !isAbsolute(p) && !normalize(p).split(sep).includes('..');
    if (!safe) refuse(file, `'${file}' names a weights file outside its folder (${JSON.stringify(p)})`);
    try {
      parts.push(readFileSync(join(dir, p)));
    } catch {
      refuse(file, `the weights file '${join(dir, p)}' that '${file}' names cannot be read`);
    }
  }
  return { modelJson: text, weights: new Uint8Array(Buffer.concat(parts)), source: file };
}

/** The model files `path` names (see `loadModel`). */
export function modelFilesAt(path: string): ModelFiles {
  if (!existsSync(path)) refuse(path, `'${path}' does not exist; ${WHAT}`);
  if (statSync(path).isFile()) return readModelJson(path);
  if (existsSync(join(path, META_JSON)) || (!existsSync(join(path, MODEL_JSON)) && !existsSync(join(path, MODEL_DIR, MODEL_JSON)) && existsSync(join(path, 'checkpoints')))) {
    // A checkpoint, or a run from before runs had a model/ folder: its best checkpoint, checked against meta.json.
    return openCheckpoint(path, 'loadModel', 'best', (line) => process.emitWarning(line)).model;
  }
  if (existsSync(join(path, MODEL_JSON))) return readModelJson(join(path, MODEL_JSON));
  if (existsSync(join(path, MODEL_DIR, MODEL_JSON))) return readModelJson(join(path, MODEL_DIR, MODEL_JSON));
  return refuse(path, `'${path}' holds no model (no ${MODEL_JSON}, ${MODEL_DIR}/${MODEL_JSON} or checkpoints/); ${WHAT}`);
}

/**
 * Load the model at `path`: a run directory (its `model/` folder: the best
 * checkpoint's model), a checkpoint directory, a model folder or a model.json.
 * `tf` is the TensorFlow.js that gets it (the namespace of `@tensorflow/tfjs`,
 * or `{ tf, tfl }`); without it, strata's own engine (the backend `strata
 * train` would pick). strata's layers are registered in that copy first.
 */
export async function loadModel(path: string, tf?: TensorFlow): Promise<LayersModel> {
  const files = modelFilesAt(path);
  return modelFromFiles(tf ? envOf(tf) : await loadEngine(), files);
}
