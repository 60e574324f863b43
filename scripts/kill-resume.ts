/**
 * The acceptance check of exact resumes: SIGKILL `strata train` at seeded random
 * moments and `--resume` it each time until it is done, then compare the final
 * checkpoint with an uninterrupted run's, byte for byte, and check that
 * metrics.jsonl has exactly one line per epoch.
 *
 *   npm run build
 *   node dist/scripts/kill-resume.js [--kills 20] [--stall-kills 2] [--seed 1] [--epochs 4] [--limit 12000]
 *     [--backend wasm] [--spec configs/mnist-mlp.yaml] [--dir DIR] [--keep]
 *
 * First an uninterrupted run (its timing sets the scale of the delays).
 * Then each attempt starts `strata train` (fresh while the run has no complete
 * checkpoint, `--resume RUN` once it has one) and kills it with SIGKILL after a
 * delay drawn uniformly by the seeded generator from (S/2, S + 2E), S the reference's
 * start-up (to its training banner) and E its time per epoch, unless it finishes first. A run that finishes is compared; while fewer than --kills kills have been
 * made, a new run starts. A SIGKILL saves nothing, so every resume starts from the
 * last epoch checkpoint. After each kill the script records where it landed, from
 * what the run directory holds then: before training began (no banner yet), mid-epoch,
 * while a checkpoint was being written (a `.tmp-` directory left), or between the
 * append to metrics.jsonl and the checkpoint (metrics.jsonl ahead of the newest
 * checkpoint). A random kill seldom lands in those two windows (milliseconds each), so
 * the first run also gets --stall-kills (2) kills aimed at them: STRATA_TEST_STALL_CHECKPOINT
 * stops the write of the next epoch's checkpoint halfway, after that epoch's metrics.jsonl
 * line, and the process is killed there. Exit status 1 on any mismatch.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '../src/rng.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'strata.js');

function options(argv: string[]) {
  const o = { kills: 20, stallKills: 2, seed: 1, epochs: 4, limit: 12000, backend: 'wasm', spec: 'configs/mnist-mlp.yaml', dir: '', keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--kills') o.kills = Number(value());
    else if (a === '--stall-kills') o.stallKills = Number(value());
    else if (a === '--seed') o.seed = Number(value());
    else if (a === '--epochs') o.epochs = Number(value());
    else if (a === '--limit') o.limit = Number(value());
    else if (a === '--backend') o.backend = value();
    else if (a === '--spec') o.spec = value();
    else if (a === '--dir') o.dir = value();
    else if (a === '--keep') o.keep = true;
    else throw new Error(`unknown option ${a}`);
  }
  return o;
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  killed: boolean;
  /** Training had begun (the banner was printed) when the process ended. */
  training: boolean;
  stderr: string;
  seconds: number;
  /** Seconds from the start to the training banner, when it came. */
  bannerSeconds?: number;
}

/** Run `strata args`; SIGKILL it after `killAfterMs`, or as soon as its stderr matches `killOn`, unless it has ended. */
function run(args: string[], killAfterMs?: number, killOn?: RegExp, env: NodeJS.ProcessEnv = {}): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
    let stderr = '';
    let killed = false;
    let bannerSeconds: number | undefined;
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (bannerSeconds === undefined && /Training /.test(stderr)) bannerSeconds = (performance.now() - t0) / 1000;
      if (killOn && !killed && killOn.test(stderr)) killed = child.kill('SIGKILL');
    });
    const timer = killAfterMs === undefined ? undefined : setTimeout(() => {
      killed = child.kill('SIGKILL');
    }, killAfterMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, killed: killed && signal === 'SIGKILL', training: /Training /.test(stderr), stderr, seconds: (performance.now() - t0) / 1000, ...(bannerSeconds === undefined ? {} : { bannerSeconds }) });
    });
  });
}

const checkpointDirs = (runDir: string) => {
  const dir = join(runDir, 'checkpoints');
  return existsSync(dir) ? readdirSync(dir) : [];
};
const complete = (runDir: string) => checkpointDirs(runDir).filter((n) => /^epoch-\d+$/.test(n) && existsSync(join(runDir, 'checkpoints', n, 'meta.json'))).sort();
const metricsEpochs = (runDir: string): number[] => {
  const file = join(runDir, 'metrics.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => (JSON.parse(l) as { epoch: number }).epoch);
};
const latestPointer = (runDir: string): string | undefined => {
  try {
    return (JSON.parse(readFileSync(join(runDir, 'checkpoints', 'latest'), 'utf8')) as { checkpoint: string }).checkpoint;
  } catch {
    return undefined;
  }
};

/** What a kill's classification compares with: the run directory before the attempt. */
interface Before {
  leftovers: Set<string>;
  metricsMtime: number;
}
const leftovers = (runDir: string) => checkpointDirs(runDir).filter((n) => n.startsWith('.tmp-') || n.startsWith('.old-'));
const metricsMtime = (runDir: string) => {
  const file = join(runDir, 'metrics.jsonl');
  return existsSync(file) ? statSync(file).mtimeMs : 0;
};
const before = (runDir: string): Before => ({ leftovers: new Set(leftovers(runDir)), metricsMtime: metricsMtime(runDir) });

/**
 * Where a kill landed, read from what the run directory holds after it compared with before
 * the attempt (a leftover `.tmp-` directory or a metrics.jsonl ahead of the checkpoints may
 * come from an earlier kill: the next epoch's end prunes the one, the resume truncates the other).
 */
function landing(runDir: string, exit: Exit, was: Before, epochs: number): string {
  const tmp = leftovers(runDir).filter((n) => !was.leftovers.has(n));
  const done = complete(runDir);
  const newest = done.length ? Number(done.at(-1)!.slice(6)) : 0;
  const metrics = metricsEpochs(runDir);
  const lastMetric = metrics.at(-1) ?? 0;
  const parts: string[] = [];
  if (!exit.training) parts.push('before training began');
  if (tmp.length) parts.push(`during a checkpoint write (left ${tmp.join(', ')})`);
  if (lastMetric > newest && metricsMtime(runDir) !== was.metricsMtime) parts.push(`between the metrics append and the checkpoint (metrics.jsonl at epoch ${lastMetric}, newest checkpoint epoch ${newest})`);
  if (parts.length === 0) parts.push(newest >= epochs ? 'after the last checkpoint' : `in epoch ${newest + 1}`);
  return `${parts.join('; ')}; checkpoints: ${done.join(' ') || 'none'}, latest → ${latestPointer(runDir) ?? 'none'}, metrics.jsonl epochs [${metrics.join(',')}]`;
}

function compare(runDir: string, refDir: string, epochs: number): string[] {
  const problems: string[] = [];
  const name = `epoch-${String(epochs).padStart(4, '0')}`;
  for (const file of ['weights.bin', 'optimizer.bin']) {
    const a = join(runDir, 'checkpoints', name, file);
    const b = join(refDir, 'checkpoints', name, file);
    if (!existsSync(a)) {
      problems.push(`${name}/${file} missing`);
      continue;
    }
    const x = readFileSync(a);
    const y = readFileSync(b);
    if (x.equals(y)) continue;
    if (file === 'weights.bin' && x.length === y.length) {
      const fa = new Float32Array(x.buffer, x.byteOffset, x.length / 4);
      const fb = new Float32Array(y.buffer, y.byteOffset, y.length / 4);
      let n = 0;
      let max = 0;
      for (let i = 0; i < fa.length; i++) {
        if (!Object.is(fa[i], fb[i])) n++;
        max = Math.max(max, Math.abs(fa[i]! - fb[i]!));
      }
      problems.push(`${name}/weights.bin differs from the uninterrupted run's: ${n} of ${fa.length} weights, max difference ${max}`);
    } else problems.push(`${name}/${file} differs from the uninterrupted run's`);
  }
  const metrics = metricsEpochs(runDir);
  const want = Array.from({ length: epochs }, (_, i) => i + 1);
  if (metrics.join() !== want.join()) problems.push(`metrics.jsonl epochs are [${metrics.join(',')}], not [${want.join(',')}]`);
  return problems;
}

async function main(): Promise<number> {
  const o = options(process.argv.slice(2));
  const base = o.dir || mkdtempSync(join(tmpdir(), 'strata-kill-resume-'));
  const sets = ['--set', `train.epochs=${o.epochs}`, '--set', `data.limit=${o.limit}`];
  const common = ['--backend', o.backend];
  console.log(`kill-resume: ${o.spec}, ${o.epochs} epochs, data.limit=${o.limit}, backend ${o.backend}${process.env.STRATA_THREADS ? `, STRATA_THREADS=${process.env.STRATA_THREADS}` : ''}, ${o.kills} kills, seed ${o.seed}; in ${base}`);

  const refDir = join(base, 'reference');
  rmSync(refDir, { recursive: true, force: true });
  const ref = await run(['train', o.spec, '--out', refDir, ...common, ...sets]);
  if (ref.code !== 0) throw new Error(`the uninterrupted run failed (exit ${ref.code}):\n${ref.stderr}`);
  const T = ref.seconds;
  // Start-up (to the training banner) and one epoch: delays cover both, so that kills land
  // before training, in every part of an epoch, and near its end, and a run still advances.
  const S = ref.bannerSeconds ?? 0;
  const E = (T - S) / o.epochs;
  const minDelay = S / 2;
  const maxDelay = S + 2 * E;
  console.log(`uninterrupted run: ${T.toFixed(1)} s (start-up ${S.toFixed(1)} s, about ${E.toFixed(1)} s an epoch); kill delays drawn from (${minDelay.toFixed(1)}, ${maxDelay.toFixed(1)}) s`);

  const rng = new Rng(o.seed);
  let kills = 0;
  let round = 0;
  let failures = 0;
  const landings: string[] = [];
  let stallsLeft = o.stallKills;
  const stalled = new Set<number>();
  while (kills < o.kills) {
    round++;
    const runDir = join(base, `run-${round}`);
    rmSync(runDir, { recursive: true, force: true });
    let attempts = 0;
    for (;;) {
      attempts++;
      const fresh = complete(runDir).length === 0;
      // A run killed before its first checkpoint has nothing to resume: start it again.
      if (fresh) rmSync(runDir, { recursive: true, force: true });
      const args = fresh ? ['train', o.spec, '--out', runDir, ...common, ...sets] : ['train', '--resume', runDir, ...common];
      const next = fresh ? 1 : Number(complete(runDir).at(-1)!.slice(6)) + 1;
      if (round === 1 && stallsLeft > 0 && next <= o.epochs && !stalled.has(next)) {
        // A kill in the middle of writing the next epoch's checkpoint, after its metrics.jsonl line
        // (STRATA_TEST_STALL_CHECKPOINT stops the write halfway, see docs/development.md).
        stalled.add(next);
        stallsLeft--;
        const name = `epoch-${String(next).padStart(4, '0')}`;
        const was = before(runDir);
        const exit = await run(args, undefined, new RegExp(`strata-test: stalled writing ${name}`), { STRATA_TEST_STALL_CHECKPOINT: name });
        if (!exit.killed) throw new Error(`the stalled write of ${name} never came:\n${exit.stderr}`);
        const where = landing(runDir, exit, was, o.epochs);
        landings.push(`targeted: ${where}`);
        console.log(`targeted kill (run ${round}, ${fresh ? 'fresh start' : 'resume'}) while writing ${name}: ${where}`);
        continue;
      }
      const delay = kills < o.kills ? minDelay + rng.next() * (maxDelay - minDelay) : undefined;
      const was = before(runDir);
      const exit = await run(args, delay === undefined ? undefined : delay * 1000);
      if (exit.killed) {
        kills++;
        const where = landing(runDir, exit, was, o.epochs);
        landings.push(where);
        console.log(`kill ${String(kills).padStart(2)} (run ${round}, ${fresh ? 'fresh start' : 'resume'}) after ${delay!.toFixed(2)} s: ${where}`);
        continue;
      }
      if (exit.code !== 0) {
        console.log(`run ${round}: strata exited ${exit.code ?? exit.signal} (not killed by this script):\n${exit.stderr}`);
        failures++;
        break;
      }
      const problems = compare(runDir, refDir, o.epochs);
      console.log(`run ${round}: done after ${attempts} start${attempts === 1 ? '' : 's'}; ${problems.length ? `MISMATCH: ${problems.join('; ')}` : `epoch-${String(o.epochs).padStart(4, '0')} weights.bin and optimizer.bin equal the uninterrupted run's byte for byte; metrics.jsonl has one line per epoch`}`);
      if (problems.length) failures++;
      break;
    }
  }
  const count = (re: RegExp) => landings.filter((l) => !l.startsWith('targeted') && re.test(l)).length;
  console.log(`random kills: ${kills}; before training began: ${count(/before training/)}, during a checkpoint write: ${count(/checkpoint write/)}, between the metrics append and the checkpoint: ${count(/metrics append/)}; targeted kills mid-checkpoint-write: ${o.stallKills - stallsLeft}`);
  console.log(failures ? `FAILED: ${failures} run(s) differ or failed` : `OK: ${round} run(s), every one equal to the uninterrupted run`);
  if (!o.keep && !o.dir && failures === 0) rmSync(base, { recursive: true, force: true });
  return failures ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(2);
  },
);
