/**
 * `strata train <spec>` and `strata train --resume <run|checkpoint> [<spec>]`:
 * train into a run directory, checkpoint every epoch, save and exit 130 on
 * Ctrl-C, and continue exactly where a run stopped.
 */
import { copyFileSync, existsSync, rmSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { Interrupted, RuntimeFailure, UsageError } from '../../errors.js';
import type { LoadedCheckpoint } from '../../checkpoint/load.js';
import type { Spec } from '../../spec/types.js';
import { withBackend, withJson, withOverrides } from '../options.js';
import type { CommonOptions } from '../options.js';
import { Progress, progressMode } from '../progress.js';

export interface TrainOptions extends CommonOptions {
  out?: string;
  resume?: string;
  fork?: string;
  seed?: string;
}

const rel = (p: string) => relative(process.cwd(), p) || '.';

interface Prepared {
  spec: Spec;
  specText: string;
  runDir: string;
  seed: number;
  resume?: LoadedCheckpoint;
  /** Whether this command created the run directory. */
  created?: boolean;
}

/** Decide the spec, seed and run directory; on resume, find the checkpoint and check the changes. */
async function prepare(file: string | undefined, opts: TrainOptions, progress: Progress): Promise<Prepared> {
  const { parseSpec, readSpecFile } = await import('../../spec/read.js');
  const { stringify, parse } = await import('yaml');
  const { createRunDir, defaultRunDir, RUN_SPEC } = await import('../../run/run-dir.js');
  const { replaceFile } = await import('../../checkpoint/durable.js');
  const overrides = [...opts.set];
  if (opts.seed !== undefined) {
    if (!/^\d+$/.test(opts.seed)) throw new UsageError({ arg: `--seed ${opts.seed}`, code: 'bad-seed', message: 'the seed must be an integer ≥ 0, such as --seed 42' });
    overrides.push(`seed=${opts.seed}`);
  }
  // A dataset given as a path relative to the spec is recorded absolute, so the run finds it from anywhere.
  const absoluteData = (spec: Spec) => {
    const d = spec.data?.dataset;
    if (typeof d !== 'string' || isAbsolute(d) || !existsSync(resolve(dirname(spec.file), d))) return;
    const abs = resolve(dirname(spec.file), d);
    spec.data!.dataset = abs;
    const rawData = spec.raw.data as Record<string, unknown> | undefined;
    if (rawData) rawData.dataset = abs;
  };
  const resolvedText = (spec: Spec, seed: number) => {
    absoluteData(spec);
    return stringify({ ...spec.raw, seed }, { lineWidth: 0 });
  };

  if (!opts.resume) {
    if (opts.fork) throw new UsageError({ arg: '--fork', code: 'fork-without-resume', message: '--fork continues a run into a new directory; give the run with --resume RUN as well' });
    if (!file) throw new UsageError({ arg: 'train', code: 'missing-spec', message: 'give a spec to train, such as strata train configs/mnist-cnn.yaml, or continue a run with --resume RUN' });
    const spec = readSpecFile(file, { overrides });
    const seed = spec.seed ?? Math.floor(Math.random() * 2 ** 31);
    const runDir = opts.out ?? defaultRunDir(spec.name);
    createRunDir(runDir, '--out');
    const specText = resolvedText(spec, seed);
    replaceFile(join(runDir, RUN_SPEC), specText);
    return { spec, specText, runDir, seed, created: true };
  }

  const { resolveCheckpoint } = await import('../../checkpoint/load.js');
  const { diffSpecs, describeChange } = await import('../../run/spec-diff.js');
  const { checkpoint, skipped } = resolveCheckpoint(opts.resume, '--resume');
  const { skippedWarnings } = await import('../../checkpoint/pick.js');
  for (const line of skippedWarnings(skipped, checkpoint.dir)) progress.say(line, true);
  const before = parse(checkpoint.specText) as Record<string, unknown>;
  const specFile = file ?? join(checkpoint.runDir ?? checkpoint.dir, RUN_SPEC);
  const spec = file ? readSpecFile(file, { overrides }) : parseSpec(existsSync(specFile) ? specFile : join(checkpoint.dir, RUN_SPEC), checkpoint.specText, { overrides });
  // A spec given without a seed keeps the run's.
  const seed = spec.seed ?? checkpoint.meta.seed;
  absoluteData(spec);
  const after = { ...spec.raw, seed };
  const changes = diffSpecs(before, after);
  if (changes.length > 0) progress.say(`Changes from the run's spec:\n${changes.map(describeChange).join('\n')}`, changes.some((c) => !c.safe));

  let runDir: string;
  if (opts.fork) {
    createRunDir(opts.fork, '--fork');
    runDir = opts.fork;
    if (checkpoint.runDir && existsSync(join(checkpoint.runDir, 'metrics.jsonl'))) copyFileSync(join(checkpoint.runDir, 'metrics.jsonl'), join(runDir, 'metrics.jsonl'));
  } else if (checkpoint.runDir) {
    runDir = checkpoint.runDir;
  } else {
    runDir = opts.out ?? defaultRunDir(spec.name);
    createRunDir(runDir, '--out');
  }
  const specText = resolvedText(spec, seed);
  replaceFile(join(runDir, RUN_SPEC), specText);
  return { spec, specText, runDir, seed, resume: checkpoint };
}

export async function trainCommandAction(file: string | undefined, opts: TrainOptions): Promise<void> {
  const mode = progressMode(opts);
  // The epoch count is known once the spec is read; the reporter is re-made then.
  const progress = await Progress.create(mode === 'bar' ? 'lines' : mode, 0);
  const p = await prepare(file, opts, progress);
  try {
    await trainPrepared(p, opts, mode, progress);
  } catch (e) {
    // A new run that failed before its first checkpoint leaves nothing behind.
    const { listCheckpoints } = await import('../../checkpoint/store.js');
    if (!p.resume && p.created && listCheckpoints(join(p.runDir, 'checkpoints')).length === 0) rmSync(p.runDir, { recursive: true, force: true });
    throw e;
  }
}

async function trainPrepared(p: Prepared, opts: TrainOptions, mode: ReturnType<typeof progressMode>, initial: Progress): Promise<void> {
  let progress = initial;
  const { labelModeFor, trainConfig } = await import('../../train/config.js');
  const { loadEngine } = await import('../../backend/select.js');
  const engine = await loadEngine(opts.backend);
  if (!p.spec.data) {
    throw new UsageError({ file: p.spec.file, line: 1, col: 1, code: 'no-data', message: 'the spec has no data section; add one, such as data: {dataset: mnist}' });
  }
  const { loadDataset } = await import('../../data/load.js');
  const labels = labelModeFor(trainConfig(p.spec.train, false).loss, p.spec);
  const dataset = await loadDataset(p.spec.data, { seed: p.seed, baseDir: dirname(p.spec.file), labels });
  const { checkModelAgainstData } = await import('../../spec/check-data.js');
  const problems = checkModelAgainstData(p.spec, dataset);
  if (problems.length > 0) throw new UsageError(problems);
  const config = trainConfig(p.spec.train, dataset.validation !== undefined);
  progress = await Progress.create(mode, config.epochs);
  const start = p.resume?.meta.state;
  progress.say(
    `Training ${p.spec.name} on ${dataset.name} (${dataset.train.size.toLocaleString('en-US')} examples${dataset.validation ? `, ${dataset.validation.size.toLocaleString('en-US')} for validation` : ''}) on the ${engine.backend} backend${engine.threads > 1 ? ` (${engine.threads} threads)` : ''}; run: ${rel(p.runDir)}` +
      (start ? `\nResuming from ${rel(p.resume!.dir)} (after epoch ${start.epoch}${start.batch ? `, batch ${start.batch}` : ''})` : ''),
  );

  let stopRequested = false;
  const onSigint = () => {
    if (stopRequested) process.exit(130);
    stopRequested = true;
    progress.say('strata: stopping after this batch and saving a checkpoint (Ctrl-C again to quit without saving)', true);
  };
  process.on('SIGINT', onSigint);
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
      onEpoch: (log, _name, best) => progress.epoch(log, best ? '(best)' : ''),
      interrupted: () => stopRequested,
    });
  } finally {
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
  if (mode === 'json') process.stdout.write(`${JSON.stringify(summary)}\n`);
  switch (result.stopped) {
    case 'interrupted':
      progress.say(`strata: interrupted; saved ${latest}. Continue with: strata train --resume ${rel(p.runDir)}`, true);
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
        process.stdout.write(`\n${epochSummary(readMetrics(join(p.runDir, METRICS_FILE)))}\n`);
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
    .option('--seed <n>', 'the seed of every random choice (default: the spec\'s seed, else a random one, recorded in the run)')
    .option('--quiet', 'print nothing while training');
  withBackend(withOverrides(withJson(cmd))).action(trainCommandAction);
}
