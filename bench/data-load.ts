/**
 * How long loading the bundled datasets takes and how much memory it adds:
 * each run is a fresh process (so RSS starts clean) that loads one dataset
 * with validation 0.1 and reads one batch of 128. Targets: all of MNIST in
 * under 2 s and under 400 MB of extra RSS.
 * Run: npm run bench:data [-- --json] [-- --runs N]
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const json = args.includes('--json');
const runs = Number(args[args.indexOf('--runs') + 1]) || 3;
const child = args.indexOf('--child');

interface Sample { ms: number; rss_mb: number }

async function measure(name: string): Promise<Sample> {
  const { loadDataset } = await import('../src/data/load.js');
  const rss0 = process.memoryUsage().rss;
  const t0 = process.hrtime.bigint();
  const d = await loadDataset({ dataset: name, validation: 0.1 }, { seed: 1, baseDir: process.cwd() });
  d.train.batch(Array.from({ length: 128 }, (_, i) => i));
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return { ms, rss_mb: (process.memoryUsage().rss - rss0) / 2 ** 20 };
}

if (child >= 0) {
  process.stdout.write(JSON.stringify(await measure(args[child + 1]!)));
} else {
  const self = fileURLToPath(import.meta.url);
  const results = ['mnist', 'moby-dick', 'spam', 'births'].map((name) => {
    const samples: Sample[] = [];
    for (let i = 0; i < runs; i++) samples.push(JSON.parse(execFileSync(process.execPath, [self, '--child', name], { encoding: 'utf8' })) as Sample);
    samples.sort((a, b) => a.ms - b.ms);
    const mid = samples[Math.floor(samples.length / 2)]!;
    return { dataset: name, median_ms: Math.round(mid.ms), max_ms: Math.round(samples[samples.length - 1]!.ms), max_extra_rss_mb: Math.round(Math.max(...samples.map((s) => s.rss_mb))) };
  });
  if (json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  else {
    process.stdout.write('| dataset | median ms | max ms | max extra RSS MB |\n| --- | ---: | ---: | ---: |\n');
    for (const r of results) process.stdout.write(`| \`${r.dataset}\` | ${r.median_ms} | ${r.max_ms} | ${r.max_extra_rss_mb} |\n`);
  }
}
