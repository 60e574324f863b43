/**
 * The fuzz test's cases, run in this child process (test/fuzz/fuzz.test.ts
 * starts it): the CLI runs in process with its output collected, which must
 * not happen in a test file's own process, whose stdout carries the test
 * runner's reports. Usage: node cases-child.js named|mutants|checkpoints RESULT.json
 *
 * Fuzzing the spec and model readers: the cases a hardening session found and
 * 320 seeded mutants of the bundled configs and Keras fixtures, each through
 * `validate` (and `summary` when it validates; model files through `summary`
 * and `convert`), in this process. Every one must end in exit 0, or exit 2
 * with a located first line (the file, with line and column for a spec, or
 * the argument), in under 5 seconds, with the process under 1 GB.
 */
import { truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../src/cli/run.js';
import { tempDir } from '../helpers/tmp.js';
import { mutants, namedCases } from './corpus.js';
import type { Case } from './corpus.js';

// STRATA_FUZZ_SEED explores other mutants; the suite runs the fixed seed.
const SEED = Number(process.env.STRATA_FUZZ_SEED ?? 20261202);
const MUTANTS = 320;
const SECONDS = 5;
const RSS = 1 << 30;

/** Run the CLI in this process, collecting what it writes. */
async function strataIn(argv: string[]): Promise<{ code: number; stderr: string; ms: number }> {
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  let stderr = '';
  process.stdout.write = (() => true) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  }) as typeof process.stderr.write;
  const t0 = performance.now();
  try {
    const code = await run(argv);
    return { code, stderr, ms: performance.now() - t0 };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

const dir = tempDir('strata-fuzz-');

/** What is wrong with how `c` ended, or undefined when it ended well. */
async function check(c: Case, i: number): Promise<string | undefined> {
  const file = join(dir, `case-${i}${c.ext}`);
  writeFileSync(file, c.text);
  for (const [name, content] of Object.entries(c.beside ?? {})) {
    if (typeof content === 'string') writeFileSync(join(dir, name), content);
    else truncateSync((writeFileSync(join(dir, name), ''), join(dir, name)), content);
  }
  const commands = c.kind === 'spec' ? [['validate', file, ...(c.withData ? [] : ['--no-data']), ...(c.args ?? [])]] : [['summary', file], ['convert', file, '--to', 'yaml', '-o', join(dir, `out-${i}.yaml`)]];
  for (let k = 0; k < commands.length; k++) {
    const argv = commands[k]!;
    const r = await strataIn(argv);
    const first = r.stderr.split('\n')[0] ?? '';
    const rss = process.memoryUsage().rss;
    const what = `${argv[0]} (${c.name})`;
    if (r.ms > SECONDS * 1000) return `${what} took ${(r.ms / 1000).toFixed(1)} s`;
    if (rss > RSS) return `${what} left the process at ${(rss / 2 ** 20).toFixed(0)} MB`;
    if (r.code === 0) {
      // A spec that validates is also built.
      if (c.kind === 'spec' && argv[0] === 'validate') commands.push(['summary', file, ...(c.args ?? [])]);
      continue;
    }
    if (r.code !== 2) return `${what} exited ${r.code}: ${first}`;
    // Located: at the spec's line and column, at a model file or a data file beside it, or at an argument.
    const atSpec = first.startsWith(`${file}:`);
    const located = atSpec ? (c.kind === 'model' || /^[^:]+:\d+:\d+: error: /.test(first.slice(dir.length)) ? undefined : 'no line and column') : first.startsWith(`${dir}/`) || first.startsWith('--') ? undefined : 'no file or argument';
    if (located) return `${what} exited 2 with ${located}: ${first}`;
  }
  return undefined;
}


async function named(): Promise<string[]> {
  const failures: string[] = [];
  for (const [i, c] of namedCases().entries()) {
    const why = await check(c, i);
    if (why) failures.push(why);
  }
  return failures;
}

async function seeded(): Promise<string[]> {
  const failures: string[] = [];
  const cases = mutants(SEED, MUTANTS);
  if (cases.length !== MUTANTS) failures.push(`${cases.length} mutants made, not ${MUTANTS}`);
  for (const [i, c] of cases.entries()) {
    const why = await check(c, 1000 + i);
    if (why) failures.push(why);
  }
  return failures;
}

async function checkpoints(): Promise<string[]> {
  const { cpSync, readFileSync, appendFileSync } = await import('node:fs');
  const { createHash } = await import('node:crypto');
  const work = join(dir, 'checkpoints');
  const rows = Array.from({ length: 60 }, (_, i) => `${i % 7},${(i * 3) % 5},${i % 2 ? 'a' : 'b'}`);
  writeFileSync(join(dir, 'rows.csv'), `x,y,label\n${rows.join('\n')}\n`);
  writeFileSync(join(dir, 'rows.yaml'), `version: 1\nseed: 1\ndata: {dataset: rows.csv}\nmodel:\n  layers:\n    - {type: input, shape: [2]}\n    - {type: dense, units: 4, activation: relu}\n    - {type: dense, units: 2, activation: softmax}\ntrain: {epochs: 1, batch_size: 16}\n`);
  const trained = await strataIn(['train', join(dir, 'rows.yaml'), '--out', work, '--backend', 'cpu', '--quiet']);
  if (trained.code !== 0) return [`training the checkpoint to break failed: ${trained.stderr}`];
  const good = join(work, 'checkpoints', 'epoch-0001');
  type Manifest = { modelTopology: { config: { layers: { class_name: string }[] } }; weightsManifest: { weights: { shape: unknown; dtype: unknown }[] }[] };
  const broken: [string, (m: Manifest) => void, ((file: string) => void)?][] = [
    ['a negative dimension', (m) => (m.weightsManifest[0]!.weights[0]!.shape = [-5, 4])],
    ['a fractional dimension', (m) => (m.weightsManifest[0]!.weights[0]!.shape = [2.5, 4])],
    ['an unknown weight type', (m) => (m.weightsManifest[0]!.weights[0]!.dtype = 'complex64')],
    ['an unknown layer class', (m) => (m.modelTopology.config.layers[1]!.class_name = 'NoSuchLayer')],
    ['a short weights file', () => {}, (f) => writeFileSync(f, readFileSync(f).subarray(0, 10))],
    ['trailing bytes in weights.bin', () => {}, (f) => appendFileSync(f, 'xxxx')],
  ];
  const failures: string[] = [];
  for (const [i, [name, edit, weights]] of broken.entries()) {
    const ckpt = join(dir, `broken-${i}`);
    cpSync(good, ckpt, { recursive: true });
    const m = JSON.parse(readFileSync(join(ckpt, 'model.json'), 'utf8')) as Manifest;
    edit(m);
    writeFileSync(join(ckpt, 'model.json'), JSON.stringify(m));
    weights?.(join(ckpt, 'weights.bin'));
    // Checksums made to match, as a program that rewrote the files would leave them.
    const meta = JSON.parse(readFileSync(join(ckpt, 'meta.json'), 'utf8')) as { files: Record<string, string> };
    for (const f of Object.keys(meta.files)) meta.files[f] = createHash('sha256').update(readFileSync(join(ckpt, f))).digest('hex');
    writeFileSync(join(ckpt, 'meta.json'), JSON.stringify(meta));
    const r = await strataIn(['evaluate', ckpt, '--backend', 'cpu']);
    const first = r.stderr.split('\n')[0] ?? '';
    if (r.code !== 2 || !first.startsWith(`${join(ckpt, 'model.json')}: error: `)) failures.push(`${name}: exit ${r.code}: ${first}`);
  }
  return failures;
}

const SETS: Record<string, () => Promise<string[]>> = { named, mutants: seeded, checkpoints };
const [set, result] = process.argv.slice(2);
if (!set || !Object.hasOwn(SETS, set) || !result) {
  process.stderr.write('usage: cases-child.js named|mutants|checkpoints RESULT.json\n');
  process.exit(2);
}
writeFileSync(result, JSON.stringify(await SETS[set]!()));
process.exit(0);
