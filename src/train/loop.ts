/**
 * strata's training loop. TensorFlow.js's `model.fit` has no learning-rate
 * schedules or gradient clipping and shuffles with Math.random; this loop
 * does one explicit step per batch (gradients, clipping, decay, update), keeps
 * metrics as running sums on the device, reads the loss a few times a second
 * rather than after every batch, draws every random number from the
 * spec's seed, and can stop and resume at any batch with the same result.
 */
import type { NamedTensorMap, Scalar, Tensor, Variable } from '@tensorflow/tfjs-core';
import type { Engine } from '../backend/select.js';
import { range } from '../data/splits.js';
import type { Dataset, Split } from '../data/types.js';
import { UsageError } from '../errors.js';
import type { LayersModel } from '../model/build.js';
import { CarriedStates, laneBatches } from './carry-state.js';
import type { CarriedSnapshot } from './carry-state.js';
import { metricMode } from './config.js';
import type { TrainConfig } from './config.js';
import { makeLoss } from './losses.js';
import { MetricAccumulator } from './metrics.js';
import type { MetricContext, TargetKind } from './metrics.js';
import { makeOptimizer } from './optimizers.js';
import type { StrataOptimizer } from './optimizers.js';
import { installGlobalRng, mixSeed, permutation, Rng } from './rng.js';
import { learningRateAt, plateauStep } from './schedules.js';
import type { PlateauState } from './schedules.js';

/** Where a run is: everything needed to continue it exactly. */
export interface TrainState {
  /** Epochs completed. */
  epoch: number;
  /** Batches completed in the epoch under way (non-zero only after an interruption). */
  batch: number;
  /** Optimizer steps taken. */
  step: number;
  /** The global random generator's state (dropout and other unseeded randomness). */
  rng: number;
  plateau?: PlateauState;
  early?: { best: number | null; wait: number; epoch: number };
  /** The interrupted epoch's carried recurrent states (train.carry_state), so that it resumes from them. */
  carried?: CarriedSnapshot;
  /** The interrupted epoch's running sums (loss and metrics), samples and seconds so far, so that its log covers the whole epoch after a resume. */
  epochSoFar?: { sums: number[]; samples: number; seconds: number };
}

export type EpochLog = Record<string, number> & { epoch: number; lr: number; seconds: number; samples_per_second: number };

export interface BatchProgress {
  epoch: number;
  batch: number;
  batches: number;
  samples: number;
  /** This batch's mean loss. */
  loss: number;
}

export interface TrainHooks {
  /**
   * Once per batch, in order, but in groups: losses are read from the device a few
   * times a second, and each read reports the batches since the previous one.
   */
  onBatch?(p: BatchProgress): void;
  /** After each epoch: write metrics, save a checkpoint. */
  onEpoch?(log: EpochLog, state: TrainState): Promise<void>;
  /** Checked after every batch; when true the loop stops and reports 'interrupted'. */
  interrupted?(): boolean;
  /** Every `every` steps, the L2 norm of each variable's gradient (computed on the device, read once). */
  gradientNorms?: { every: number; record(step: number, epoch: number, norms: Record<string, number>): void };
}

export type StopReason = 'completed' | 'early_stopping' | 'non_finite' | 'interrupted';

export interface TrainResult {
  state: TrainState;
  history: EpochLog[];
  stopped: StopReason;
  /** For 'non_finite': where the loss first stopped being finite. */
  at?: { epoch: number; batch: number };
  /** Set when early stopping's restore_best put back the weights of this (earlier) epoch. */
  restoredEpoch?: number;
}

/** How often (ms of wall time) the loop reads the losses of the batches since the last read. */
const READ_EVERY_MS = 150;

export function initialState(seed: number): TrainState {
  return { epoch: 0, batch: 0, step: 0, rng: mixSeed(seed, 0x5eed) };
}

export function targetKind(loss: string, outputShape: readonly (number | null)[]): TargetKind {
  if (loss === 'sparse_categorical_crossentropy') return 'sparse';
  if (loss === 'categorical_crossentropy') return 'one_hot';
  if (loss === 'binary_crossentropy' && outputShape[outputShape.length - 1] === 1) return 'binary';
  if (loss === 'binary_crossentropy') return 'one_hot';
  return 'regression';
}

export function metricContext(model: LayersModel, config: TrainConfig): MetricContext {
  const out = model.outputs[0]!.shape;
  return { kind: targetKind(config.loss, out), classes: out[out.length - 1] ?? 1, topK: config.top_k };
}

function toTensors(engine: Engine, dataset: Dataset, batch: { x: Float32Array | Int32Array; y: Float32Array | Int32Array; size: number }): [Tensor, Tensor] {
  const { tf } = engine;
  return [tf.tensor(batch.x, [batch.size, ...dataset.inputShape], dataset.inputDtype), tf.tensor(batch.y, [batch.size, ...dataset.targetShape], dataset.targetDtype)];
}

/** Per-example weights from `class_weights` (class index or name → weight). */
function classWeightVector(dataset: Dataset, ctx: MetricContext, weights: Record<string, number> | undefined): number[] | undefined {
  if (!weights) return undefined;
  const k = ctx.kind === 'binary' ? 2 : ctx.classes;
  const names = dataset.classes ?? [];
  return Array.from({ length: k }, (_, i) => weights[String(i)] ?? weights[names[i] ?? ''] ?? 1);
}

/** Evaluate a split: mean loss and metrics, no training behaviour (dropout off). */
export async function evaluateSplit(engine: Engine, model: LayersModel, dataset: Dataset, split: Split, config: TrainConfig, acc?: MetricAccumulator): Promise<Record<string, number>> {
  const { tf } = engine;
  const lossFn = makeLoss(tf, config.loss);
  const accumulator = acc ?? new MetricAccumulator(tf, config.metrics, metricContext(model, config));
  // Carried states: the split in lanes of the training batch size, as in training; otherwise runs of consecutive examples.
  if (config.carry_state && !split.continuous) {
    throw new UsageError({ arg: 'train.carry_state', code: 'carry-state', message: "the model was trained with carry_state, which needs windows that follow each other, and this split's do not; evaluate on data whose stride equals its window length" });
  }
  const carried = config.carry_state ? new CarriedStates(tf, model) : undefined;
  const size = Math.max(config.batch_size, 256);
  const batches = carried ? laneBatches(split.size, config.batch_size) : Array.from({ length: Math.ceil(split.size / size) }, (_, k) => range(Math.min(size, split.size - k * size), k * size));
  try {
    for (const indices of batches) {
      const n = indices.length;
      const [x, y] = toTensors(engine, dataset, split.batch(indices));
      tf.tidy(() => {
        const pred = model.apply(x, { training: false }) as Tensor;
        const perExample = lossFn(y, pred);
        accumulator.update(tf.mean(perExample), n, y, pred);
      });
      tf.dispose([x, y]);
    }
  } finally {
    carried?.release();
  }
  const result = await accumulator.read();
  if (!acc) accumulator.dispose();
  return result;
}

/**
 * Train `model` from `start` to `config.epochs`. With no `strataOptimizer`, one is made
 * from the config and disposed at the end (the live tensor count is the same before and
 * after); a passed-in optimizer is left to its owner (runSession saves its state).
 */
export async function train(engine: Engine, model: LayersModel, dataset: Dataset, config: TrainConfig, seed: number, start: TrainState, hooks: TrainHooks = {}, strataOptimizer?: StrataOptimizer): Promise<TrainResult> {
  const { tf } = engine;
  const opt = strataOptimizer ?? makeOptimizer(tf, config.optimizer);
  const lossFn = makeLoss(tf, config.loss, { labelSmoothing: config.label_smoothing });
  const ctx = metricContext(model, config);
  const weightsByClass = classWeightVector(dataset, ctx, config.class_weights);
  const classWeights = weightsByClass ? tf.keep(tf.tensor1d(weightsByClass)) : undefined;
  const split = dataset.train;
  // With carried states the batches are the same every epoch: lanes of consecutive windows (carry-state.ts).
  const lanes = config.carry_state ? laneBatches(split.size, config.batch_size) : undefined;
  const carried = lanes ? new CarriedStates(tf, model) : undefined;
  const batchesPerEpoch = Math.min(lanes ? lanes.length : Math.ceil(split.size / config.batch_size), config.steps_per_epoch ?? Infinity);
  const schedule = { base: opt.baseLearningRate, stepsPerEpoch: batchesPerEpoch, totalSteps: batchesPerEpoch * config.epochs };
  const vars = () => model.trainableWeights.map((w) => w.read() as Variable);
  const state: TrainState = { ...start, ...(config.schedule?.type === 'reduce_on_plateau' ? { plateau: start.plateau ?? { scale: 1, best: null, wait: 0 } } : {}) };
  const history: EpochLog[] = [];
  const es = config.early_stopping;
  // The best epoch's weights, for early stopping's restore_best (allocated up front so the tensor count stays flat).
  const best = es?.restore_best ? model.getWeights().map((w) => tf.keep(w.clone())) : undefined;
  let bestCaptured = -1;
  const rng = new Rng(state.rng);
  const restoreRandom = installGlobalRng(rng);
  let currentLr = Number.NaN;

  const perExampleWeight = (y: Tensor): Tensor | undefined => {
    if (!classWeights) return undefined;
    if (ctx.kind === 'sparse') return tf.gather(classWeights, tf.cast(y, 'int32'));
    if (ctx.kind === 'binary') return tf.squeeze(tf.add(tf.mul(y, tf.slice(classWeights, 1, 1)), tf.mul(tf.sub(1, y), tf.slice(classWeights, 0, 1))), [-1]);
    return tf.sum(tf.mul(y, classWeights), -1);
  };

  const step = (x: Tensor, y: Tensor, n: number, acc: MetricAccumulator): Scalar => {
    const lr = learningRateAt(config.schedule, state.step, schedule, state.plateau);
    if (lr !== currentLr) {
      opt.setLearningRate(lr);
      currentLr = lr;
    }
    const varList = vars();
    opt.decay(varList, lr);
    let pred: Tensor | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const out = model.apply(x, { training: true }) as Tensor;
      pred = tf.keep(out);
      const perExample = lossFn(y, out);
      const w = perExampleWeight(y);
      let loss = tf.mean(w ? tf.mul(perExample, tf.reshape(w, [...w.shape, ...new Array<number>(perExample.rank - w.rank).fill(1)])) : perExample) as Scalar;
      for (const reg of model.calculateLosses()) loss = tf.add(loss, reg);
      return loss;
    }, varList);
    const gn = hooks.gradientNorms;
    if (gn && state.step % gn.every === 0) {
      const names = Object.keys(grads);
      const norms = tf.tidy(() => tf.stack(names.map((n) => tf.norm(grads[n]!))));
      const values = norms.dataSync();
      norms.dispose();
      gn.record(state.step, state.epoch + 1, Object.fromEntries(names.map((n, i) => [n, values[i]!])));
    }
    const clipped = config.clip_norm === undefined && config.clip_value === undefined ? grads : tf.tidy(() => clip(tf, grads, config.clip_norm, config.clip_value));
    opt.optimizer.applyGradients(clipped);
    tf.dispose(Object.values(grads));
    if (clipped !== grads) tf.dispose(Object.values(clipped));
    acc.update(value, n, y, pred!);
    pred!.dispose();
    state.step++;
    return value;
  };

  let stopped: StopReason = 'completed';
  let at: TrainResult['at'];
  let restoredEpoch = -1;
  let lastRead = performance.now();
  // Each batch's loss stays on the device until the next check (every READ_EVERY_MS, at an
  // interruption and at the epoch's end): one read then covers all of them, and the first
  // non-finite one among them names the batch, as a read per batch would have.
  let pending: { loss: Scalar; batch: number; samples: number }[] = [];
  const checkLosses = async (epoch: number, batches: number): Promise<number> => {
    if (pending.length === 0) return -1;
    const losses = pending;
    pending = [];
    const stacked = tf.stack(losses.map((p) => p.loss));
    const values = await stacked.data();
    tf.dispose([stacked, ...losses.map((p) => p.loss)]);
    for (let i = 0; i < losses.length; i++) {
      const value = values[i]!;
      if (!Number.isFinite(value)) return losses[i]!.batch;
      hooks.onBatch?.({ epoch, batch: losses[i]!.batch + 1, batches, samples: losses[i]!.samples, loss: value });
    }
    return -1;
  };
  try {
    while (state.epoch < config.epochs) {
      const epoch = state.epoch;
      const t0 = performance.now();
      const order = lanes ? undefined : permutation(split.size, mixSeed(seed, epoch + 1));
      // Each epoch starts from zero states; an interrupted one from those it stopped with.
      if (carried && state.batch > 0 && state.carried) carried.restore(state.carried);
      else carried?.reset();
      delete state.carried;
      const acc = new MetricAccumulator(tf, config.metrics, ctx);
      let firstBad = -1;
      let samples = 0;
      let secondsBefore = 0;
      if (state.batch > 0 && state.epochSoFar) {
        // Resuming mid-epoch: the epoch's figures include the batches before the interruption.
        acc.resumeFrom(state.epochSoFar.sums);
        samples = state.epochSoFar.samples;
        secondsBefore = state.epochSoFar.seconds;
      }
      delete state.epochSoFar;
      for (let b = state.batch; b < batchesPerEpoch; b++) {
        const indices = lanes ? lanes[b]! : order!.subarray(b * config.batch_size, Math.min(split.size, (b + 1) * config.batch_size));
        const batch = split.batch(indices);
        dataset.augment?.(batch, () => rng.next());
        const [x, y] = toTensors(engine, dataset, batch);
        const loss = step(x, y, indices.length, acc);
        tf.dispose([x, y]);
        samples += indices.length;
        pending.push({ loss, batch: b, samples });
        state.batch = b + 1;
        const interrupted = hooks.interrupted?.() ?? false;
        // Read the losses a few times a second, and let timers and signal handlers run
        // (progress bars, Ctrl-C) at the same moments.
        if (interrupted || performance.now() - lastRead > READ_EVERY_MS) {
          firstBad = await checkLosses(epoch, batchesPerEpoch);
          if (firstBad >= 0) break;
          await new Promise((resolve) => setImmediate(resolve));
          lastRead = performance.now();
        }
        if (interrupted) {
          stopped = 'interrupted';
          break;
        }
      }
      if (firstBad < 0) firstBad = await checkLosses(epoch, batchesPerEpoch);
      if (firstBad >= 0) {
        acc.dispose();
        state.batch = firstBad + 1;
        stopped = 'non_finite';
        at = { epoch: epoch + 1, batch: firstBad + 1 };
        break;
      }
      if (stopped === 'interrupted') {
        state.epochSoFar = { sums: await acc.sumsSoFar(), samples, seconds: secondsBefore + (performance.now() - t0) / 1000 };
        if (carried) state.carried = await carried.snapshot();
        acc.dispose();
        state.rng = rng.state;
        break;
      }
      const trainLogs = await acc.read();
      acc.dispose();
      const log = { epoch: epoch + 1, ...trainLogs } as EpochLog;
      if (dataset.validation) {
        const val = await evaluateSplit(engine, model, dataset, dataset.validation, config);
        for (const [k, v] of Object.entries(val)) log[`val_${k}`] = v;
      }
      const seconds = secondsBefore + (performance.now() - t0) / 1000;
      log.lr = currentLr;
      log.seconds = Math.round(seconds * 1000) / 1000;
      log.samples_per_second = Math.round(samples / seconds);
      state.epoch = epoch + 1;
      state.batch = 0;
      state.rng = rng.state;
      if (state.plateau && config.schedule) {
        const monitored = log[config.schedule.monitor ?? (dataset.validation ? 'val_loss' : 'loss')];
        if (monitored !== undefined) state.plateau = plateauStep(config.schedule, state.plateau, monitored);
      }
      let stopEarly = false;
      if (es) {
        const value = log[es.monitor];
        if (value !== undefined) {
          const mode = metricMode(es.monitor, es.mode);
          const prev = state.early ?? { best: null, wait: 0, epoch: 0 };
          const improved = prev.best === null || (mode === 'min' ? value < prev.best - es.min_delta : value > prev.best + es.min_delta);
          state.early = improved ? { best: value, wait: 0, epoch: state.epoch } : { ...prev, wait: prev.wait + 1 };
          stopEarly = state.early.wait >= es.patience;
          if (improved && best) {
            model.getWeights().forEach((w, i) => {
              best[i]!.dispose();
              best[i] = tf.keep(w.clone());
            });
            bestCaptured = state.epoch;
          }
        }
      }
      history.push(log);
      await hooks.onEpoch?.(log, state);
      if (stopEarly) {
        stopped = 'early_stopping';
        break;
      }
    }
    // restore_best: end with the best epoch's weights, when this process saw that epoch
    // (after a resume, an earlier best lives in the run's `best` checkpoint instead).
    if (best && state.early && bestCaptured === state.early.epoch && bestCaptured !== state.epoch && (stopped === 'completed' || stopped === 'early_stopping')) {
      model.setWeights(best);
      restoredEpoch = bestCaptured;
    }
  } finally {
    carried?.release();
    tf.dispose(pending.map((p) => p.loss));
    // An optimizer made here is this call's alone: free its slots (Adam's moments are two
    // tensors per weight). One passed in belongs to the caller, who may still save its state.
    if (!strataOptimizer) opt.optimizer.dispose();
    restoreRandom();
    classWeights?.dispose();
    if (best) tf.dispose(best);
  }
  return { state, history, stopped, ...(at ? { at } : {}), ...(restoredEpoch > 0 ? { restoredEpoch } : {}) };
}

/** Clip gradients by global norm, then by value. */
function clip(tf: Engine['tf'], grads: NamedTensorMap, clipNorm?: number, clipValue?: number): NamedTensorMap {
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
