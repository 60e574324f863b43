/**
 * strata's training loop. TensorFlow.js's `model.fit` has no learning-rate
 * schedules or gradient clipping and shuffles with Math.random; this loop
 * does one explicit step per batch (step.ts), keeps metrics as running sums
 * on the device (metrics.ts), reads the loss a few times a second rather than
 * after every batch (loss-reader.ts), draws every random number from the
 * spec's seed, and can stop and resume at any batch with the same result.
 * `train()` runs epochs (`runEpochs`, which the torch engine shares); each
 * epoch is its batches (`trainEpoch`), then its log (`finishEpoch`:
 * validation, timing), then the decisions taken on that log
 * (`decideAfterEpoch`: reduce-on-plateau, early stopping) and the hook that saves.
 */
import type { Engine } from '../backend/select.js';
import type { Dataset } from '../data/types.js';
import { VALIDATION_PREFIX } from '../train-registry/catalog.js';
import type { Direction, MetricContext, PlateauState } from '../train-registry/entry.js';
import { makeOptimizer } from '../train-registry/optimizers.js';
import type { StrataOptimizer } from '../train-registry/optimizers.js';
import { installGlobalRng, mixSeed, permutation, Rng } from '../rng.js';
import type { LayersModel } from '../tf-types.js';
import { toTensors } from './batches.js';
import { CarriedStates, laneBatches } from './carry-state.js';
import type { CarriedSnapshot } from './carry-state.js';
import { metricDefs, metricMode } from './config.js';
import type { TrainConfig } from './config.js';
import { EarlyStopping } from './early-stopping.js';
import type { EarlyState } from './early-stopping.js';
import { evaluateSplit } from './evaluate-split.js';
import { LossReader } from './loss-reader.js';
import type { BatchProgress } from './loss-reader.js';
import { MetricAccumulator } from './metrics.js';
import { GradientStep } from './step.js';
import type { GradientNormHook } from './step.js';
import { metricContext } from './targets.js';
import { Pruner } from './pruning.js';

export type { BatchProgress };

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
  early?: EarlyState;
  /** The interrupted epoch's carried recurrent states (train.carry_state), so that it resumes from them. */
  carried?: CarriedSnapshot;
  /** The interrupted epoch's running sums (loss and metrics), samples and seconds so far, so that its log covers the whole epoch after a resume. */
  epochSoFar?: { sums: number[]; samples: number; seconds: number };
}

export type EpochLog = Record<string, number> & { epoch: number; lr: number; seconds: number; samples_per_second: number };

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
  gradientNorms?: GradientNormHook;
}

/** What a caller may hand `train()` besides the hooks: the pruning masks it saves with its checkpoints (made here from the config when not given), and train.distill's teacher. */
export interface TrainParts {
  pruner?: Pruner;
  /** train.distill's teacher (loaded by the caller, who disposes it). */
  teacher?: LayersModel;
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

export function initialState(seed: number): TrainState {
  return { epoch: 0, batch: 0, step: 0, rng: mixSeed(seed, 0x5eed) };
}

/**
 * What an epoch's log decides, on either engine: reduce-on-plateau's state, then early
 * stopping's (its state, and whether to stop: returned).
 */
export function decideAfterEpoch(config: TrainConfig, state: TrainState, early: EarlyStopping | undefined, log: EpochLog): boolean {
  const s = config.schedule;
  if (state.plateau && s?.def.plateauStep) {
    const monitor = s.settings.monitor as string;
    const value = log[monitor];
    if (value !== undefined) state.plateau = s.def.plateauStep(s.settings, state.plateau, value, metricMode(monitor, s.settings.mode as Direction | undefined));
  }
  if (!early) return false;
  const r = early.update(log, state.epoch, state.early);
  if (r.state) state.early = r.state;
  return r.stop;
}

/** Per-example weights from `class_weights` (class index or name → weight). */
export function classWeightVector(dataset: Dataset, ctx: MetricContext, weights: Record<string, number> | undefined): number[] | undefined {
  if (!weights) return undefined;
  const k = ctx.kind === 'binary' ? 2 : ctx.classes;
  const names = dataset.classes ?? [];
  return Array.from({ length: k }, (_, i) => weights[String(i)] ?? weights[names[i] ?? ''] ?? 1);
}

/** How an epoch's batches ended. */
type EpochEnd = { kind: 'done'; acc: MetricAccumulator; samples: number; seconds: number } | { kind: 'interrupted' } | { kind: 'non_finite'; batch: number };

/** Batches in an epoch: the split's (or its lanes', with carried states), at most steps_per_epoch. */
export function batchesPerEpoch(size: number, config: TrainConfig, lanes: readonly Int32Array[] | undefined): number {
  return Math.min(lanes ? lanes.length : Math.ceil(size / config.batch_size), config.steps_per_epoch ?? Infinity);
}

/** An epoch's batches in order, on either engine: the lanes of carried states, else the seed's permutation for the epoch cut into batches. */
export function epochBatches(size: number, config: TrainConfig, seed: number, epoch: number, lanes: readonly Int32Array[] | undefined, count: number): Int32Array[] {
  if (lanes) return lanes.slice(0, count);
  const order = permutation(size, mixSeed(seed, epoch + 1));
  return Array.from({ length: count }, (_, b) => order.subarray(b * config.batch_size, Math.min(size, (b + 1) * config.batch_size)));
}

/** The state a run starts from, with reduce-on-plateau's state when its schedule has one. */
export function withPlateau(config: TrainConfig, start: TrainState): TrainState {
  return config.schedule?.def.plateauStep ? { ...start, plateau: start.plateau ?? { scale: 1, best: null, wait: 0 } } : { ...start };
}

/** What `runEpochs` drives: one engine's epochs (this file's TrainingRun, or the torch engine's). */
export interface EpochDriver {
  state: TrainState;
  config: TrainConfig;
  early: EarlyStopping | undefined;
  /** Each finished epoch's log is appended. */
  history: EpochLog[];
  onEpoch: TrainHooks['onEpoch'];
  /** An epoch's batches, from where the state says it is; `batch` (0-based) names the first non-finite loss. */
  trainEpoch(epoch: number): Promise<{ kind: 'done' | 'interrupted' } | { kind: 'non_finite'; batch: number }>;
  /** The epoch's log (training and validation figures, rate, speed); the state moves to the next epoch. */
  finishEpoch(epoch: number, end: { kind: 'done' }): Promise<EpochLog>;
}

/**
 * The epochs of a run, on either engine: each epoch's batches, then its log, then what the
 * log decides (reduce-on-plateau, early stopping), then the hook that saves; a non-finite
 * loss or an interruption ends the run where it is; at the end, early stopping's best weights.
 */
export async function runEpochs(d: EpochDriver): Promise<TrainResult> {
  const { state, config } = d;
  let stopped: StopReason = 'completed';
  let at: TrainResult['at'];
  while (state.epoch < config.epochs) {
    const epoch = state.epoch;
    const end = await d.trainEpoch(epoch);
    if (end.kind === 'non_finite') {
      state.batch = end.batch + 1;
      stopped = 'non_finite';
      at = { epoch: epoch + 1, batch: end.batch + 1 };
      break;
    }
    if (end.kind === 'interrupted') {
      stopped = 'interrupted';
      break;
    }
    const log = await d.finishEpoch(epoch, end as { kind: 'done' });
    const stop = decideAfterEpoch(config, state, d.early, log);
    d.history.push(log);
    await d.onEpoch?.(log, state);
    if (stop) {
      stopped = 'early_stopping';
      break;
    }
  }
  const restoredEpoch = stopped === 'completed' || stopped === 'early_stopping' ? d.early?.restore(state.early, state.epoch) : undefined;
  return { state, history: d.history, stopped, ...(at ? { at } : {}), ...(restoredEpoch ? { restoredEpoch } : {}) };
}

/** One call of `train()`: what it set up, and the steps of an epoch. */
class TrainingRun {
  readonly state: TrainState;
  readonly history: EpochLog[] = [];
  private readonly tf: Engine['tf'];
  private readonly opt: StrataOptimizer;
  private readonly ctx: MetricContext;
  private readonly step: GradientStep;
  private readonly lanes: Int32Array[] | undefined;
  private readonly carried: CarriedStates | undefined;
  private readonly batchesPerEpoch: number;
  private readonly early: EarlyStopping | undefined;
  private readonly rng: Rng;
  private readonly restoreRandom: () => void;
  private readonly losses: LossReader;
  private readonly pruner: Pruner | undefined;

  constructor(
    private readonly engine: Engine,
    private readonly model: LayersModel,
    private readonly dataset: Dataset,
    private readonly config: TrainConfig,
    private readonly seed: number,
    start: TrainState,
    private readonly hooks: TrainHooks,
    /** The caller's optimizer (left to it), or undefined to make one here and dispose it at the end. */
    private readonly callerOptimizer: StrataOptimizer | undefined,
    private readonly parts: TrainParts,
  ) {
    const { tf } = engine;
    this.tf = tf;
    this.opt = callerOptimizer ?? makeOptimizer(tf, config.optimizer);
    this.ctx = metricContext(model, config);
    const split = dataset.train;
    // With carried states the batches are the same every epoch: lanes of consecutive windows (carry-state.ts).
    this.lanes = config.carry_state ? laneBatches(split.size, config.batch_size) : undefined;
    this.carried = this.lanes ? new CarriedStates(tf, model) : undefined;
    this.batchesPerEpoch = batchesPerEpoch(split.size, config, this.lanes);
    const schedule = { base: this.opt.baseLearningRate, stepsPerEpoch: this.batchesPerEpoch, totalSteps: this.batchesPerEpoch * config.epochs };
    this.step = new GradientStep(tf, engine.tfl, model, config, this.opt, this.ctx, schedule, classWeightVector(dataset, this.ctx, config.class_weights), hooks.gradientNorms, parts.teacher);
    this.state = withPlateau(config, start);
    this.pruner = parts.pruner ?? (config.pruning ? new Pruner(tf, model, config.pruning) : undefined);
    this.pruner?.begin(this.batchesPerEpoch, this.state.step);
    this.early = config.early_stopping ? new EarlyStopping(tf, model, config.early_stopping) : undefined;
    this.rng = new Rng(this.state.rng);
    this.restoreRandom = installGlobalRng(this.rng);
    this.losses = new LossReader(tf, hooks.onBatch);
  }

  async run(): Promise<TrainResult> {
    return runEpochs({
      state: this.state,
      config: this.config,
      early: this.early,
      history: this.history,
      onEpoch: this.hooks.onEpoch,
      trainEpoch: (epoch) => this.trainEpoch(epoch),
      finishEpoch: (epoch, end) => this.finishEpoch(epoch, end as Extract<EpochEnd, { kind: 'done' }>),
    });
  }

  /** The batches of one epoch, from where the state says the epoch is. */
  private async trainEpoch(epoch: number): Promise<EpochEnd> {
    const { tf, state, config, dataset } = this;
    const split = dataset.train;
    const t0 = performance.now();
    const batches = epochBatches(split.size, config, this.seed, epoch, this.lanes, this.batchesPerEpoch);
    // Each epoch starts from zero states; an interrupted one from those it stopped with.
    if (this.carried && state.batch > 0 && state.carried) this.carried.restore(state.carried);
    else this.carried?.reset();
    delete state.carried;
    const acc = new MetricAccumulator(tf, metricDefs(config.metrics), this.ctx);
    let samples = 0;
    let secondsBefore = 0;
    if (state.batch > 0 && state.epochSoFar) {
      // Resuming mid-epoch: the epoch's figures include the batches before the interruption.
      acc.resumeFrom(state.epochSoFar.sums);
      samples = state.epochSoFar.samples;
      secondsBefore = state.epochSoFar.seconds;
    }
    delete state.epochSoFar;
    let firstBad = -1;
    let interrupted = false;
    // Let signal handlers run at each epoch's start too, not only when the losses are read (a
    // few times a second): an epoch of a few milliseconds (a search's small trial) would
    // otherwise run to its end before a stop or Ctrl-C was seen.
    await new Promise((resolve) => setImmediate(resolve));
    for (let b = state.batch; b < this.batchesPerEpoch; b++) {
      const indices = batches[b]!;
      const batch = split.batch(indices);
      dataset.augment?.(batch, () => this.rng.next());
      const [x, y] = toTensors(this.engine, dataset, batch);
      let loss;
      try {
        loss = this.step.run(x, y, indices.length, acc, state);
        this.pruner?.afterStep(state.step);
      } catch (e) {
        acc.dispose();
        throw e;
      } finally {
        tf.dispose([x, y]);
      }
      samples += indices.length;
      this.losses.add(loss, b, samples);
      state.batch = b + 1;
      interrupted = this.hooks.interrupted?.() ?? false;
      // Read the losses a few times a second, and let timers and signal handlers run
      // (progress bars, Ctrl-C) at the same moments.
      if (interrupted || this.losses.due()) {
        firstBad = await this.losses.check(epoch, this.batchesPerEpoch);
        if (firstBad >= 0) break;
        await new Promise((resolve) => setImmediate(resolve));
        this.losses.markRead();
      }
      if (interrupted) break;
    }
    if (firstBad < 0) firstBad = await this.losses.check(epoch, this.batchesPerEpoch);
    if (firstBad >= 0) {
      acc.dispose();
      return { kind: 'non_finite', batch: firstBad };
    }
    const seconds = secondsBefore + (performance.now() - t0) / 1000;
    if (interrupted) {
      // Keep what the epoch has so far, so that its resumption reports the whole epoch.
      state.epochSoFar = { sums: await acc.sumsSoFar(), samples, seconds };
      if (this.carried) state.carried = await this.carried.snapshot();
      acc.dispose();
      state.rng = this.rng.state;
      return { kind: 'interrupted' };
    }
    return { kind: 'done', acc, samples, seconds };
  }

  /** The epoch's log: training figures, validation figures, rate and speed; the state moves to the next epoch. */
  private async finishEpoch(epoch: number, end: Extract<EpochEnd, { kind: 'done' }>): Promise<EpochLog> {
    const trainLogs = await end.acc.read();
    end.acc.dispose();
    const log = { epoch: epoch + 1, ...trainLogs } as EpochLog;
    const { dataset, state } = this;
    const t0 = performance.now();
    if (dataset.validation) {
      const val = await evaluateSplit(this.engine, this.model, dataset, dataset.validation, this.config);
      for (const [k, v] of Object.entries(val)) log[`${VALIDATION_PREFIX}${k}`] = v;
    }
    const seconds = end.seconds + (performance.now() - t0) / 1000;
    if (this.pruner) Object.assign(log, this.pruner.sparsity());
    log.lr = this.step.learningRate;
    log.seconds = Math.round(seconds * 1000) / 1000;
    log.samples_per_second = Math.round(end.samples / seconds);
    state.epoch = epoch + 1;
    state.batch = 0;
    state.rng = this.rng.state;
    return log;
  }

  dispose(): void {
    this.carried?.release();
    this.losses.dispose();
    // An optimizer made here is this call's alone: free its slots (Adam's moments are two
    // tensors per weight). One passed in belongs to the caller, who may still save its state.
    if (!this.callerOptimizer) this.opt.optimizer.dispose();
    this.restoreRandom();
    this.step.dispose();
    this.early?.dispose();
    if (!this.parts.pruner) this.pruner?.dispose();
  }
}

/**
 * Train `model` from `start` to `config.epochs`. With no `strataOptimizer`, one is made
 * from the config and disposed at the end (the live tensor count is the same before and
 * after); a passed-in optimizer is left to its owner (runSession saves its state).
 */
export async function train(engine: Engine, model: LayersModel, dataset: Dataset, config: TrainConfig, seed: number, start: TrainState, hooks: TrainHooks = {}, strataOptimizer?: StrataOptimizer, parts: TrainParts = {}): Promise<TrainResult> {
  const run = new TrainingRun(engine, model, dataset, config, seed, start, hooks, strataOptimizer, parts);
  try {
    return await run.run();
  } finally {
    run.dispose();
  }
}
