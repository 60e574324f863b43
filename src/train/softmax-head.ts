/**
 * A model whose output is a dense softmax layer, split at that layer: the model up to the
 * layer's input (the body), and the layer's kernel and bias. The step then computes the
 * logits itself and takes the loss from them (the loss entry's `fromLogits`), as Keras does
 * for a softmax output, instead of differentiating through the softmax and the clipped log:
 * one kernel on wasm for a sparse cross-entropy instead of about fifteen in each direction.
 */
import type { DenseFields } from '../layers/custom/dense.js';
import type { LayersModel, SymbolicTensor, TfLayers } from '../tf-types.js';

/** The layers before a model's dense softmax output (undefined when the layer reads the model's input), and that layer. */
export interface SoftmaxHead {
  body: LayersModel | undefined;
  dense: DenseFields;
}

/**
 * The model split at its last layer when that layer is a Dense with a softmax, called once,
 * on one float32 tensor; else undefined.
 */
export function softmaxHead(tfl: TfLayers, model: LayersModel): SoftmaxHead | undefined {
  if (model.outputs.length !== 1) return undefined;
  const last = model.outputs[0]!.sourceLayer;
  if (last.getClassName() !== 'Dense' || last.inboundNodes.length !== 1) return undefined;
  const dense = last as unknown as DenseFields;
  if (dense.activation.getClassName() !== 'softmax') return undefined;
  const inputs = last.inboundNodes[0]!.inputTensors;
  if (inputs.length !== 1 || inputs[0]!.dtype !== 'float32') return undefined;
  const input = inputs[0]!;
  const fromInput = model.inputs.length === 1 && model.inputs[0] === input;
  return { body: fromInput ? undefined : tfl.model({ inputs: model.inputs, outputs: input as SymbolicTensor }), dense };
}
