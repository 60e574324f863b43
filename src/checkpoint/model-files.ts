/**
 * A model as the TensorFlow.js layers-model files (`model.json` and one
 * weights file), in memory. `tf.loadLayersModel` reads the same files, so a
 * checkpoint is a model any TensorFlow.js program can load.
 */
import type { Engine } from '../backend/select.js';
import { registerStrataLayers } from '../layers/custom/register.js';
import type { LayersModel } from '../tf-types.js';

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

export interface ModelFiles {
  /** The text of model.json. */
  modelJson: string;
  weights: Uint8Array;
}

interface ModelJson {
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

/** Load a model from layers-model files (strata's custom layers are registered first) into `engine`'s TensorFlow.js copy. */
export async function modelFromFiles(engine: Pick<Engine, 'tf' | 'tfl'>, files: ModelFiles): Promise<LayersModel> {
  registerStrataLayers(engine);
  const json = JSON.parse(files.modelJson) as ModelJson;
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  const buffer = files.weights.buffer.slice(files.weights.byteOffset, files.weights.byteOffset + files.weights.byteLength) as ArrayBuffer;
  return engine.tfl.loadLayersModel(engine.tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData: buffer }));
}
