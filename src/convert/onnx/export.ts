/**
 * A TensorFlow.js layers model (as strata loads a run or checkpoint) written
 * as an ONNX model: the same inputs (channels-last images, int32 token ids),
 * the same outputs, each layer by its class's writer in the exporter's table
 * (table.ts). Layers it cannot write are all collected, not only the first.
 */
import type { Layer, LayersModel, SymbolicTensor } from '../../tf-types.js';
import type { LayerParams } from '../../layers/registry.js';
import { NotExportable } from './emit.js';
import type { Emit, Weight } from './emit.js';
import { OnnxGraph } from './graph.js';
import type { Dim, Dtype } from './graph.js';
import { WRITER_OF } from './table.js';

/** A layer the exporter cannot write, and why. */
export interface Unexportable {
  layer: string;
  /** Its TensorFlow.js class. */
  className: string;
  why: string;
}

export type OnnxResult = { ok: true; bytes: Uint8Array } | { ok: false; problems: Unexportable[] };

function weightsOf(layer: Layer): (suffix: string) => Weight | undefined {
  return (suffix) => {
    const w = layer.weights.find((v) => (v.originalName ?? v.name).endsWith(`/${suffix}`) || v.name.endsWith(`/${suffix}`));
    if (!w) return undefined;
    const t = w.read();
    return { data: Float32Array.from(t.dataSync() as Float32Array), shape: [...t.shape] };
  };
}

/** What a writer is given for `layer` applied to `inputs`. */
function emitOf(g: OnnxGraph, layer: Layer, name: string, inputs: string[], shapes: Dim[][], outShape: Dim[]): Emit {
  return {
    g,
    layer,
    config: layer.getConfig() as Record<string, unknown>,
    p: (layer as unknown as { p?: LayerParams }).p ?? {},
    name,
    inputs,
    shapes,
    outShape,
    values: weightsOf(layer),
    nested: (inner, xs, innerShapes, innerOut) => {
      const className = inner.getClassName();
      const writer = WRITER_OF.get(className);
      if (!writer) throw new NotExportable(`the layer it holds is a ${className}, which has no ONNX writer`);
      return writer.emit(emitOf(g, inner, `${name}/${inner.name}`, xs, innerShapes, innerOut));
    },
  };
}

const shapeOf = (t: SymbolicTensor): Dim[] => t.shape.map((d) => (d === null || d === undefined ? null : d));

/** Write `model` as ONNX; `source` (where it was read from) goes into the model's description. */
export function modelToOnnx(model: LayersModel, source: string): OnnxResult {
  const g = new OnnxGraph();
  const values = new Map<number, string>();
  for (const t of model.inputs) values.set(t.id, g.input(t.sourceLayer.name, t.dtype === 'int32' ? 'int32' : ('float32' as Dtype), shapeOf(t)));
  const problems: Unexportable[] = [];
  for (const layer of model.layers) {
    const className = layer.getClassName();
    if (className === 'InputLayer') continue;
    const writer = WRITER_OF.get(className);
    if (!writer) {
      problems.push({ layer: layer.name, className, why: 'no ONNX writer for this class' });
      continue;
    }
    for (const node of layer.inboundNodes) {
      const inputs = node.inputTensors.map((t) => values.get(t.id));
      if (inputs.some((v) => v === undefined)) continue; // after a layer that could not be written
      try {
        values.set(node.outputTensors[0]!.id, writer.emit(emitOf(g, layer, layer.name, inputs as string[], node.inputTensors.map(shapeOf), shapeOf(node.outputTensors[0]!))));
      } catch (e) {
        if (!(e instanceof NotExportable)) throw e;
        problems.push({ layer: layer.name, className, why: e.message });
      }
    }
  }
  if (problems.length > 0) return { ok: false, problems };
  for (const t of model.outputs) g.output(values.get(t.id)!, t.sourceLayer.name, shapeOf(t));
  return { ok: true, bytes: g.encode(model.name, `${model.name}: exported by strata from the TensorFlow.js layers model ${source}`) };
}
