/**
 * One training session of a run: build (or restore) the model and optimizer,
 * train, and after every epoch append to metrics.jsonl and write a
 * checkpoint, keeping the last K and the best. An interruption writes a
 * mid-epoch checkpoint that resumes at the very next batch.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Engine } from '../backend/select.js';
import { sha256 } from '../checkpoint/durable.js';
import type { LoadedCheckpoint } from '../checkpoint/load.js';
import type { DataInfo } from '../checkpoint/meta.js';
import { modelFromFiles, modelToFiles } from '../checkpoint/model-files.js';
import { restoreOptimizerState, saveOptimizerState } from '../checkpoint/optimizer-state.js';
import { MODEL_DIR, publishModel } from '../checkpoint/run-model.js';
import { BEST, checkpointName, LATEST, prune, readPointer, setPointer, writeCheckpoint } from '../checkpoint/store.js';
import type { Dataset } from '../data/types.js';
import { UsageError } from '../errors.js';
import { buildModel } from '../model/build.js';
import type { LayersModel } from '../tf-types.js';
import type { Spec } from '../spec/types.js';
import { metricMode, trainConfig } from '../train/config.js';
import type { TrainConfig } from '../train/config.js';
import { initialState, train } from '../train/loop.js';
import { Pruner } from '../train/pruning.js';
import { placeIn } from '../spec/place.js';
import type { EpochLog, TrainHooks, TrainResult, TrainState } from '../train/loop.js';
import { makeOptimizer } from '../train-registry/optimizers.js';
import type { StrataOptimizer } from '../train-registry/optimizers.js';
import { trainOnTorch } from '../torch/trainer.js';
import type { TorchSettings } from '../torch/trainer.js';
import { VERSION } from '../version.js';
import { appendMetrics, INTERNALS_FILE, METRICS_FILE, readMetrics, truncateMetrics } from './metrics-log.js';
import { CHECKPOINTS } from './run-dir.js';
import { loadTeacher } from './teacher.js';

/** How often (in steps) per-layer gradient norms are recorded in the run's internals.jsonl. */
export const GRADIENT_NORM_EVERY = 50;

export interface SessionOptions {
  engine: Engine;
  spec: Spec;
  /** The resolved spec as YAML, stored with every checkpoint. */
  specText: string;
  dataset: Dataset;
  runDir: string;
  seed: number;
  /** Continue from this checkpoint's weights, optimizer state and position. */
  resume?: LoadedCheckpoint;
  onBatch?: TrainHooks['onBatch'];
  onEpoch?: (log: EpochLog, checkpoint: string, best: boolean) => void;
  interrupted?: () => boolean;
  /** Train on PyTorch (the torch engine) instead of TensorFlow.js. */
  torch?: TorchSettings;
}

export interface SessionResult extends TrainResult {
  config: TrainConfig;
  model: LayersModel;
  /** The newest checkpoint written (or resumed from), relative to the run. */
  latest?: string;
  best?: string;
}

/** A stable hash of the spec's content (key order does not matter). */
export function specHash(raw: unknown): string {
  const canon = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(canon) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon((v as Record<string, unknown>)[k])])) : v;
  return sha256(JSON.stringify(canon(raw))).slice(0, 16);
}

export function dataInfo(d: Dataset): DataInfo {
  return {
    name: d.name,
    task: d.task,
    inputShape: d.inputShape,
    inputDtype: d.inputDtype,
    targetShape: d.targetShape,
    ...(d.classes ? { classes: d.classes } : {}),
    ...(d.vocabulary ? { vocabulary: d.vocabulary } : {}),
    ...(d.targetScaling ? { targetScaling: d.targetScaling } : {}),
    ...(d.inputScaling ? { inputScaling: d.inputScaling } : {}),
    ...(d.textEncoding ? { textEncoding: d.textEncoding } : {}),
    fingerprint: d.fingerprint,
  };
}

/** Put a checkpoint's weights into a freshly built model; refuse when the shapes differ. */
async function restoreWeights(engine: Engine, model: LayersModel, ckpt: LoadedCheckpoint): Promise<void> {
  const saved = await modelFromFiles(engine, ckpt.model);
  try {
    const from = saved.weights;
    const to = model.weights;
    const describe = (ws: typeof to) => ws.map((w) => `${w.originalName} [${w.shape.join(', ')}]`);
    const mismatch = from.length !== to.length || from.some((w, i) => w.shape.join() !== to[i]!.shape.join());
    if (mismatch) {
      const a = describe(from);
      const b = describe(to);
      const diff = [...a.filter((x) => !b.includes(x)).map((x) => `checkpoint has ${x}`), ...b.filter((x) => !a.includes(x)).map((x) => `spec needs ${x}`)].slice(0, 6);
      throw new UsageError({
        arg: `--resume ${ckpt.dir}`,
        code: 'resume-shape-change',
        message: `the spec changes the model's weights, so the checkpoint cannot be continued (${diff.join('; ')}); undo the model change, or start a new run with it`,
      });
    }
    model.setWeights(saved.getWeights());
  } finally {
    saved.dispose();
  }
}

/** meta.json's `optimizer.beta_powers` when it is two numbers in [0, 1), else undefined (recomputed from the step count). */
function validPowers(p: unknown): [number, number] | undefined {
  const ok = Array.isArray(p) && p.length === 2 && p.every((x) => typeof x === 'number' && x >= 0 && x < 1);
  return ok ? (p as [number, number]) : undefined;
}

export async function runSession(o: SessionOptions): Promise<SessionResult> {
  const { engine, spec, dataset } = o;
  const config = trainConfig(spec.train, dataset.validation !== undefined);
  const { model } = buildModel(spec, engine);
  const opt: StrataOptimizer = makeOptimizer(engine.tf, config.optimizer);
  // train.pruning's masks: made here, so that every checkpoint holds them and a resume puts them back.
  const pruner = config.pruning ? new Pruner(engine.tf, model, config.pruning, { layers: spec.model.layers, at: (path) => placeIn(spec, path) }) : undefined;
  // train.distill's teacher, checked against the student at train.distill.teacher's line before anything trains.
  const teacher = config.distill ? await loadTeacher(engine, spec, model, config.distill.teacher, dataInfo(dataset)) : undefined;
  const checkpointsDir = join(o.runDir, CHECKPOINTS);
  const metricsFile = join(o.runDir, METRICS_FILE);
  let start: TrainState = initialState(o.seed);
  let latest: string | undefined;
  if (o.resume) {
    await restoreWeights(engine, model, o.resume);
    await restoreOptimizerState(engine, opt, o.resume.optimizer, o.resume.meta.optimizer.weights, validPowers(o.resume.meta.optimizer.beta_powers));
    const savedMasks = o.resume.meta.pruning?.masks;
    if (pruner && savedMasks && o.resume.masks) pruner.restore({ masks: savedMasks, data: o.resume.masks });
    start = o.resume.meta.state;
    latest = o.resume.dir;
    truncateMetrics(metricsFile, start.epoch);
    // The epoch's line is written after its checkpoint: a failure between the two leaves it only in the checkpoint.
    const logged = readMetrics(metricsFile);
    const saved = o.resume.meta.metrics as Record<string, number> | undefined;
    if (start.batch === 0 && saved?.epoch === start.epoch && (logged[logged.length - 1]?.epoch ?? 0) === start.epoch - 1) appendMetrics(metricsFile, saved);
  }
  const info = dataInfo(dataset);
  const hash = specHash(spec.raw);
  const monitor = config.checkpoint.monitor;
  const mode = metricMode(monitor, config.checkpoint.mode);
  const bestPointer = readPointer(checkpointsDir, BEST);
  let bestValue = typeof bestPointer?.value === 'number' && bestPointer.monitor === monitor ? bestPointer.value : undefined;
  let best = bestPointer?.checkpoint;
  // A run without its model/ folder (a fork, a run of an older strata, a crash between the folder's two renames) gets it back now.
  const published = best ?? readPointer(checkpointsDir, LATEST)?.checkpoint;
  if (!existsSync(join(o.runDir, MODEL_DIR)) && published && existsSync(join(checkpointsDir, published))) publishModel(o.runDir, join(checkpointsDir, published));

  // On the torch engine the optimizer's state comes from Python after every epoch, in TensorFlow.js's layout.
  let torchOptimizer: Awaited<ReturnType<typeof saveOptimizerState>> | undefined;
  const torch = o.torch ? { ...o.torch, onOptimizerState: (s: typeof torchOptimizer) => (torchOptimizer = s) } : undefined;
  const save = async (state: TrainState, metrics: Record<string, number>, reason: 'epoch' | 'interrupted'): Promise<string> => {
    const name = checkpointName(state.epoch, state.batch);
    const files = await modelToFiles(engine, model);
    const optState = torchOptimizer ?? (await saveOptimizerState(engine, opt));
    const masks = pruner?.snapshot();
    const dir = writeCheckpoint(checkpointsDir, name, {
      model: files,
      optimizer: optState.data,
      ...(masks ? { masks: masks.data } : {}),
      specText: o.specText,
      data: info,
      meta: {
        state: structuredClone(state),
        seed: o.seed,
        metrics,
        reason,
        spec_hash: hash,
        data_fingerprint: dataset.fingerprint,
        strata_version: VERSION,
        tfjs_version: engine.tf.version_core,
        backend: engine.backend,
        engine: o.torch ? 'torch' : 'tfjs',
        created: new Date().toISOString(),
        optimizer: { type: config.optimizer.type, weights: optState.specs, ...(optState.betaPowers ? { beta_powers: optState.betaPowers } : {}) },
        ...(masks ? { pruning: { masks: masks.masks } } : {}),
      },
    });
    setPointer(checkpointsDir, LATEST, name);
    latest = dir;
    return name;
  };

  // Per-layer gradient norms every GRADIENT_NORM_EVERY steps, for the report (one small read each time).
  const internalsFile = join(o.runDir, INTERNALS_FILE);
  const gradientNorms = {
    every: GRADIENT_NORM_EVERY,
    record(step: number, epoch: number, norms: Record<string, number>) {
      const byLayer: Record<string, number> = {};
      for (const [name, v] of Object.entries(norms)) {
        const layer = name.split('/')[0]!;
        byLayer[layer] = (byLayer[layer] ?? 0) + v * v;
      }
      appendMetrics(internalsFile, { step, epoch, grad_norms: Object.fromEntries(Object.entries(byLayer).map(([k, v]) => [k, Math.sqrt(v)])) });
    },
  };
  const hooks: TrainHooks = {
    gradientNorms,
    ...(o.onBatch ? { onBatch: o.onBatch } : {}),
    ...(o.interrupted ? { interrupted: o.interrupted } : {}),
    onEpoch: async (log, state) => {
      // The checkpoint first, then its line: metrics.jsonl is never ahead of the checkpoints
      // (a resume keeps no line for an epoch it has no checkpoint of).
      const name = await save(state, log, 'epoch');
      appendMetrics(metricsFile, log);
      const value = log[monitor];
      let improved = false;
      if (value !== undefined && Number.isFinite(value) && (bestValue === undefined || (mode === 'min' ? value < bestValue : value > bestValue))) {
        bestValue = value;
        best = name;
        improved = true;
        setPointer(checkpointsDir, BEST, name, { monitor, value });
      }
      // RUN/model/ follows the checkpoint evaluate uses: the best, or the latest while there is none.
      if (improved || best === undefined) publishModel(o.runDir, join(checkpointsDir, name));
      prune(checkpointsDir, config.checkpoint.keep_last, [best ?? '', name]);
      o.onEpoch?.(log, name, improved);
    },
  };
  let result: TrainResult;
  try {
    result = torch ? await trainOnTorch(engine, model, dataset, config, o.seed, start, hooks, opt, torch) : await train(engine, model, dataset, config, o.seed, start, hooks, opt, { ...(pruner ? { pruner } : {}), ...(teacher ? { teacher } : {}) });
    if (result.stopped === 'interrupted') await save(result.state, {}, 'interrupted');
  } finally {
    pruner?.dispose();
    teacher?.dispose();
  }
  opt.optimizer.dispose();
  return { ...result, config, model, ...(latest ? { latest } : {}), ...(best ? { best: join(checkpointsDir, best) } : {}) };
}
