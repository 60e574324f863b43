/**
 * `strata train <spec>` and `strata train --resume <run|checkpoint> [<spec>]`:
 * train into a run directory, checkpoint every epoch, save and exit 130 on
 * Ctrl-C, and continue exactly where a run stopped.
 */
import { basename, join, relative } from 'node:path';
import type { Command } from 'commander';
import { Interrupted, RuntimeFailure, UsageError } from '../../errors.js';
import { describeCheckpoint, positionText } from '../../checkpoint/store.js';
import type { PreparedRun } from '../../run/prepare.js';
import { withBackend, withJson, withOverrides } from '../options.js';
import type { CommonOptions } from '../options.js';
import { Progress, progressMode } from '../progress.js';
import { ENGINES } from '../../train-registry/section.js';
import { JOIN_TIMEOUT } from '../../torch/settings.js';
import type { DistributionOptions } from '../../torch/settings.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';

export interface TrainOptions extends CommonOptions, DistributionOptions {
  engine?: string;
  device?: string;
  verbose?: boolean;
  out?: string;
  resume?: string;
  fork?: string;
  seed?: string;
}

const rel = (p: string) => relative(process.cwd(), p) || '.';

function parseSeed(seed: string | undefined): number | undefined {
  if (seed === undefined) return undefined;
  if (!/^\d+$/.test(seed)) throw new UsageError({ arg: `--seed ${seed}`, code: 'bad-seed', message: 'the seed must be an integer ≥ 0, such as --seed 42' });
  return Number(seed);
}

/**
 * Ctrl-C (or a SIGTERM) before training starts, while the backend and the data load: quit
 * at once, as the default handling would, but through process.exit, so that the run's lock
 * is removed (run/lock.ts). Training installs its own Ctrl-C handler, which saves first.
 */
const quitAtOnce = (signal: NodeJS.Signals) => process.exit(signal === 'SIGINT' ? 130 : 143);

export async function trainCommandAction(file: string | undefined, opts: TrainOptions): Promise<void> {
  const mode = progressMode(opts);
  // The epoch count is known once the spec is read; the reporter is re-made then.
  const progress = await Progress.create(mode === 'bar' ? 'lines' : mode, 0);
  const seed = parseSeed(opts.seed);
  const { discardUnstarted, prepareRun } = await import('../../run/prepare.js');
  // Installed before the lock is taken: until a listener is added, a signal's default action
  // ends the process at once, past the exit hook that removes the lock (run/lock.ts).
  process.on('SIGINT', quitAtOnce);
  process.on('SIGTERM', quitAtOnce);
  // A node other than 0 trains alongside node 0, which keeps the run: its own run directory is a
  // scratch one, removed at the end (a resumed run continues into it, the checkpoint left alone).
  const scratch = opts.nodeRank !== undefined && opts.nodeRank !== '0' ? mkdtempSync(join(tmpdir(), 'strata-node-')) : undefined;
  const runDir = scratch ? (opts.resume !== undefined ? { fork: join(scratch, 'run') } : { out: join(scratch, 'run') }) : { ...(opts.out !== undefined ? { out: opts.out } : {}), ...(opts.fork !== undefined ? { fork: opts.fork } : {}) };
  try {
    const p = prepareRun({
      ...(file !== undefined ? { spec: file } : {}),
      set: opts.set,
      ...(seed !== undefined ? { seed } : {}),
      ...runDir,
      ...(opts.resume !== undefined ? { resume: opts.resume } : {}),
      say: (line, important) => progress.say(line, important),
    });
    // The run's lock is held from prepareRun until here, on every way out: the end, an error,
    // Ctrl-C (Interrupted, after its checkpoint); a second Ctrl-C's process.exit releases it in lock.ts.
    try {
      await trainPrepared(p, opts, mode, progress);
    } catch (e) {
      discardUnstarted(p);
      throw e;
    } finally {
      p.lock.release();
    }
  } finally {
    process.off('SIGINT', quitAtOnce);
    process.off('SIGTERM', quitAtOnce);
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }
}

async function trainPrepared(p: PreparedRun, opts: TrainOptions, mode: ReturnType<typeof progressMode>, initial: Progress): Promise<void> {
  let progress = initial;
  if (p.spec.raw.search !== undefined && !p.resume) {
    const { placeIn } = await import('../../spec/place.js');
    throw new UsageError({ ...placeIn(p.spec, ['search']), code: 'search-in-train', message: `this spec has a search: section, which strata train does not run: search with strata search ${p.spec.file} (docs/search.md), or train one of its trials' specs` });
  }
  // The engine first: a spec the torch engine cannot run, or a missing PyTorch, is refused before any data is read.
  const engineName = opts.engine ?? String(p.spec.train?.engine ?? 'tfjs');
  if (!(ENGINES as readonly string[]).includes(engineName)) {
    throw new UsageError({ arg: `--engine ${engineName}`, code: 'bad-engine', message: `the engine must be one of ${ENGINES.join(', ')}` });
  }
  if (opts.device !== undefined && engineName !== 'torch') {
    throw new UsageError({ arg: `--device ${opts.device}`, code: 'device-without-torch', message: '--device chooses the torch engine\'s device; add --engine torch (the tfjs engine runs on the CPU)' });
  }
  const { distributionOf, torchSettings } = await import('../../torch/settings.js');
  const distribution = distributionOf(p.spec, opts);
  if (distribution && engineName !== 'torch') {
    const flag = opts.workers !== undefined ? `--workers ${opts.workers}` : opts.nodes !== undefined ? `--nodes ${opts.nodes}` : '--node-rank';
    throw new UsageError({ arg: flag, code: 'workers-without-torch', message: 'data-parallel training runs on the torch engine: add --engine torch (docs/distributed.md)' });
  }
  const torch = engineName === 'torch' ? { ...torchSettings(p.spec, opts.device, opts.verbose === true), ...(distribution ? { distribution } : {}) } : undefined;
  const helper = distribution !== undefined && distribution.nodeRank > 0;
  const { loadEngine } = await import('../../backend/select.js');
  // On the torch engine TensorFlow.js only builds the model and writes checkpoints: its cpu backend,
  // since the wasm backend's threads would compete with PyTorch's for the cores (measured: mlp 34k
  // samples/s against 49k on one PyTorch thread).
  // The wasm pool's threads: what the model trains fastest on (model/threads.ts) unless STRATA_THREADS says.
  const { preferredThreads } = await import('../../train/threads.js');
  const engine = await loadEngine(opts.backend ?? (torch ? 'cpu' : undefined), torch ? {} : { threads: preferredThreads(p.spec) });
  const { loadTrainingInputs } = await import('../../run/prepare.js');
  const { dataset, config } = await loadTrainingInputs(p);
  progress = await Progress.create(mode, config.epochs);
  const start = p.resume?.meta.state;
  const world = distribution ? distribution.workers * distribution.nodes : 1;
  const workersText = distribution && world > 1 ? `, ${distribution.workers} worker${distribution.workers === 1 ? '' : 's'}${distribution.nodes > 1 ? ` on node ${distribution.nodeRank} of ${distribution.nodes} (${world} in all)` : ''}` : '';
  const where = torch ? `on the torch engine (${torch.python}${torch.device === 'auto' ? '' : `, ${torch.device}`}${workersText})` : `on the ${engine.backend} backend${engine.threads > 1 ? ` (${engine.threads} threads)` : ''}`;
  if (helper) progress.say(`strata: node ${distribution!.nodeRank} trains with node 0 at ${distribution!.master!.host}:${distribution!.master!.port}, which keeps the run directory and its checkpoints`);
  progress.say(
    `Training ${p.spec.name} on ${dataset.name} (${dataset.train.size.toLocaleString('en-US')} examples${dataset.validation ? `, ${dataset.validation.size.toLocaleString('en-US')} for validation` : ''}) ${where}; run: ${helper ? 'kept by node 0' : rel(p.runDir)}` +
      (start ? `\nResuming from ${rel(p.resume!.dir)} (${positionText(start.epoch, start.batch)})` : ''),
  );

  let stopRequested = false;
  const onSigint = () => {
    if (stopRequested) process.exit(130);
    stopRequested = true;
    progress.say('strata: stopping after this batch and saving a checkpoint (Ctrl-C again to quit without saving)', true);
  };
  process.off('SIGINT', quitAtOnce);
  process.on('SIGINT', onSigint);
  // A trial of strata search: when the search is gone (killed), stop after this batch and save, as on Ctrl-C.
  const parent = process.env.STRATA_STOP_WITH_PARENT === '1' ? process.ppid : undefined;
  const orphaned = parent === undefined ? undefined : setInterval(() => {
    if (process.ppid !== parent) stopRequested = true;
  }, 250);
  const { runSession } = await import('../../run/session.js');
  let result: Awaited<ReturnType<typeof runSession>>;
  try {
    result = await runSession({
      engine,
      spec: p.spec,
      specText: p.specText,
      dataset,
      runDir: p.runDir,
      seed: p.seed,
      ...(p.resume ? { resume: p.resume } : {}),
      onBatch: (b) => progress.batch(b),
      onEpoch: (log, _name, best) => progress.epoch(log, best ? '(best)' : '', best),
      interrupted: () => stopRequested,
      ...(torch ? { torch: { ...torch, onNote: (line: string) => progress.say(line, true), onReady: (r: { torch: string; device: string }) => progress.say(`PyTorch ${r.torch} on ${r.device}`) } } : {}),
    });
  } finally {
    if (orphaned) clearInterval(orphaned);
    process.off('SIGINT', onSigint);
    progress.stop();
  }
  const latest = result.latest ? rel(result.latest) : undefined;
  const summary = {
    run: p.runDir,
    stopped: result.stopped,
    epochs: result.state.epoch,
    ...(result.latest ? { latest: result.latest } : {}),
    ...(result.best ? { best: result.best } : {}),
    ...(result.at ? { at: result.at } : {}),
    ...(result.restoredEpoch ? { restored_epoch: result.restoredEpoch } : {}),
  };
  result.model.dispose();
  if (helper) {
    // Node 0 keeps the run, reports it, and says how it ended; this node's part is done.
    if (mode === 'json') process.stdout.write(`${JSON.stringify({ node: distribution!.nodeRank, stopped: result.stopped, epochs: result.state.epoch })}\n`);
    else progress.say(`strata: node ${distribution!.nodeRank} done (${result.stopped}); node 0 keeps the run`, true);
    if (result.stopped === 'interrupted') throw new Interrupted();
    return;
  }
  if (mode === 'json') process.stdout.write(`${JSON.stringify(summary)}\n`);
  switch (result.stopped) {
    case 'interrupted':
      progress.say(`strata: interrupted; saved ${latest ? describeCheckpoint(latest) : latest}. Continue with: strata train --resume ${rel(p.runDir)}`, true);
      throw new Interrupted();
    case 'non_finite':
      throw new RuntimeFailure({
        arg: 'train',
        code: 'non-finite-loss',
        message: `the loss became ${'NaN or infinite'} at epoch ${result.at!.epoch}, batch ${result.at!.batch}; training stopped${latest ? ` and the last good checkpoint is ${latest}` : ' before any checkpoint was written'}. Lower train.optimizer.learning_rate, or set train.clip_norm (such as 1.0)`,
      });
    default:
      if (mode !== 'json' && mode !== 'quiet') {
        const why = result.stopped === 'early_stopping' ? `stopped early after epoch ${result.state.epoch}` : `finished ${result.state.epoch} epoch${result.state.epoch === 1 ? '' : 's'}`;
        const restored = result.restoredEpoch ? `; kept the weights of epoch ${result.restoredEpoch}` : '';
        const { epochSummary } = await import('../epoch-table.js');
        const { readMetrics, METRICS_FILE } = await import('../../run/metrics-log.js');
        const bestEpoch = result.best ? /^epoch-(\d+)$/.exec(basename(result.best))?.[1] : undefined;
        const best = bestEpoch ? { best: { epoch: Number(bestEpoch), monitor: result.config.checkpoint.monitor } } : {};
        process.stdout.write(`\n${epochSummary(readMetrics(join(p.runDir, METRICS_FILE)), best)}\n`);
        process.stdout.write(`${p.spec.name}: ${why}${restored}. Run: ${rel(p.runDir)}${result.best ? `  best: ${rel(result.best)}` : ''}\nEvaluate with: strata evaluate ${rel(p.runDir)}\nReport with: strata report ${rel(p.runDir)}  (writes ${rel(join(p.runDir, 'report.html'))})\n`);
      }
  }
}

export function trainCommand(program: Command): void {
  const cmd = program
    .command('train')
    .description('train a spec into a run directory, with a checkpoint every epoch')
    .argument('[spec]', 'a YAML or JSON spec (on --resume: a changed spec to continue with)')
    .option('--out <dir>', 'the run directory (default: runs/<name>-<timestamp>)')
    .option('--resume <run|checkpoint>', 'continue a run from its newest good checkpoint, or from the checkpoint given')
    .option('--fork <dir>', 'with --resume: continue into a new run directory and leave the old one as it is')
    .option('--engine <name>', `what trains the model: ${ENGINES.join(' or ')} (default: the spec's train.engine, else tfjs; docs/engines.md)`)
    .option('--device <name>', 'the torch engine\'s device: cpu, cuda or cuda:N (default: cuda when PyTorch sees one)')
    .option('--workers <n>', 'with --engine torch: data-parallel worker processes on this machine, each taking its share of every batch (docs/distributed.md)')
    .option('--nodes <n>', 'with --workers: machines training together; start the same command on each, with its --node-rank')
    .option('--node-rank <r>', "this machine's rank among --nodes, 0 to N-1 (node 0 keeps the run directory)")
    .option('--master <host:port>', "node 0's address and a free port, where the workers meet (the same on every node)")
    .option('--join-timeout <seconds>', `how long the workers wait for each other to join (default ${JOIN_TIMEOUT})`)
    .option('--seed <n>', 'the seed of every random choice (default: the spec\'s seed, else a random one, recorded in the run)')
    .option('--quiet', 'print nothing while training')
    .option('--verbose', 'with a failure in the torch engine, show the Python traceback');
  withBackend(withOverrides(withJson(cmd))).action(trainCommandAction);
}
