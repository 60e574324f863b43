/**
 * Training throughput of the reference models of BENCH.md (one spec each in
 * bench/specs/), through strata's own path: parseSpec -> buildModel ->
 * train() with a synthetic in-memory dataset. Batch 64, Adam 1e-3, one
 * warm-up pass, then timed passes; the figure is training samples per second.
 * On wasm, as the PyTorch peer does, each model is measured on one thread and on
 * every core (a child process each, since the thread count is fixed when the
 * backend starts) and the faster is reported, and so is the figure at the count
 * `strata train` chooses for the model by itself (model/threads.ts, `default`);
 * `--threads N` measures N only.
 * `--engine torch` measures the torch engine instead: the same specs and synthetic
 * data through trainOnTorch (the Python process, the hand-over, the per-epoch
 * weight return), at its default thread count (every core) unless --threads.
 * Run: npm run bench [-- --json] [-- --engine tfjs|torch [-- --workers N]] [-- --backend wasm|cpu] [-- --models mlp,cnn] [-- --passes N] [-- --threads N]
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { loadEngine } from '../src/backend/select.js';
import type { Engine } from '../src/backend/select.js';
import { wantedThreads } from '../src/backend/wasm-threads.js';
import type { Dataset, Split } from '../src/data/types.js';
import { layerRegistry } from '../src/layers/catalog.js';
import { buildModel } from '../src/model/build.js';
import { preferredThreads } from '../src/train/threads.js';
import { parseSpec } from '../src/spec/read.js';
import { trainConfig } from '../src/train/config.js';
import { initialState, train } from '../src/train/loop.js';
import { makeOptimizer } from '../src/train-registry/optimizers.js';
import { distributionOf, torchSettings } from '../src/torch/settings.js';
import { trainOnTorch } from '../src/torch/trainer.js';
import type { TorchSettings } from '../src/torch/trainer.js';
import { Rng } from '../src/rng.js';

const SPECS = fileURLToPath(new URL('../../bench/specs/', import.meta.url));

/** One reference model: its input, its classes, and how many samples make a pass. */
interface Reference {
  name: string;
  inputShape: number[];
  /** Token ids below this bound (int32 input), or undefined for normal floats. */
  vocabulary?: number;
  classes: number;
  samples: number;
  /** Layer types the spec needs; the model is skipped when the registry lacks one. */
  needs?: string[];
}

const REFERENCES: Reference[] = [
  { name: 'mlp', inputShape: [28, 28, 1], classes: 10, samples: 8192 },
  { name: 'cnn', inputShape: [28, 28, 1], classes: 10, samples: 4096 },
  { name: 'lstm', inputShape: [32, 16], classes: 10, samples: 2048 },
  { name: 'gru_text', inputShape: [64], vocabulary: 64, classes: 64, samples: 1024 },
  { name: 'transformer', inputShape: [64], vocabulary: 1000, classes: 2, samples: 1024, needs: ['transformer_encoder', 'positional_embedding'] },
];

/** A generator of reproducible numbers in [0, 1) (mulberry32). */
/** Uniform numbers in [0, 1) from the project's seeded generator. */
function random(seed: number): () => number {
  const rng = new Rng(seed);
  return () => rng.next();
}

/** Synthetic data of the reference's input shape, held in memory: random inputs, random integer labels. */
function syntheticDataset(ref: Reference): Dataset {
  const r = random(7);
  const width = ref.inputShape.reduce((p, d) => p * d, 1);
  const x = ref.vocabulary !== undefined ? Int32Array.from({ length: ref.samples * width }, () => Math.floor(r() * ref.vocabulary!)) : Float32Array.from({ length: ref.samples * width }, () => r() * 2 - 1);
  const y = Int32Array.from({ length: ref.samples }, () => Math.floor(r() * ref.classes));
  const split: Split = {
    size: ref.samples,
    batch(indices) {
      const n = indices.length;
      const bx = x instanceof Int32Array ? new Int32Array(n * width) : new Float32Array(n * width);
      const by = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const j = indices[i]!;
        bx.set(x.subarray(j * width, (j + 1) * width), i * width);
        by[i] = y[j]!;
      }
      return { x: bx, y: by, size: n };
    },
  };
  return {
    name: `synthetic-${ref.name}`,
    task: 'classification',
    inputShape: ref.inputShape,
    inputDtype: ref.vocabulary !== undefined ? 'int32' : 'float32',
    targetShape: [],
    targetDtype: 'int32',
    classes: Array.from({ length: ref.classes }, (_, i) => String(i)),
    train: split,
    fingerprint: `synthetic-${ref.name}`,
  };
}

/** Train one warm-up pass and `passes` timed passes; samples per second over the timed ones. */
async function measure(engine: Engine, ref: Reference, passes: number, torch?: TorchSettings): Promise<number> {
  const file = join(SPECS, `${ref.name}.yaml`);
  const spec = parseSpec(file, readFileSync(file, 'utf8'), { overrides: [`train.epochs=${passes + 1}`] });
  const { model } = buildModel(spec, engine);
  const config = trainConfig(spec.train, false);
  const dataset = syntheticDataset(ref);
  const seed = spec.seed ?? 1;
  let result;
  if (torch) {
    const opt = makeOptimizer(engine.tf, config.optimizer);
    result = await trainOnTorch(engine, model, dataset, config, seed, initialState(seed), {}, opt, torch);
    opt.optimizer.dispose();
  } else {
    result = await train(engine, model, dataset, config, seed, initialState(seed));
  }
  model.dispose();
  const timed = result.history.slice(1);
  const seconds = timed.reduce((s, log) => s + log.seconds, 0);
  return (ref.samples * timed.length) / seconds;
}

interface Report {
  backend: string;
  batch_size: number;
  samples_per_second: Record<string, number>;
  skipped?: Record<string, string>;
  tensors_before: number;
  tensors_after: number;
  peak_rss_mb: number;
}

/** On wasm: this program once per thread count (1 and strata's default, every core), each in its own process; the faster figure per model. */
function bestOfThreads(args: string[], json: boolean): void {
  const counts = [...new Set([1, wantedThreads({})])];
  const runs = counts.map((t) => {
    const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), ...args.filter((a) => a !== '--json'), '--threads', String(t), '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    return JSON.parse(out.trim().split('\n').pop()!) as Report;
  });
  const best: Record<string, number> = {};
  const threads: Record<string, number> = {};
  for (const name of Object.keys(runs[0]!.samples_per_second)) {
    runs.forEach((r, i) => {
      const rate = r.samples_per_second[name]!;
      if (!(rate <= (best[name] ?? -1))) [best[name], threads[name]] = [rate, counts[i]!];
    });
  }
  // The count strata train would choose for each model (STRATA_THREADS unset), and its figure.
  const chosen = Object.fromEntries(Object.keys(best).map((name) => [name, wantedThreads({}, preferredThreads(parseSpec(`${name}.yaml`, readFileSync(join(SPECS, `${name}.yaml`), 'utf8'))))]));
  const atChosen = Object.fromEntries(Object.keys(best).map((name) => [name, runs[counts.indexOf(chosen[name]!)]!.samples_per_second[name]!]));
  const doc = {
    backend: runs[0]!.backend,
    batch_size: 64,
    samples_per_second: best,
    threads,
    default: { threads: chosen, samples_per_second: atChosen },
    by_threads: Object.fromEntries(runs.map((r, i) => [String(counts[i]), r.samples_per_second])),
    ...(runs[0]!.skipped ? { skipped: runs[0]!.skipped } : {}),
    tensors_before: Math.max(...runs.map((r) => r.tensors_before)),
    tensors_after: Math.max(...runs.map((r) => r.tensors_after)),
    peak_rss_mb: Math.max(...runs.map((r) => r.peak_rss_mb)),
  };
  if (json) {
    process.stdout.write(JSON.stringify(doc) + '\n');
    return;
  }
  console.log(`best of ${counts.map((t) => `${t} thread${t === 1 ? '' : 's'}`).join(' and ')}:`);
  console.log(`${'model'.padEnd(12)} ${'samples/s'.padStart(9)} ${counts.map((t) => `${t} thr`.padStart(9)).join(' ')}`);
  for (const name of Object.keys(best)) console.log(`${name.padEnd(12)} ${String(best[name]).padStart(9)} ${runs.map((r) => String(r.samples_per_second[name]).padStart(9)).join(' ')}   strata train's choice: ${chosen[name]} thread${chosen[name] === 1 ? '' : 's'}`);
  console.log(`tensors before ${doc.tensors_before}, after ${doc.tensors_after} (most of any run); peak RSS ${doc.peak_rss_mb} MB`);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const option = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
  const json = args.includes('--json');
  const threads = option('--threads');
  const backend = option('--backend');
  const onTorch = option('--engine') === 'torch';
  if (!onTorch && threads === undefined && (backend === 'wasm' || (backend === undefined && !(await tfjsNodeLoads())))) return bestOfThreads(args, json);
  if (threads !== undefined) process.env.STRATA_THREADS = threads;
  const passes = Number(option('--passes') ?? 2);
  const only = option('--models')?.split(',');
  // The torch engine's TensorFlow.js runs on its cpu backend, as `strata train --engine torch` has it.
  const engine = await loadEngine(option('--backend') ?? (onTorch ? 'cpu' : undefined));
  const { tf } = engine;
  const anySpec = parseSpec('bench.yaml', 'version: 1\nname: bench\nmodel:\n  layers:\n    - {type: input, shape: [1]}\n');
  // --workers N: data-parallel workers on this machine (docs/distributed.md), each with its share of the cores;
  // read as train reads it (the reference specs' batch of 64 is split among them).
  const distribution = distributionOf(anySpec, { workers: option('--workers') });
  const workers = distribution?.workers ?? 1;
  const torch = onTorch ? { ...torchSettings(anySpec, 'cpu'), ...(distribution ? { distribution } : {}) } : undefined;
  const say = (line: string) => (json ? process.stderr : process.stdout).write(line + '\n');
  say(`strata training throughput ${torch ? `on the torch engine (${torch.python}, cpu${workers > 1 ? `, ${workers} workers` : ''})` : `on the ${engine.backend} backend`} (batch 64, Adam 1e-3, 1 warm-up pass + ${passes} timed)`);
  const tensorsBefore = tf.memory().numTensors;
  let peakRss = process.memoryUsage().rss;
  const results: Record<string, number> = {};
  const skipped: Record<string, string> = {};
  for (const ref of REFERENCES) {
    if (only && !only.includes(ref.name)) continue;
    const missing = (ref.needs ?? []).filter((t) => layerRegistry.get(t) === undefined);
    if (missing.length) {
      skipped[ref.name] = `the layer registry has no ${missing.join(' or ')} layer yet`;
      say(`${ref.name.padEnd(12)} skipped: ${skipped[ref.name]}`);
      continue;
    }
    const rate = await measure(engine, ref, passes, torch);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    results[ref.name] = Math.round(rate);
    say(`${ref.name.padEnd(12)} ${String(Math.round(rate)).padStart(8)} samples/s`);
  }
  const doc = {
    backend: torch ? 'torch' : engine.backend,
    ...(workers > 1 ? { workers } : {}),
    batch_size: 64,
    samples_per_second: results,
    ...(Object.keys(skipped).length ? { skipped } : {}),
    tensors_before: tensorsBefore,
    tensors_after: tf.memory().numTensors,
    peak_rss_mb: Math.round(peakRss / 2 ** 20),
  };
  if (json) process.stdout.write(JSON.stringify(doc) + '\n');
  else say(`tensors before ${doc.tensors_before}, after ${doc.tensors_after}; peak RSS ${doc.peak_rss_mb} MB`);
}

/** Whether the native backend would be picked (then there is no wasm thread count to vary). */
async function tfjsNodeLoads(): Promise<boolean> {
  try {
    await import('@tensorflow/tfjs-node' as string);
    return true;
  } catch {
    return false;
  }
}

await main();
