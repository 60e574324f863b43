/**
 * Convolution settings TensorFlow.js 4.22 accepts but cannot carry out, fixed
 * in subclasses of its own Conv1D, Conv2D, DepthwiseConv2D and SeparableConv2D:
 * - `padding: causal` (conv1d): it works out the output shape and then throws
 *   on the first forward pass ("The support for CAUSAL padding mode in
 *   conv1dWithBias is not implemented yet"). strata pads the steps on the left
 *   by dilation × (kernel − 1) zeros and runs a 'valid' convolution, which is
 *   what causal padding means in Keras.
 * - `dilation_rate` above 1: the forward pass runs (except DepthwiseConv2D's,
 *   which ignores the rate), but tfjs-core's convolution gradients refuse
 *   dilations, so training stops at its first step. strata
 *   convolves each of the input's d interleaved phases at dilation 1 (ops that
 *   all have gradients): the same output, and gradients for the kernel.
 * The subclasses keep the built-ins' class names, configs and weights, so a
 * saved model is an ordinary Keras / TensorFlow.js Conv1D or Conv2D;
 * registered in the built-ins' place (`fixedBuiltIn`, define.ts), they also let
 * a plain TensorFlow.js program run such models.
 */
import type { Tensor, Tensor3D, Tensor4D } from '@tensorflow/tfjs-core';
import type { LayerVariable } from '@tensorflow/tfjs-layers';
import type { Kwargs } from '@tensorflow/tfjs-layers/dist/types.js';
import { single } from './base.js';
import { fusedConv2d } from './fused.js';
import { classOf, fixedBuiltIn } from './define.js';
import { perCopy } from './env.js';
import type { Layer, TfCore } from '../../tf-types.js';

/** The fields of tfjs-layers' convolution classes the subclasses use. */
interface ConvFields {
  rank: number;
  padding: 'valid' | 'same' | 'causal';
  kernelSize: number[];
  strides: number[];
  dilationRate: number | number[];
  useBias: boolean;
  kernel: LayerVariable;
  depthwiseKernel?: LayerVariable;
  pointwiseKernel?: LayerVariable;
  bias: LayerVariable | null;
  activation: { apply(x: Tensor): Tensor };
}

const rates = (c: Pick<ConvFields, 'dilationRate' | 'rank'>): number[] => (Array.isArray(c.dilationRate) ? c.dilationRate : Array.from({ length: c.rank }, () => c.dilationRate as number));

/** A kernel [k1, …, in, out] with d − 1 zeros between neighbouring taps along each spatial axis. */
export function dilateKernel(tf: TfCore, kernel: Tensor, dilation: readonly number[]): Tensor {
  let k = kernel;
  dilation.forEach((d, axis) => {
    if (d === 1) return;
    const n = k.shape[axis]!;
    // [.., n, 1, ..] padded to [.., n, d, ..]: each tap followed by d − 1 zeros.
    const spread = tf.pad(
      tf.expandDims(k, axis + 1),
      Array.from({ length: k.rank + 1 }, (_, i): [number, number] => (i === axis + 1 ? [0, d - 1] : [0, 0])),
    );
    const merged = tf.reshape(spread, [...k.shape.slice(0, axis), n * d, ...k.shape.slice(axis + 1)]);
    k = tf.slice(merged, k.shape.map(() => 0), [...k.shape.slice(0, axis), (n - 1) * d + 1, ...k.shape.slice(axis + 1)]);
  });
  return k;
}


/** Whether the built-in can do the job itself. */
const builtInCan = (c: Pick<ConvFields, 'padding' | 'dilationRate' | 'rank'>) => c.padding !== 'causal' && rates(c).every((d) => d === 1);

/** The fields of Conv2D that decide its fused training path. */
export interface Conv2DFusedFields {
  rank: number;
  padding: 'valid' | 'same' | 'causal';
  dilationRate: number | number[];
  dataFormat: string;
  activation: { getClassName(): string };
}

/**
 * The activation Conv2D fuses into its convolution while training, or undefined where it runs
 * the built-in's (or the dilated) kernels: the one condition for the layer's call and for the
 * training step by hand (src/train/stack-gradients.ts), which computes the gradient of what the call ran.
 */
export function fusedConv2dActivation(c: Conv2DFusedFields, x: { dtype: string; rank: number }): 'relu' | 'linear' | undefined {
  const activation = c.activation.getClassName();
  const plain = builtInCan(c) && c.dataFormat === 'channelsLast';
  return plain && x.rank === 4 && x.dtype === 'float32' && (activation === 'relu' || activation === 'linear') ? activation : undefined;
}

/** What the four subclasses share, made once per TensorFlow.js copy. */
const convParts = perCopy((env) => {
  const { tf } = env;

  /**
   * The layer's operation at dilation 1 (input already padded if causal). Dilated at
   * stride 1, as TensorFlow does it: the input split into its d interleaved phases
   * (spaceToBatchND), each run through `op` with the kernels as they are, and the phases
   * interleaved again (batchToSpaceND); no multiplications by zero. With a stride as well,
   * the kernels spread out with zeros. `op(input, kernel, pad)` reads each dilated kernel
   * through `kernel`. Then the bias and the activation, as the built-ins add them.
   */
  function dilated(c: ConvFields, x: Tensor, padding: 'valid' | 'same', op: (input: Tensor, kernel: (k: LayerVariable) => Tensor, pad: 'valid' | 'same') => Tensor): Tensor {
    const r = rates(c);
    let y: Tensor;
    if (c.strides.every((s) => s === 1)) {
      let input = x;
      if (padding === 'same') {
        const total = r.map((d, i) => d * (c.kernelSize[i]! - 1));
        input = tf.pad(x, [[0, 0], ...total.map((t): [number, number] => [Math.floor(t / 2), t - Math.floor(t / 2)]), [0, 0]]);
      }
      // Pad the end so each spatial length divides by its rate; the extra outputs are cropped off again.
      const extra = r.map((d, i) => (d - (input.shape[i + 1]! % d)) % d);
      const ends = extra.map((e): [number, number] => [0, e]);
      y = tf.batchToSpaceND(op(tf.spaceToBatchND(input, r, ends), (k) => k.read(), 'valid'), r, ends);
    } else {
      y = op(x, (k) => dilateKernel(tf, k.read(), r), padding);
    }
    if (c.useBias && c.bias) y = tf.add(y, c.bias.read());
    return c.activation.apply(y);
  }

  /** Conv1D and Conv2D: one convolution with `kernel`. */
  const convOp = (c: ConvFields) => (input: Tensor, kernel: (k: LayerVariable) => Tensor, pad: 'valid' | 'same') =>
    c.rank === 1
      ? tf.conv1d(input as Tensor3D, kernel(c.kernel) as Tensor3D, c.strides[0]!, pad)
      : tf.conv2d(input as Tensor4D, kernel(c.kernel) as Tensor4D, c.strides as [number, number], pad);
  /** DepthwiseConv2D: each channel with its own filters. */
  const depthwiseOp = (c: ConvFields) => (input: Tensor, kernel: (k: LayerVariable) => Tensor, pad: 'valid' | 'same') =>
    tf.depthwiseConv2d(input as Tensor4D, kernel(c.depthwiseKernel!) as Tensor4D, c.strides as [number, number], pad);
  /** SeparableConv2D: depthwise, then the 1×1 pointwise convolution (which commutes with the phase split). */
  const separableOp = (c: ConvFields) => (input: Tensor, kernel: (k: LayerVariable) => Tensor, pad: 'valid' | 'same') =>
    tf.conv2d(depthwiseOp(c)(input, kernel, pad) as Tensor4D, c.pointwiseKernel!.read() as Tensor4D, 1, 'valid');

  /** A 2D layer's call: the built-in's where it can, else `op` dilated. */
  function call2d(layer: Layer, inputs: Tensor | Tensor[], op: (c: ConvFields) => Parameters<typeof dilated>[3], builtIn: () => Tensor | Tensor[]): Tensor | Tensor[] {
    const c = layer as unknown as ConvFields;
    if (builtInCan(c)) return builtIn();
    return tf.tidy(() => dilated(c, single(inputs), c.padding === 'same' ? 'same' : 'valid', op(c)));
  }

  return { dilated, convOp, depthwiseOp, separableOp, call2d };
});

/** Conv1D with `padding: causal` and dilated kernels that train. */
export const Conv1D = fixedBuiltIn('Conv1D', (env) => {
  const { tf, tfl } = env;
  const { dilated, convOp } = convParts(env);
  return class Conv1D extends classOf(tfl.layers.conv1d({ filters: 1, kernelSize: 1 })) {
    /** Causal output is as long as 'same' gives (TensorFlow.js works it out as 'valid'). */
    override computeOutputShape(inputShape: Parameters<Layer['computeOutputShape']>[0]) {
      const c = this as unknown as ConvFields;
      if (c.padding !== 'causal') return super.computeOutputShape(inputShape);
      c.padding = 'same';
      try {
        return super.computeOutputShape(inputShape);
      } finally {
        c.padding = 'causal';
      }
    }
    override call(inputs: Tensor | Tensor[], kwargs: Kwargs): Tensor | Tensor[] {
      const c = this as unknown as ConvFields;
      if (builtInCan(c)) return super.call(inputs, kwargs);
      return tf.tidy(() => {
        let x = single(inputs);
        if (c.padding === 'causal') {
          const left = rates(c)[0]! * (c.kernelSize[0]! - 1);
          x = tf.pad(x, [
            [0, 0],
            [left, 0],
            [0, 0],
          ]);
        }
        return dilated(c, x, c.padding === 'same' ? 'same' : 'valid', convOp(c));
      });
    }
  };
});

/** Conv2D with dilated kernels that train. */
export const Conv2D = fixedBuiltIn('Conv2D', (env) => {
  const { call2d, convOp } = convParts(env);
  const { tf } = env;
  return class Conv2D extends classOf(env.tfl.layers.conv2d({ filters: 1, kernelSize: 1 })) {
    override call(inputs: Tensor | Tensor[], kwargs: Kwargs): Tensor | Tensor[] {
      const c = this as unknown as ConvFields & Conv2DFusedFields;
      const x = single(inputs);
      // Training, with the bias and a relu or no activation: one fused kernel (fused.ts).
      const activation = kwargs['training'] === true ? fusedConv2dActivation(c, x) : undefined;
      if (activation) {
        return tf.tidy(() => fusedConv2d(tf, x as Tensor4D, c.kernel.read() as Tensor4D, c.useBias && c.bias ? c.bias.read() : null, c.strides as [number, number], c.padding === 'same' ? 'same' : 'valid', activation === 'relu'));
      }
      return call2d(this, inputs, convOp, () => super.call(inputs, kwargs));
    }
  };
});

/** Depthwise and separable: TensorFlow.js's DepthwiseConv2D ignores dilation_rate in its forward pass, and both lack dilated gradients. */
export const DepthwiseConv2D = fixedBuiltIn('DepthwiseConv2D', (env) => {
  const { call2d, depthwiseOp } = convParts(env);
  return class DepthwiseConv2D extends classOf(env.tfl.layers.depthwiseConv2d({ kernelSize: 1 })) {
    /** The built-in works the output size out without the dilation too. */
    override computeOutputShape(inputShape: Parameters<Layer['computeOutputShape']>[0]) {
      const c = this as unknown as ConvFields & { depthMultiplier: number };
      if (builtInCan(c)) return super.computeOutputShape(inputShape);
      const s = inputShape as (number | null)[];
      const r = rates(c);
      const spatial = [0, 1].map((i) => {
        const n = s[i + 1];
        if (n == null) return null;
        return c.padding === 'same' ? Math.ceil(n / c.strides[i]!) : Math.ceil((n - r[i]! * (c.kernelSize[i]! - 1)) / c.strides[i]!);
      });
      return [s[0]!, ...spatial, s[3]! * c.depthMultiplier] as ReturnType<Layer['computeOutputShape']>;
    }
    override call(inputs: Tensor | Tensor[], kwargs: Kwargs): Tensor | Tensor[] {
      return call2d(this, inputs, depthwiseOp, () => super.call(inputs, kwargs));
    }
  };
});

export const SeparableConv2D = fixedBuiltIn('SeparableConv2D', (env) => {
  const { call2d, separableOp } = convParts(env);
  return class SeparableConv2D extends classOf(env.tfl.layers.separableConv2d({ filters: 1, kernelSize: 1 })) {
    override call(inputs: Tensor | Tensor[], kwargs: Kwargs): Tensor | Tensor[] {
      return call2d(this, inputs, separableOp, () => super.call(inputs, kwargs));
    }
  };
});
