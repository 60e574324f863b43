/**
 * One optimizer step: the learning rate of the schedule, decoupled weight
 * decay, the loss (class-weighted, plus the layers' own losses) and its
 * gradients, optional gradient norms for the report, clipping, the update,
 * and the batch's statistics added to the epoch's metrics.
 */
import type { NamedTensorMap, Scalar, Tensor, Variable } from '@tensorflow/tfjs-core';
import type { LossFn, MetricContext, PlateauState, ScheduleContext } from '../train-registry/entry.js';
import type { StrataOptimizer } from '../train-registry/optimizers.js';
import type { LayersModel, TfCore } from '../tf-types.js';
import type { TrainConfig } from './config.js';
import type { MetricAccumulator } from './metrics.js';
import { distillationTerm } from './distill.js';

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

  constructor(
    private readonly tf: TfCore,
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
    const distill = this.config.distill;
    // The teacher's outputs, as in prediction (no dropout); constants of the student's gradient.
    const taught = distill ? tf.tidy(() => this.teacher!.predict(x) as Tensor) : undefined;
    let pred: Tensor | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const out = model.apply(x, { training: true }) as Tensor;
      pred = tf.keep(out);
      const perExample = this.lossFn(y, out);
      const w = this.perExampleWeight(y);
      let loss = tf.mean(w ? tf.mul(perExample, tf.reshape(w, [...w.shape, ...new Array<number>(perExample.rank - w.rank).fill(1)])) : perExample) as Scalar;
      // alpha · the loss on the labels + (1 - alpha) · T² · KL(teacher ‖ student) (distill.ts); the layers' own losses come on top, unweighted.
      if (distill) loss = tf.add(tf.mul(loss, distill.alpha), tf.mul(distillationTerm(tf, taught!, out, distill.temperature), 1 - distill.alpha));
      for (const reg of model.calculateLosses()) loss = tf.add(loss, reg);
      return loss;
    }, varList);
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
    acc.update(value, n, y, pred!);
    pred!.dispose();
    taught?.dispose();
    state.step++;
    return value;
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
