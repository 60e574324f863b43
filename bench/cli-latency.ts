/**
 * How long the command line takes to answer, measured end to end (process
 * start to exit) over several runs: `--help`, `validate` of each config, and
 * `summary` of each config and of a generated 200-layer spec.
 * Run: npm run bench:cli [-- --json] [-- --runs N]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'strata.js');
const args = process.argv.slice(2);
const json = args.includes('--json');
const runs = Number(args[args.indexOf('--runs') + 1]) || 5;

function time(cmd: string[]): { median_ms: number; max_ms: number } {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    execFileSync(process.execPath, [BIN, ...cmd], { stdio: 'ignore' });
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  ms.sort((a, b) => a - b);
  return { median_ms: Math.round(ms[Math.floor(ms.length / 2)]!), max_ms: Math.round(ms[ms.length - 1]!) };
}

const dir = mkdtempSync(join(tmpdir(), 'strata-bench-'));
const deep = join(dir, 'deep-200.yaml');
const layers: object[] = [{ type: 'input', shape: [64] }];
for (let i = 0; i < 199; i++) layers.push(i % 2 === 0 ? { type: 'dense', units: 64, activation: 'relu' } : { type: 'layer_norm' });
writeFileSync(deep, stringify({ version: 1, name: 'deep-200', model: { layers } }));

const configs = readdirSync(join(ROOT, 'configs')).filter((f) => f.endsWith('.yaml'));
const results: Record<string, { median_ms: number; max_ms: number }> = {};
results['--help'] = time(['--help']);
for (const c of configs) results[`validate ${c}`] = time(['validate', join(ROOT, 'configs', c)]);
for (const c of configs) results[`summary ${c}`] = time(['summary', join(ROOT, 'configs', c)]);
results['summary deep-200.yaml (200 layers)'] = time(['summary', deep]);

if (json) console.log(JSON.stringify({ runs, results }, null, 2));
else {
  const width = Math.max(...Object.keys(results).map((k) => k.length));
  console.log(`${'command'.padEnd(width)}  median ms  max ms   (${runs} runs each)`);
  for (const [k, v] of Object.entries(results)) console.log(`${k.padEnd(width)}  ${String(v.median_ms).padStart(9)}  ${String(v.max_ms).padStart(6)}`);
}
