/**
 * One optimizer step: the learning rate of the schedule, decoupled weight
 * decay, the loss (class-weighted, plus the layers' own losses) and its
 * gradients, optional gradient norms for the report, clipping, the update,
 * and the batch's statistics added to the epoch's metrics. The gradients come
 * by hand for a plain stack of layers (stack-gradients.ts), else from the tape,
 * with the loss from the logits where the output is a dense softmax (softmax-head.ts).
 */
import type { NamedTensorMap, Scalar, Tensor, Variable } from '@tensorflow/tfjs-core';
import type { LogitsLoss, LossFn, MetricContext, PlateauState, ScheduleContext } from '../train-registry/entry.js';
import type { StrataOptimizer } from '../train-registry/optimizers.js';
import type { LayersModel, TfCore, TfLayers } from '../tf-types.js';
import { fusedDense } from '../layers/custom/fused.js';
import type { TrainConfig } from './config.js';
import type { MetricAccumulator } from './metrics.js';
import { distillationTerm } from './distill.js';
import { stackGradients } from './stack-gradients.js';
import type { BatchGradients } from './stack-gradients.js';
import { softmaxHead } from './softmax-head.js';
import type { SoftmaxHead } from './softmax-head.js';

/** Every `every` steps, the L2 norm of each variable's gradient (computed on the device, read once). */
export interface GradientNormHook {
  every: number;
  record(step: number, epoch: number, norms: Record<string, number>): void;
}

/** Where the run is, as far as a step needs: its step count (advanced here), epoch and plateau state. */
export interface StepState {
  step: number;
  epoch: number;
  plateau?: PlateauState;
}

/** The learning rate at optimizer step `step`: the config's schedule, else the optimizer's rate (both engines). */
export function scheduleRate(config: TrainConfig, c: ScheduleContext, step: number, plateau?: PlateauState): number {
  const s = config.schedule;
  return s ? s.def.rate(s.settings, step, c, plateau) : c.base;
}

export class GradientStep {
  private currentLr = Number.NaN;
  private readonly lossFn: LossFn;
  private readonly classWeights: Tensor | undefined;
  /** The loss and gradients by hand, for a plain stack of layers (stack-gradients.ts); otherwise the tape's. */
  private readonly byHand: ((x: Tensor, y: Tensor) => BatchGradients) | undefined;
  /** On the tape, the loss from the logits of a dense softmax output (softmax-head.ts), with the loss entry's `fromLogits`. */
  private readonly head: { split: SoftmaxHead; fromLogits: (y: Tensor, logits: Tensor) => LogitsLoss } | undefined;

  constructor(
    private readonly tf: TfCore,
    tfl: TfLayers,
    private readonly model: LayersModel,
    private readonly config: TrainConfig,
    private readonly opt: StrataOptimizer,
    private readonly ctx: MetricContext,
    private readonly schedule: ScheduleContext,
    weightsByClass: number[] | undefined,
    private readonly gradientNorms?: GradientNormHook,
    /** train.distill's teacher, whose outputs on each batch the student learns from. */
    private readonly teacher?: LayersModel,
  ) {
    if (config.distill && !teacher) throw new Error('train.distill needs its teacher model');
    this.lossFn = config.loss.def.make(tf, { labelSmoothing: config.label_smoothing });
    this.classWeights = weightsByClass ? tf.keep(tf.tensor1d(weightsByClass)) : undefined;
    const fromLogits = config.loss.def.fromLogits?.(tf, { labelSmoothing: config.label_smoothing });
    // Class weights need each example's loss, which the loss from logits does not give; distillation needs the tape.
    const logits = fromLogits && !weightsByClass;
    this.byHand = logits && !config.distill ? stackGradients(tf, model, fromLogits) : undefined;
    const split = logits && !this.byHand ? softmaxHead(tfl, model) : undefined;
    this.head = split && fromLogits ? { split, fromLogits } : undefined;
  }

  /** The rate the last step used. */
  get learningRate(): number {
    return this.currentLr;
  }

  /** The rate of the schedule at a step. */
  rateAt(step: number, plateau?: PlateauState): number {
    return scheduleRate(this.config, this.schedule, step, plateau);
  }

  /** Train on one batch; returns its loss, left on the device. */
  run(x: Tensor, y: Tensor, n: number, acc: MetricAccumulator, state: StepState): Scalar {
    const { tf, model } = this;
    const lr = this.rateAt(state.step, state.plateau);
    if (lr !== this.currentLr) {
      this.opt.setLearningRate(lr);
      this.currentLr = lr;
    }
    const varList = model.trainableWeights.map((w) => w.read() as Variable);
    // The teacher's outputs, as in prediction (no dropout); constants of the student's gradient.
    const taught = this.config.distill ? tf.tidy(() => this.teacher!.predict(x) as Tensor) : undefined;
    const { value, grads, pred } = this.byHand ? this.byHand(x, y) : this.taped(x, y, varList, taught);
    const gn = this.gradientNorms;
    if (gn && state.step % gn.every === 0) {
      const names = Object.keys(grads);
      const norms = tf.tidy(() => tf.stack(names.map((name) => tf.norm(grads[name]!))));
      const values = norms.dataSync();
      norms.dispose();
      gn.record(state.step, state.epoch + 1, Object.fromEntries(names.map((name, i) => [name, values[i]!])));
    }
    const { clip_norm, clip_value } = this.config;
    const clipped = clip_norm === undefined && clip_value === undefined ? grads : tf.tidy(() => clip(tf, grads, clip_norm, clip_value));
    // AdamW's decay comes after the gradient, which is taken at the weights before it (as in PyTorch and Keras).
    this.opt.decay(varList, lr);
    this.opt.optimizer.applyGradients(clipped);
    tf.dispose(Object.values(grads));
    if (clipped !== grads) tf.dispose(Object.values(clipped));
    acc.update(value, n, y, pred);
    pred.dispose();
    taught?.dispose();
    state.step++;
    return value;
  }

  /** The loss and gradients through tfjs-core's tape. */
  private taped(x: Tensor, y: Tensor, varList: Variable[], taught: Tensor | undefined): BatchGradients {
    const { tf, model } = this;
    const distill = this.config.distill;
    let pred: Tensor | undefined;
    const { value, grads } = tf.variableGrads(() => {
      let loss: Scalar;
      let out: Tensor;
      if (this.head) {
        const { meanLoss, probabilities, logits } = this.lossFromLogits(this.head, x, y);
        pred = probabilities; // kept by lossFromLogits
        loss = meanLoss;
        // The distillation term differentiates through the probabilities: softmax on the tape.
        out = distill ? tf.softmax(logits) : probabilities;
      } else {
        out = model.apply(x, { training: true }) as Tensor;
        pred = tf.keep(out);
        const perExample = this.lossFn(y, out);
        const w = this.perExampleWeight(y);
        loss = tf.mean(w ? tf.mul(perExample, tf.reshape(w, [...w.shape, ...new Array<number>(perExample.rank - w.rank).fill(1)])) : perExample) as Scalar;
      }
      // alpha · the loss on the labels + (1 - alpha) · T² · KL(teacher ‖ student) (distill.ts); the layers' own losses come on top, unweighted.
      if (distill) loss = tf.add(tf.mul(loss, distill.alpha), tf.mul(distillationTerm(tf, taught!, out, distill.temperature), 1 - distill.alpha));
      for (const reg of model.calculateLosses()) loss = tf.add(loss, reg);
      return loss;
    }, varList);
    return { value, grads, pred: pred! };
  }

  /**
   * The mean loss from the logits of the model's dense softmax output: the body on the tape,
   * then the logits, then the loss as one op whose gradient is the loss entry's closed form
   * (the probabilities it returns are not on the tape).
   */
  private lossFromLogits({ split, fromLogits }: NonNullable<GradientStep['head']>, x: Tensor, y: Tensor): { meanLoss: Scalar; probabilities: Tensor; logits: Tensor } {
    const { tf } = this;
    const { body, dense } = split;
    const h = body ? (body.apply(x, { training: true }) as Tensor) : x;
    const logits = fusedDense(tf, h, dense.kernel.read(), dense.bias?.read() ?? null, false);
    let probabilities: Tensor | undefined;
    const meanLoss = tf.customGrad((...args) => {
      const save = args[1] as unknown as (t: Tensor[]) => void;
      const loss = fromLogits(y, args[0] as Tensor);
      // Kept: the forward pass runs in a tidy of its own.
      probabilities = tf.keep(loss.probabilities);
      save([loss.meanGradient]);
      return { value: loss.meanLoss, gradFunc: (dy: Tensor, saved: Tensor[]) => tf.mul(dy, saved[0]!) };
    })(logits) as Scalar;
    return { meanLoss, probabilities: probabilities!, logits };
  }

  /** Each example's weight from `class_weights`, by its target. */
  private perExampleWeight(y: Tensor): Tensor | undefined {
    const { tf, classWeights: cw } = this;
    if (!cw) return undefined;
    if (this.ctx.kind === 'sparse') return tf.gather(cw, tf.cast(y, 'int32'));
    if (this.ctx.kind === 'binary') return tf.squeeze(tf.add(tf.mul(y, tf.slice(cw, 1, 1)), tf.mul(tf.sub(1, y), tf.slice(cw, 0, 1))), [-1]);
    return tf.sum(tf.mul(y, cw), -1);
  }

  dispose(): void {
    this.classWeights?.dispose();
  }
}

/** Clip gradients by global norm, then by value. */
function clip(tf: TfCore, grads: NamedTensorMap, clipNorm?: number, clipValue?: number): NamedTensorMap {
  let out: NamedTensorMap = grads;
  if (clipNorm !== undefined) {
    const norm = tf.sqrt(tf.addN(Object.values(out).map((g) => tf.sum(tf.square(g)))));
    const scale = tf.div(clipNorm, tf.maximum(norm, clipNorm));
    out = Object.fromEntries(Object.entries(out).map(([k, g]) => [k, tf.mul(g, scale)]));
  }
  if (clipValue !== undefined) {
    out = Object.fromEntries(Object.entries(out).map(([k, g]) => [k, tf.clipByValue(g, -clipValue, clipValue)]));
  }
  return out;
}
