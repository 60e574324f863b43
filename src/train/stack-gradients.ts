/**
 * The loss and gradients of a model that is a plain stack of layers ending in a dense softmax,
 * computed by hand instead of through tfjs-core's tape. On such a model the tape's bookkeeping
 * costs about as much as the small kernels do: every op records a node, and the backward pass
 * walks them one by one (about 70 kernels a step for two dense layers). Here each layer runs
 * its forward pass as it trains (products with their bias and relu fused:
 * layers/custom/fused.ts), the loss comes from the logits (the loss entry's `fromLogits`:
 * softmax, loss and its closed-form gradient), and each layer's backward pass is the
 * arithmetic it needs: relu's gradient with the bias's sums in one pass, then the product's
 * or the convolution's own gradients (tfjs-core's, for an input only where one is needed),
 * max pooling's and flattening's.
 *
 * It applies where nothing else takes part: an input, then flatten, dense, conv2d (relu or
 * linear, channels last, no dilation) and max_pool2d layers each reading the one before, the
 * last a dense softmax; a loss with `fromLogits`; no regularizers, class weights or
 * distillation. Dropout, normalization and anything else keep the tape (step.ts). The
 * gradients agree with the tape's to rounding, except where the loss's clipped log would hold
 * a probability (see losses.ts).
 */
import type { NamedAttrMap, NamedTensorMap, Scalar, Tensor, Tensor4D, Variable } from '@tensorflow/tfjs-core';
import type { LayerVariable } from '@tensorflow/tfjs-layers';
import { fusedConv2d, fusedDense } from '../layers/custom/fused.js';
import { activationGrad } from '../kernel-calls.js';
import type { LogitsLoss } from '../train-registry/entry.js';
import type { LayersModel, TfCore } from '../tf-types.js';
import { fusedDenseActivation } from '../layers/custom/dense.js';
import type { DenseFields } from '../layers/custom/dense.js';
import { fusedConv2dActivation } from '../layers/custom/conv-fixes.js';
import type { Conv2DFusedFields } from '../layers/custom/conv-fixes.js';

/** A batch's mean loss, the gradient of each trainable variable by its name, and the model's outputs. */
export interface BatchGradients {
  value: Scalar;
  grads: NamedTensorMap;
  pred: Tensor;
}

type Layer = LayersModel['layers'][number];

/** What a layer's backward pass fills in: the trainable weights' gradients, by name. */
interface Grads {
  grads: NamedTensorMap;
  trainable: Set<string>;
}

/** One layer of the stack, as it trains. */
interface StackLayer {
  /** Whether it has weights. */
  weighted: boolean;
  /** Its output while training. */
  forward(x: Tensor): Tensor;
  /** From dy (the loss's gradient by its output y): its weights' gradients into `g`, and its input's gradient when `needDx`. */
  backward(dy: Tensor, x: Tensor, y: Tensor, g: Grads, needDx: boolean): Tensor | undefined;
}

/** The fields of a Conv2D layer read here. */
interface ConvFields extends DenseFields, Conv2DFusedFields {
  strides: number[];
}

/** The fields of a MaxPooling2D layer read here. */
interface PoolFields {
  poolSize: number[];
  strides: number[];
  padding: string;
  dataFormat: string;
}

/**
 * The step's gradients by hand for `model`, or undefined when the model is not such a stack or
 * the loss is not computed from logits (`fromLogits`, the loss entry's: the probabilities, the
 * mean loss and its gradient by the logits).
 */
export function stackGradients(tf: TfCore, model: LayersModel, fromLogits: ((y: Tensor, logits: Tensor) => LogitsLoss) | undefined): ((x: Tensor, y: Tensor) => BatchGradients) | undefined {
  const layers = fromLogits ? layerStack(tf, model) : undefined;
  if (!layers || !fromLogits) return undefined;
  // No layer before the first with weights needs a gradient: nor does that layer's input.
  const firstWeighted = layers.findIndex((l) => l.weighted);
  return (x, y) => {
    const names = model.trainableWeights.map(nameOf);
    const trainable = new Set(names);
    return tf.tidy(() => {
      // Forward, keeping each layer's input; the last one's output is the logits.
      const values: Tensor[] = [x];
      for (const layer of layers) values.push(layer.forward(values[values.length - 1]!));
      const { probabilities, meanLoss: value, meanGradient } = fromLogits(y, values[values.length - 1]!);
      const g: Grads = { grads: {}, trainable };
      let dy: Tensor | undefined = meanGradient;
      for (let i = layers.length - 1; i >= 0 && dy; i--) dy = layers[i]!.backward(dy, values[i]!, values[i + 1]!, g, i > firstWeighted);
      // In the model's order of its weights, as tf.variableGrads gives them: optimizers keep
      // their state (Adam's moments, a checkpoint's) by position in that order.
      const grads: NamedTensorMap = {};
      for (const name of names) if (g.grads[name]) grads[name] = g.grads[name];
      return { value, grads, pred: probabilities };
    });
  };
}

/** A weight's name as tf.variableGrads keys its gradient. */
const nameOf = (w: LayerVariable): string => (w.read() as Variable).name;

/** A weight's gradient into `g` when the weight trains. */
function put(g: Grads, w: LayerVariable | null, gradient: () => Tensor): void {
  if (w && g.trainable.has(nameOf(w))) g.grads[nameOf(w)] = gradient();
}

function dense(tf: TfCore, f: DenseFields, relu: boolean): StackLayer {
  return {
    weighted: true,
    forward: (x) => fusedDense(tf, x, f.kernel.read(), f.bias?.read() ?? null, relu),
    backward: (dy, x, y, grads, needDx) => {
      const { g, sums } = activationGrad(tf, dy, y, relu ? 'relu' : 'linear', 'stack');
      put(grads, f.kernel, () => tf.matMul(x, g, true, false));
      put(grads, f.bias, () => sums ?? tf.sum(g, 0));
      return needDx ? tf.matMul(g, f.kernel.read(), false, true) : undefined;
    },
  };
}

function conv2d(tf: TfCore, c: ConvFields, relu: boolean): StackLayer {
  const strides = c.strides as [number, number];
  const pad = c.padding === 'same' ? 'same' : 'valid';
  const attrs = { strides, pad, dataFormat: 'NHWC', dilations: [1, 1] } as unknown as NamedAttrMap;
  return {
    weighted: true,
    forward: (x) => fusedConv2d(tf, x as Tensor4D, c.kernel.read() as Tensor4D, c.bias?.read() ?? null, strides, pad, relu),
    backward: (dy, x, y, grads, needDx) => {
      const { g, sums } = activationGrad(tf, dy, y, relu ? 'relu' : 'linear', 'stack');
      // tfjs-core's Conv2D gradient: each of its two made only when asked for.
      const conv = tf.getGradient(tf.Conv2D).gradFunc(g, [x, c.kernel.read()], attrs);
      put(grads, c.kernel, conv['filter']!);
      put(grads, c.bias, () => sums ?? tf.sum(g, [0, 1, 2]));
      return needDx ? conv['x']!() : undefined;
    },
  };
}

function maxPool2d(tf: TfCore, p: PoolFields): StackLayer {
  const filterSize = p.poolSize as [number, number];
  const strides = p.strides as [number, number];
  const pad = p.padding === 'same' ? 'same' : 'valid';
  return {
    weighted: false,
    forward: (x) => tf.maxPool(x as Tensor4D, filterSize, strides, pad),
    backward: (dy, x, y, _g, needDx) => (needDx ? tf.getGradient(tf.MaxPool).gradFunc(dy, [x, y], { filterSize, strides, pad } as unknown as NamedAttrMap)['x']!() : undefined),
  };
}

function flatten(tf: TfCore): StackLayer {
  return {
    weighted: false,
    forward: (x) => tf.reshape(x, [x.shape[0]!, -1]),
    backward: (dy, x, _y, _g, needDx) => (needDx ? tf.reshape(dy, x.shape) : undefined),
  };
}

/** The model's layers as a stack when it is input → flatten, dense, conv2d, max_pool2d … → dense softmax, with nothing else adding to the loss. */
function layerStack(tf: TfCore, model: LayersModel): StackLayer[] | undefined {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) return undefined;
  const [input, ...rest] = model.layers;
  if (!input || input.getClassName() !== 'InputLayer' || model.inputs[0]!.dtype !== 'float32' || model.losses.length > 0) return undefined;
  let previous: Layer = input;
  let rank = model.inputs[0]!.shape.length;
  const stack: StackLayer[] = [];
  for (const [i, layer] of rest.entries()) {
    // One call of the layer, on the previous layer's output.
    const nodes = layer.inboundNodes;
    if (nodes.length !== 1 || nodes[0]!.inboundLayers.length !== 1 || nodes[0]!.inboundLayers[0] !== previous) return undefined;
    previous = layer;
    if (layer.losses.length > 0) return undefined;
    const made = stackLayer(tf, layer, rank, i === rest.length - 1);
    if (!made) return undefined;
    stack.push(made);
    rank = layer.getClassName() === 'Flatten' ? 2 : rank;
  }
  return stack.length > 0 && model.outputs[0]!.sourceLayer === previous ? stack : undefined;
}

/** One layer of the stack, from an input of `rank` (batch included); undefined for a layer the stack does not take. */
function stackLayer(tf: TfCore, layer: Layer, rank: number, last: boolean): StackLayer | undefined {
  const kind = layer.getClassName();
  const channelsLast = (layer as unknown as { dataFormat?: string }).dataFormat !== 'channelsFirst';
  if (kind === 'Flatten') return !last && channelsLast ? flatten(tf) : undefined;
  if (kind === 'MaxPooling2D') return !last && rank === 4 && channelsLast ? maxPool2d(tf, layer as unknown as PoolFields) : undefined;
  if (kind !== 'Dense' && kind !== 'Conv2D') return undefined;
  const f = layer as unknown as ConvFields;
  if (f.kernelRegularizer || f.biasRegularizer) return undefined;
  // The last layer is the dense softmax, whose logits the loss takes.
  if (last) return kind === 'Dense' && rank === 2 && f.activation.getClassName() === 'softmax' ? dense(tf, f, false) : undefined;
  // The others as their training call runs them: one fused kernel with a relu or no activation.
  const x = { dtype: 'float32', rank };
  if (kind === 'Dense') {
    const activation = rank === 2 ? fusedDenseActivation(f, x) : undefined;
    return activation ? dense(tf, f, activation === 'relu') : undefined;
  }
  const activation = fusedConv2dActivation(f, x);
  return activation ? conv2d(tf, f, activation === 'relu') : undefined;
}
