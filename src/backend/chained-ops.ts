/**
 * Chained tensor methods (`t.flatten()`, `t.sign()`, ...). TensorFlow.js
 * installs them only through its union package; tfjs-layers calls some of
 * them (the orthogonal initializer does), so strata, which loads tfjs-core
 * directly, installs them here: each one forwards to the op of the same name.
 */
import type { TfCore } from '../tf-types.js';

/** The chained methods tfjs-core's union package registers, by name. */
const FORWARDED = `abs acos acosh add all any argMax argMin asin asinh atan atan2 atanh avgPool batchToSpaceND
broadcastTo cast ceil clipByValue conv1d conv2dTranspose conv2d cos cosh cumprod cumsum depthToSpace
depthwiseConv2d dilation2d divNoNan div dot elu equal erf euclideanNorm exp expandDims expm1 fft floor floorDiv
gather greaterEqual greater ifft irfft isFinite isInf isNaN leakyRelu lessEqual less localResponseNormalization
logSigmoid logSoftmax logSumExp log log1p logicalAnd logicalNot logicalOr logicalXor matMul maxPool max maximum
mean min minimum mirrorPad mod mul neg norm notEqual oneHot onesLike pad pool pow prelu prod reciprocal relu relu6
reshape reverse rfft round rsqrt selu separableConv2d sigmoid sign sin sinh slice softmax softplus spaceToBatchND
split sqrt square squaredDifference squeeze step stridedSlice sub sum tan tanh tile topk transpose unique
unsortedSegmentSum unstack where zerosLike`.split(/\s+/);

type Tensor = import('@tensorflow/tfjs-core').Tensor;
type Method = (this: Tensor, ...args: unknown[]) => unknown;

export function installChainedOps(tf: TfCore): void {
  const proto = tf.Tensor.prototype as unknown as Record<string, Method>;
  const ops = tf as unknown as Record<string, (...args: unknown[]) => unknown>;
  const define = (name: string, fn: Method) => {
    if (typeof proto[name] !== 'function') proto[name] = fn;
  };
  for (const name of FORWARDED) {
    const op = ops[name];
    if (typeof op === 'function') define(name, function (...args) { return op(this, ...args); });
  }
  define('batchNorm', function (...args) { return tf.batchNorm(this, ...(args as [Tensor, Tensor])); });
  define('concat', function (x, axis) { return tf.concat([this, ...(Array.isArray(x) ? x : [x])] as Tensor[], axis as number); });
  define('stack', function (x, axis) { return tf.stack([this, ...(Array.isArray(x) ? x : [x])] as Tensor[], axis as number); });
  define('flatten', function () { return tf.reshape(this, [this.size]); });
  define('asScalar', function () { return tf.reshape(this, []); });
  define('as1D', function () { return tf.reshape(this, [this.size]); });
  for (const rank of [2, 3, 4, 5]) define(`as${rank}D`, function (...dims) { return tf.reshape(this, dims as number[]); });
  define('asType', function (dtype) { return tf.cast(this, dtype as 'float32'); });
  define('toFloat', function () { return tf.cast(this, 'float32'); });
  define('toInt', function () { return tf.cast(this, 'int32'); });
  define('toBool', function () { return tf.cast(this, 'bool'); });
  define('reshapeAs', function (x) { return tf.reshape(this, (x as Tensor).shape); });
  define('resizeBilinear', function (...args) { return tf.image.resizeBilinear(this as import('@tensorflow/tfjs-core').Tensor3D, ...(args as [[number, number]])); });
  define('resizeNearestNeighbor', function (...args) { return tf.image.resizeNearestNeighbor(this as import('@tensorflow/tfjs-core').Tensor3D, ...(args as [[number, number]])); });
}
