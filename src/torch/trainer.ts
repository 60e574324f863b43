/**
 * Training on the torch engine, with the same contract as train/loop.ts's
 * `train()`: the same epochs, batch order (the seed's permutation, or the
 * lanes of carried states), learning rate of every step (the registry's
 * schedule, computed here and sent), epoch log, early stopping and
 * reduce-on-plateau decisions, and the same TrainState for checkpoints.
 *
 * The TensorFlow.js model stays the source of truth between epochs: it
 * starts the run (weights initialized from the seed, or resumed), its
 * weights and optimizer state are handed to Python as files, and after every
 * epoch (or interruption) Python's are put back into it, so the caller's
 * checkpoint code (run/session.ts) writes strata's format as for the other
 * engine.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Variable } from '@tensorflow/tfjs-core';
import type { Engine } from '../backend/select.js';
import type { Dataset, Split } from '../data/types.js';
import { RuntimeFailure } from '../errors.js';
import { Rng } from '../rng.js';
import type { LayersModel } from '../tf-types.js';
import { VALIDATION_PREFIX } from '../train-registry/catalog.js';
import type { StrataOptimizer } from '../train-registry/optimizers.js';
import { betaPowerAfter } from '../train-registry/fused-adam.js';
import { laneBatches } from '../train/carry-state.js';
import type { CarriedSnapshot } from '../train/carry-state.js';
import { metricDefs } from '../train/config.js';
import type { TrainConfig } from '../train/config.js';
import { EarlyStopping } from '../train/early-stopping.js';
import { batchesPerEpoch, classWeightVector, epochBatches, runEpochs, withPlateau } from '../train/loop.js';
import { evaluationBatches } from '../train/evaluate-split.js';
import { scheduleRate } from '../train/step.js';
import type { ScheduleContext } from '../train-registry/entry.js';
import type { EpochLog, TrainHooks, TrainResult, TrainState } from '../train/loop.js';
import { metricsFromSums } from '../train/metrics.js';
import { metricContext } from '../train/targets.js';
import { floats, readFloats, sizeOf, writeAugmented, writeBatches, writeFloats, writeSplit } from './handover.js';
import { TorchWorkers } from './workers.js';
import type { Distribution } from './workers.js';
import { VERSION } from '../version.js';
import { createHash } from 'node:crypto';
import type { TorchEvent } from './process.js';

export interface TorchSettings {
  /** The Python that has torch. */
  python: string;
  /** 'cpu', 'cuda', 'cuda:N', or 'auto' (cuda when PyTorch sees one). */
  device: string;
  /** Show Python's traceback with its error (train --verbose). */
  verbose?: boolean;
  /** Threads for PyTorch's CPU kernels (default: the faster of 1 and every core, timed on the first steps; with several workers, the cores shared among them). */
  threads?: number;
  /** Data-parallel workers on this machine and others (train --workers, --nodes); one process when absent. */
  distribution?: Distribution;
  /** Once PyTorch has started: its version and the device it trains on. */
  onReady?: (info: { torch: string; device: string }) => void;
  /** A line for the user (such as an optimizer state that could not be carried over). */
  onNote?: (line: string) => void;
  /** After every epoch (and interruption): the optimizer's state in TensorFlow.js's layout, for the checkpoint. */
  onOptimizerState?: (state: OptimizerBytes) => void;
}

/** An optimizer's state as a checkpoint stores it (src/checkpoint/optimizer-state.ts's OptimizerState). */
export interface OptimizerBytes {
  data: Uint8Array;
  specs: { name: string; dtype: 'float32' | 'int32'; shape: number[] }[];
  betaPowers?: [number, number];
}

class TorchRun {
  readonly history: EpochLog[] = [];
  private readonly dir: string;
  private proc!: TorchWorkers;
  private readonly lanes: Int32Array[] | undefined;
  private readonly batchesPerEpoch: number;
  private readonly scheduleContext: ScheduleContext;
  private readonly early: EarlyStopping | undefined;
  private readonly trainableNames: string[];
  /** The last epoch's end (Python's sums and samples, the seconds Node saw it take), for finishEpoch. */
  private ended: { sums: number[]; samples: number; seconds: number } | undefined;

  constructor(
    private readonly engine: Engine,
    private readonly model: LayersModel,
    private readonly dataset: Dataset,
    private readonly config: TrainConfig,
    private readonly seed: number,
    readonly state: TrainState,
    private readonly hooks: TrainHooks,
    private readonly opt: StrataOptimizer,
    private readonly settings: TorchSettings,
  ) {
    const split = dataset.train;
    this.lanes = config.carry_state ? laneBatches(split.size, config.batch_size) : undefined;
    this.batchesPerEpoch = batchesPerEpoch(split.size, config, this.lanes);
    this.scheduleContext = { base: opt.baseLearningRate, stepsPerEpoch: this.batchesPerEpoch, totalSteps: this.batchesPerEpoch * config.epochs };
    this.early = config.early_stopping ? new EarlyStopping(engine.tf, model, config.early_stopping) : undefined;
    this.trainableNames = model.trainableWeights.map((w) => w.originalName);
    this.dir = mkdtempSync(join(tmpdir(), 'strata-torch-'));
  }

  /** Hand the model, its weights, the data and the optimizer's state to Python. */
  async start(): Promise<void> {
    const { model, dataset, config, dir } = this;
    this.proc = await TorchWorkers.start(this.settings.python, this.settings.verbose === true, this.settings.distribution);
    const topology = join(dir, 'topology.json');
    const topologyText = JSON.stringify(model.toJSON(null, false));
    writeFileSync(topology, topologyText);
    const weights = model.weights.map((w) => ({ name: w.originalName, shape: w.shape }));
    const weightsFile = join(dir, 'weights.bin');
    writeFloats(weightsFile, model.weights.map((w) => floats(w.read())));
    const data: Record<string, unknown> = { train: writeSplit(dataset, dataset.train, dir, 'train') };
    if (dataset.validation) data.validation = writeSplit(dataset, dataset.validation, dir, 'validation');
    const ctx = metricContext(model, config);
    const optimizerState = await this.optimizerStateForPython();
    const cw = classWeightVector(dataset, ctx, config.class_weights);
    const ready = await this.proc.request(
      {
        cmd: 'init',
        seed: this.seed,
        device: this.settings.device,
        ...(this.settings.threads ? { threads: this.settings.threads } : {}),
        topology_file: topology,
        weights,
        weights_file: weightsFile,
        trainable: this.trainableNames,
        data,
        loss: config.loss.type,
        label_smoothing: config.label_smoothing,
        metrics: config.metrics,
        context: ctx,
        ...(cw ? { class_weights: cw } : {}),
        ...(config.clip_norm !== undefined ? { clip_norm: config.clip_norm } : {}),
        ...(config.clip_value !== undefined ? { clip_value: config.clip_value } : {}),
        optimizer: { type: config.optimizer.type, settings: config.optimizer.settings },
        ...(optimizerState ? { optimizer_state: optimizerState } : {}),
        step: this.state.step,
        carry_state: config.carry_state,
        // What every worker must share (checked when they meet, with several).
        fingerprint: { strata: VERSION, model: createHash('sha256').update(topologyText).digest('hex').slice(0, 16), training: createHash('sha256').update(JSON.stringify(config)).digest('hex').slice(0, 16), data: dataset.fingerprint, seed: this.seed },
        ...(this.settings.distribution ? { join_timeout: this.settings.distribution.joinTimeout } : {}),
        ...(this.hooks.gradientNorms ? { grad_norms_every: this.hooks.gradientNorms.every } : {}),
      },
      'ready',
    );
    this.settings.onReady?.({ torch: String(ready.torch), device: String(ready.device) });
    const carried = String(ready.optimizer_state);
    if (carried.startsWith('not carried')) this.settings.onNote?.(`strata: the optimizer's state is ${carried}; the torch engine starts it afresh`);
  }

  /** The TensorFlow.js optimizer's slots (restored from a checkpoint) as a file for Python, or undefined before its first step. */
  private async optimizerStateForPython(): Promise<Record<string, unknown> | undefined> {
    const named = await this.opt.optimizer.getWeights();
    const iterations = named[0]?.tensor.dataSync()[0] ?? 0;
    named[0]?.tensor.dispose();
    if (named.length <= 1) return undefined;
    const slots = [...new Set(named.slice(1).map((n) => n.name.slice(n.name.lastIndexOf('/') + 1)))];
    const file = join(this.dir, 'optimizer-in.bin');
    writeFloats(file, named.slice(1).map((n) => floats(n.tensor)));
    return { file, slots, iterations };
  }

  async run(): Promise<TrainResult> {
    return runEpochs({
      state: this.state,
      config: this.config,
      early: this.early,
      history: this.history,
      onEpoch: this.hooks.onEpoch,
      trainEpoch: async (epoch) => {
        const end = await this.trainEpoch(epoch);
        this.ended = end;
        return end.kind === 'non_finite' ? { kind: 'non_finite', batch: end.batch } : { kind: end.kind === 'interrupted' ? 'interrupted' : 'done' };
      },
      finishEpoch: (epoch) => this.finishEpoch(epoch, this.ended!),
    });
  }

  private async trainEpoch(epoch: number): Promise<TorchEvent & { kind: string; batch: number; sums: number[]; samples: number; seconds: number }> {
    const { state, config, dataset, dir } = this;
    // The epoch's time as the user waits for it: Node's preparation and the hand-over count, as
    // the tfjs engine counts its batches' preparation (bench figures measure this whole path).
    const t0 = performance.now();
    const split = dataset.train;
    const batches = epochBatches(split.size, config, this.seed, epoch, this.lanes, this.batchesPerEpoch);
    const files = writeBatches(dir, 'epoch', batches);
    // Augmentation draws from strata's generator, as on the tfjs engine: the epoch's inputs from
    // its first unfinished batch on, augmented here in batch order, go over as one file.
    let augmented: Record<string, unknown> | undefined;
    if (dataset.augment) {
      const rng = new Rng(state.rng);
      augmented = writeAugmented(dataset, batches.slice(state.batch), () => rng.next(), join(dir, 'epoch-x.bin'));
      state.rng = rng.state;
    }
    // The rate of every step from here to the end of the epoch, from the registry's schedule.
    const lrs = new Float64Array(this.batchesPerEpoch - state.batch);
    for (let i = 0; i < lrs.length; i++) lrs[i] = scheduleRate(config, this.scheduleContext, state.step + i, state.plateau);
    const lrsFile = join(dir, 'epoch-lrs.bin');
    writeFileSync(lrsFile, new Uint8Array(lrs.buffer));
    let statesFile: string | undefined;
    if (this.lanes && state.batch > 0 && state.carried) {
      statesFile = join(dir, 'states-in.json');
      writeFileSync(statesFile, JSON.stringify(state.carried));
    }
    delete state.carried;
    const soFar = state.batch > 0 ? state.epochSoFar : undefined;
    delete state.epochSoFar;
    let stopSent = false;
    const report = (e: TorchEvent) => {
      for (const [batch, samples, loss] of (e.batches as [number, number, number][] | undefined) ?? []) {
        this.hooks.onBatch?.({ epoch, batch, batches: this.batchesPerEpoch, samples: samples + (soFar?.samples ?? 0), loss });
      }
      const gn = this.hooks.gradientNorms;
      for (const g of (e.grad_norms as { step: number; norms: Record<string, number> }[] | undefined) ?? []) gn?.record(g.step, epoch + 1, g.norms);
      if (!stopSent && this.hooks.interrupted?.()) {
        stopSent = true;
        this.proc.send({ cmd: 'stop' });
      }
    };
    const end = (await this.proc.request({ cmd: 'epoch', epoch, first_batch: state.batch, ...files, lrs_file: lrsFile, ...(statesFile ? { states_file: statesFile } : {}), ...(augmented ? { x_file: augmented } : {}) }, 'epoch_end', report)) as TorchEvent & {
      kind: string;
      batch: number;
      steps: number;
      sums: number[];
      samples: number;
    };
    report(end);
    const seconds = (performance.now() - t0) / 1000;
    state.step = end.steps;
    if (end.kind === 'non_finite') return { ...end, seconds };
    const sums = soFar && soFar.sums.length === end.sums.length ? end.sums.map((v, i) => v + soFar.sums[i]!) : end.sums;
    const result = { ...end, sums, samples: end.samples + (soFar?.samples ?? 0), seconds: seconds + (soFar?.seconds ?? 0) };
    if (end.kind === 'interrupted') {
      state.batch = end.batch;
      await this.pull(true);
      state.epochSoFar = { sums, samples: result.samples, seconds: result.seconds };
    }
    return result;
  }

  /** Python's weights (and optimizer slots, carried states) into the TensorFlow.js model and optimizer. */
  private async pull(withStates = false): Promise<void> {
    const { engine, model, dir } = this;
    const { tf } = engine;
    const weightsFile = join(dir, 'weights-out.bin');
    const optimizerFile = join(dir, 'optimizer-out.bin');
    const statesFile = join(dir, 'states-out.json');
    const saved = await this.proc.requestFirst({ cmd: 'save', weights_file: weightsFile, optimizer_file: optimizerFile, ...(withStates && this.lanes ? { states_file: statesFile } : {}) }, 'saved');
    const all = readFloats(weightsFile);
    let off = 0;
    const values = model.weights.map((w) => {
      const n = sizeOf(w.shape);
      const t = tf.tensor(all.subarray(off, off + n), w.shape as number[], 'float32');
      off += n;
      return t;
    });
    if (off !== all.length) throw new RuntimeFailure({ arg: 'torch engine', code: 'torch-weights', message: `PyTorch returned ${all.length} weights where the model has ${off}` });
    model.setWeights(values);
    tf.dispose(values);
    // The optimizer's slots in TensorFlow.js's layout (iterations, then each slot for every
    // trainable weight), kept as bytes for the caller's checkpoint: putting them into the
    // TensorFlow.js optimizer would make new variables every epoch.
    const slots = saved.slots as string[];
    const iterations = saved.iterations as number;
    const slotBytes = readFileSync(optimizerFile);
    const specs: OptimizerBytes['specs'] = [{ name: 'iter', dtype: 'int32', shape: [] }];
    for (const slot of slots) for (const w of model.trainableWeights) specs.push({ name: `${(w.read() as Variable).name}/${slot}`, dtype: 'float32', shape: w.shape as number[] });
    const data = new Uint8Array(4 + slotBytes.byteLength);
    new DataView(data.buffer).setInt32(0, iterations, true);
    data.set(slotBytes, 4);
    const adam = this.config.optimizer.type === 'adam' || this.config.optimizer.type === 'adamw';
    const s = this.config.optimizer.settings;
    const betaPowers: [number, number] | undefined = adam ? [betaPowerAfter(s.beta_1 as number, iterations), betaPowerAfter(s.beta_2 as number, iterations)] : undefined;
    this.settings.onOptimizerState?.({ data, specs, ...(betaPowers ? { betaPowers } : {}) });
    if (withStates && saved.states) this.state.carried = JSON.parse(readFileSync(statesFile, 'utf8')) as CarriedSnapshot;
  }

  private async finishEpoch(epoch: number, end: { sums: number[]; samples: number; seconds: number }): Promise<EpochLog> {
    const { dataset, state, config, model } = this;
    const ctx = metricContext(model, config);
    const defs = metricDefs(config.metrics);
    const log = { epoch: epoch + 1, ...metricsFromSums(defs, ctx, Float64Array.from(end.sums)) } as EpochLog;
    const t0 = performance.now();
    if (dataset.validation) {
      const val = await this.evaluate('validation', dataset.validation);
      for (const [k, v] of Object.entries(metricsFromSums(defs, ctx, Float64Array.from(val)))) log[`${VALIDATION_PREFIX}${k}`] = v;
    }
    await this.pull();
    const seconds = end.seconds + (performance.now() - t0) / 1000;
    // The rate the epoch's last step used, as the tfjs engine logs it.
    log.lr = scheduleRate(config, this.scheduleContext, Math.max(0, state.step - 1), state.plateau);
    log.seconds = Math.round(seconds * 1000) / 1000;
    log.samples_per_second = Math.round(end.samples / seconds);
    state.epoch = epoch + 1;
    state.batch = 0;
    return log;
  }

  /** A split's summed statistics, batched as the tfjs engine evaluates it. */
  private async evaluate(name: string, split: Split): Promise<number[]> {
    const { config, dir } = this;
    const files = writeBatches(dir, `eval-${name}`, evaluationBatches(split, config));
    const e = await this.proc.request({ cmd: 'evaluate', split: name, ...files }, 'evaluated');
    return e.sums as number[];
  }

  async close(): Promise<void> {
    try {
      await this.proc?.close();
    } finally {
      this.early?.dispose();
      rmSync(this.dir, { recursive: true, force: true });
    }
  }

  kill(): void {
    this.proc?.kill();
  }
}

/**
 * Train `model` from `start` to `config.epochs` on PyTorch. `opt` is the
 * TensorFlow.js optimizer the caller checkpoints: its state goes to Python at the
 * start and comes back after every epoch.
 */
export async function trainOnTorch(engine: Engine, model: LayersModel, dataset: Dataset, config: TrainConfig, seed: number, start: TrainState, hooks: TrainHooks, opt: StrataOptimizer, settings: TorchSettings): Promise<TrainResult> {
  const run = new TorchRun(engine, model, dataset, config, seed, withPlateau(config, start), hooks, opt, settings);
  try {
    await run.start();
    return await run.run();
  } catch (e) {
    run.kill();
    throw e;
  } finally {
    await run.close();
  }
}
