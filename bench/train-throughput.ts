/**
 * Training throughput of the BENCH.md reference models through strata's own
 * training path (spec -> buildModel -> train()), on synthetic in-memory data.
 * Each model trains two epochs; the first is the warm-up, the second is timed.
 *
 *   npm run bench -- [--backend wasm|cpu|tensorflow] [--json] [--only mlp,cnn]
 */
import { loadEngine } from '../src/backend/select.js';
import type { Dataset, Split } from '../src/data/types.js';
import { layerRegistry } from '../src/layers/catalog.js';
import { buildModel } from '../src/model/build.js';
import { parseSpec } from '../src/spec/read.js';
import { trainConfig } from '../src/train/config.js';
import { initialState, train } from '../src/train/loop.js';
import { BENCH_MODELS, benchSpec } from './models.js';
import type { BenchModel } from './models.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** Random inputs and labels; the same every run. */
function synthetic(m: BenchModel): Dataset {
  const per = m.inputShape.reduce((a, b) => a * b, 1);
  let s = 12345;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const x = m.vocabulary !== undefined ? Int32Array.from({ length: m.samples * per }, () => Math.floor(next() * m.vocabulary!)) : Float32Array.from({ length: m.samples * per }, next);
  const y = Int32Array.from({ length: m.samples }, () => Math.floor(next() * m.classes));
  const split: Split = {
    size: m.samples,
    batch(indices) {
      const n = indices.length;
      const bx = x instanceof Int32Array ? new Int32Array(n * per) : new Float32Array(n * per);
      const by = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const j = indices[i]!;
        bx.set(x.subarray(j * per, (j + 1) * per), i * per);
        by[i] = y[j]!;
      }
      return { x: bx, y: by, size: n };
    },
  };
  return {
    name: `synthetic-${m.name}`, task: 'classification', inputShape: m.inputShape,
    inputDtype: m.vocabulary !== undefined ? 'int32' : 'float32', targetShape: [], targetDtype: 'int32',
    classes: Array.from({ length: m.classes }, (_, i) => `c${i}`), train: split, fingerprint: `bench-${m.name}`,
  };
}

async function main(): Promise<void> {
  const engine = await loadEngine(arg('--backend'));
  const only = arg('--only')?.split(',');
  const json = process.argv.includes('--json');
  const rates: Record<string, number> = {};
  const skipped: Record<string, string> = {};
  const tensorsBefore = engine.tf.memory().numTensors;
  let peakRss = process.memoryUsage().rss;
  const timer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
  for (const m of BENCH_MODELS) {
    if (only && !only.includes(m.name)) continue;
    const missing = m.needs.filter((t) => layerRegistry.get(t) === undefined);
    if (missing.length > 0) {
      skipped[m.name] = `layer types not in the registry yet: ${missing.join(', ')}`;
      continue;
    }
    const spec = parseSpec(`${m.name}.yaml`, benchSpec(m));
    const { model } = buildModel(spec, engine);
    const result = await train(engine, model, synthetic(m), trainConfig(spec.train, false), 1, initialState(1));
    rates[m.name] = Math.round(result.history[result.history.length - 1]!.samples_per_second * 10) / 10;
    model.dispose();
    if (!json) console.error(`${m.name}: ${rates[m.name]} samples/s`);
  }
  clearInterval(timer);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  const doc = {
    backend: engine.backend, batch_size: 64, samples_per_second: rates, skipped,
    tensors_before: tensorsBefore, tensors_after: engine.tf.memory().numTensors, peak_rss_mb: Math.round(peakRss / 2 ** 20),
  };
  if (json) {
    console.log(JSON.stringify(doc));
    return;
  }
  console.log(`backend ${doc.backend}, batch 64`);
  console.log('model        samples/s');
  for (const [name, r] of Object.entries(rates)) console.log(`${name.padEnd(12)} ${r}`);
  for (const [name, why] of Object.entries(skipped)) console.log(`${name.padEnd(12)} skipped: ${why}`);
  console.log(`tensors ${doc.tensors_before} -> ${doc.tensors_after}, peak RSS ${doc.peak_rss_mb} MB`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
