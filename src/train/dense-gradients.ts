/**
 * The loss and gradients of a model that is a stack of dense layers ending in a softmax,
 * computed by hand instead of through tfjs-core's tape. On such a model the tape's
 * bookkeeping costs about as much as the products do: every op records a node, and the
 * backward pass walks them one by one, with some 70 kernels a step for two dense layers.
 * Here the step is the dozen kernels the arithmetic needs: each layer's product (bias and
 * relu fused, as Dense trains: layers/custom/fused.ts), the softmax with the loss and its
 * closed-form gradient with respect to the logits (the loss entry's `fromLogits`),
 * then per layer two products, a bias sum and relu's gradient.
 *
 * It applies where nothing else takes part in the loss: an input, optional flattening, and
 * dense layers with relu or linear activations, the last a softmax; a loss with
 * `fromLogits`; no regularizers, class weights or distillation. Any other model
 * takes the tape (step.ts). The gradients agree with the tape's to rounding, except where
 * the loss's clipped log would hold a probability (see losses.ts).
 */
import type { NamedTensorMap, Scalar, Tensor, Variable } from '@tensorflow/tfjs-core';
import type { LayerVariable } from '@tensorflow/tfjs-layers';
import { fusedDense } from '../layers/custom/fused.js';
import { reluGradWithSums } from '../kernel-calls.js';
import type { LogitsLoss } from '../train-registry/entry.js';
import type { LayersModel, TfCore } from '../tf-types.js';
import type { DenseFields } from './softmax-head.js';

/** A batch's mean loss, the gradient of each trainable variable by its name, and the model's outputs. */
export interface BatchGradients {
  value: Scalar;
  grads: NamedTensorMap;
  pred: Tensor;
}

type Layer = LayersModel['layers'][number];

interface DenseLayer {
  kernel: LayerVariable;
  bias: LayerVariable | null;
  relu: boolean;
}

/**
 * The step's gradients by hand for `model`, or undefined when the model is not a stack of
 * dense layers ending in a softmax or the loss is not computed from logits (`fromLogits`,
 * the loss entry's: the probabilities, each example's loss and the gradient of their mean).
 */
export function denseStackGradients(tf: TfCore, model: LayersModel, fromLogits: ((y: Tensor, logits: Tensor) => LogitsLoss) | undefined): ((x: Tensor, y: Tensor) => BatchGradients) | undefined {
  const layers = fromLogits ? denseStack(model) : undefined;
  if (!layers || !fromLogits) return undefined;
  return (x, y) => {
    const trainable = new Set(model.trainableWeights.map(nameOf));
    const out = tf.tidy(() => {
      // Forward, keeping each layer's input: the last layer's product gives the logits.
      const inputs: Tensor[] = [tf.reshape(x, [x.shape[0]!, -1])];
      layers.forEach((layer, i) => {
        if (i < layers.length - 1) inputs.push(fusedDense(tf, inputs[i]!, layer.kernel.read(), layer.bias?.read() ?? null, layer.relu));
      });
      const last = layers[layers.length - 1]!;
      const logits = fusedDense(tf, inputs[layers.length - 1]!, last.kernel.read(), last.bias?.read() ?? null, false);
      const { probabilities, meanLoss: value, meanGradient } = fromLogits(y, logits);
      // Backward: dz is the mean loss's gradient with respect to a layer's product plus bias.
      let dz = meanGradient;
      // dz's column sums, when relu's gradient gave them with dz.
      let sums: Tensor | undefined;
      const grads: NamedTensorMap = {};
      for (let i = layers.length - 1; i >= 0; i--) {
        const { kernel, bias } = layers[i]!;
        if (trainable.has(nameOf(kernel))) grads[nameOf(kernel)] = tf.matMul(inputs[i]!, dz, true, false);
        if (bias && trainable.has(nameOf(bias))) grads[nameOf(bias)] = sums ?? tf.sum(dz, 0);
        if (i === 0) break;
        const dx = tf.matMul(dz, kernel.read(), false, true);
        ({ dx: dz, sums } = layers[i - 1]!.relu ? reluGradWithSums(tf, dx, inputs[i]!) : { dx, sums: undefined });
      }
      return { value, grads, pred: probabilities };
    });
    return out;
  };
}

/** A weight's name as tf.variableGrads keys its gradient. */
const nameOf = (w: LayerVariable): string => (w.read() as Variable).name;

/** The model's dense layers in order when it is input → [flatten] → dense… → softmax, with nothing else adding to the loss. */
function denseStack(model: LayersModel): DenseLayer[] | undefined {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) return undefined;
  const [input, ...rest] = model.layers;
  if (!input || input.getClassName() !== 'InputLayer' || model.inputs[0]!.dtype !== 'float32') return undefined;
  let previous: Layer = input;
  const stack: DenseLayer[] = [];
  for (const [i, layer] of rest.entries()) {
    // One call of the layer, on the previous layer's output.
    const nodes = layer.inboundNodes;
    if (nodes.length !== 1 || nodes[0]!.inboundLayers.length !== 1 || nodes[0]!.inboundLayers[0] !== previous) return undefined;
    previous = layer;
    if (layer.losses.length > 0) return undefined;
    const kind = layer.getClassName();
    if (kind === 'Flatten' && i === 0 && (layer as unknown as { dataFormat?: string }).dataFormat !== 'channelsFirst') continue;
    if (kind !== 'Dense') return undefined;
    const f = layer as unknown as DenseFields;
    if (f.kernelRegularizer || f.biasRegularizer) return undefined;
    const activation = f.activation.getClassName();
    const isLast = i === rest.length - 1;
    if (isLast ? activation !== 'softmax' : activation !== 'relu' && activation !== 'linear') return undefined;
    stack.push({ kernel: f.kernel, bias: f.bias, relu: activation === 'relu' });
  }
  // The model's output is the last layer's; the first dense layer's input is a batch of rows.
  if (stack.length === 0 || model.outputs[0]!.sourceLayer !== previous) return undefined;
  if (rest[0]!.getClassName() !== 'Flatten' && model.inputs[0]!.shape.length !== 2) return undefined;
  return stack;
}
