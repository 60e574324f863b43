/**
 * A model as the TensorFlow.js layers-model files (`model.json` and one
 * weights file), in memory. `tf.loadLayersModel` reads the same files, so a
 * checkpoint is a model any TensorFlow.js program can load.
 */
import type { Engine } from '../backend/select.js';
import { UsageError } from '../errors.js';
import { registerStrataLayers } from '../layers/custom/register.js';
import type { LayersModel } from '../tf-types.js';

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

export interface ModelFiles {
  /** The text of model.json. */
  modelJson: string;
  weights: Uint8Array;
  /** Where model.json was read from, for errors (absent for a model made in memory). */
  source?: string;
}

export interface ModelJson {
  modelTopology: object;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  weightsManifest: { paths: string[]; weights: import('@tensorflow/tfjs-core').io.WeightsManifestEntry[] }[];
}

function toBytes(data: ArrayBuffer | ArrayBuffer[] | undefined): Uint8Array {
  if (!data) return new Uint8Array(0);
  if (!Array.isArray(data)) return new Uint8Array(data);
  const total = data.reduce((n, b) => n + b.byteLength, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const b of data) {
    out.set(new Uint8Array(b), off);
    off += b.byteLength;
  }
  return out;
}

/** Serialize a model to the layers-model format. */
export async function modelToFiles(engine: Engine, model: LayersModel): Promise<ModelFiles> {
  let files: ModelFiles | undefined;
  await model.save(
    engine.tf.io.withSaveHandler(async (artifacts) => {
      const json: ModelJson = {
        format: 'layers-model',
        generatedBy: artifacts.generatedBy ?? 'strata',
        convertedBy: null,
        modelTopology: artifacts.modelTopology as object,
        weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
      };
      files = { modelJson: JSON.stringify(json), weights: toBytes(artifacts.weightData as ArrayBuffer | ArrayBuffer[] | undefined) };
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return files!;
}

/** Bytes per element of a weight as stored: its quantized type if it has one, else its own. */
const STORED_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

/**
 * The weight entries of model.json, checked against the weights' bytes before
 * TensorFlow.js sees them (it would fail on a bad shape with its own message,
 * and read a longer file without a word): names, whole non-negative
 * dimensions, known types, and a total size equal to the weights file's.
 */
function checkedWeightSpecs(json: ModelJson, weights: Uint8Array, bad: (message: string) => never): ModelJson['weightsManifest'][number]['weights'] {
  if (!Array.isArray(json.weightsManifest)) bad('there is no weightsManifest list; it is not a TensorFlow.js layers model');
  const specs = json.weightsManifest.flatMap((g) => (g && Array.isArray(g.weights) ? g.weights : bad('a weightsManifest group has no weights list; the file is damaged')));
  let bytes = 0;
  for (const w of specs) {
    const name = typeof w?.name === 'string' ? w.name : bad('a weight in weightsManifest has no name; the file is damaged');
    if (!Array.isArray(w.shape) || !w.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) bad(`the weight '${name}' has the shape ${JSON.stringify(w.shape)}, but dimensions are whole numbers from 0; the file is damaged`);
    const type = (w.quantization as { dtype?: string } | undefined)?.dtype ?? w.dtype;
    const per = typeof type === 'string' && Object.hasOwn(STORED_BYTES, type) ? STORED_BYTES[type]! : bad(`the weight '${name}' has the type ${JSON.stringify(type)}; strata reads ${Object.keys(STORED_BYTES).join(', ')}`);
    bytes += w.shape.reduce((a, b) => a * b, 1) * per;
  }
  if (bytes !== weights.byteLength) {
    bad(`the weights manifest describes ${bytes.toLocaleString('en-US')} bytes of weights, but the weights file holds ${weights.byteLength.toLocaleString('en-US')} (${weights.byteLength < bytes ? 'it is cut short' : `${(weights.byteLength - bytes).toLocaleString('en-US')} bytes more than described`}); the files are damaged or do not belong together`);
  }
  return specs;
}

/**
 * Load a model from layers-model files (strata's custom layers are registered
 * first) into `engine`'s TensorFlow.js copy. Files TensorFlow.js cannot make
 * a model of are a UsageError naming model.json (`files.source`) and why.
 */
export async function modelFromFiles(engine: Pick<Engine, 'tf' | 'tfl'>, files: ModelFiles): Promise<LayersModel> {
  registerStrataLayers(engine);
  const where = files.source ?? MODEL_JSON;
  const bad = (message: string): never => {
    throw new UsageError({ file: where, code: 'bad-model', message });
  };
  let json: ModelJson;
  try {
    json = JSON.parse(files.modelJson) as ModelJson;
  } catch {
    return bad('this is not valid JSON; the file is damaged');
  }
  if (typeof json !== 'object' || json === null || typeof json.modelTopology !== 'object' || json.modelTopology === null) bad('there is no modelTopology object; it is not a TensorFlow.js layers model');
  const specs = checkedWeightSpecs(json, files.weights, bad);
  const buffer = files.weights.buffer.slice(files.weights.byteOffset, files.weights.byteOffset + files.weights.byteLength) as ArrayBuffer;
  try {
    return await engine.tfl.loadLayersModel(engine.tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData: buffer }));
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const unknown = /^Unknown (layer|activation|initializer|regularizer|constraint|loss)\w*: ([^.\s]+)/.exec(message);
    if (unknown) bad(`the ${unknown[1]} class '${unknown[2]}' is neither TensorFlow.js's nor strata's; the file was written by another program or is damaged`);
    return bad(`TensorFlow.js cannot make a model of it: ${message.split('\n')[0]}`);
  }
}

/** A model.json read: the document, and the weight entries of its manifest in order (every group's). */
export function manifestWeights(modelJson: string): { json: ModelJson; specs: ModelJson['weightsManifest'][number]['weights'] } {
  const json = JSON.parse(modelJson) as ModelJson;
  return { json, specs: json.weightsManifest.flatMap((g) => g.weights) };
}

/** The number of weights (every element of every weight, as strata summary's total) that a model.json's manifest describes. */
export function weightCount(modelJson: string): number {
  return manifestWeights(modelJson).specs.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0);
}
