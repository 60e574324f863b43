/**
 * `strata evaluate <run|checkpoint>`: the loss and metrics of a checkpoint on
 * the test split of its dataset (or another split or dataset), and for
 * classification the confusion matrix and per-class scores.
 */
import { join, relative } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import type { Confusion } from '../../eval/report.js';
import { printJson, withBackend, withJson } from '../options.js';
import type { CommonOptions } from '../options.js';
import { renderTable } from '../table.js';

export interface EvaluateOptions extends Omit<CommonOptions, 'set'> {
  data?: string;
  split: string;
}

export interface Evaluation {
  checkpoint: string;
  dataset: string;
  split: string;
  examples: number;
  metrics: Record<string, number>;
  confusion?: Confusion;
  backend: string;
}

const rel = (p: string) => relative(process.cwd(), p) || '.';

export async function evaluate(target: string, opts: EvaluateOptions): Promise<Evaluation> {
  const { loadRunCheckpoint, skippedWarnings } = await import('../../checkpoint/pick.js');
  const { checkpoint, skipped } = loadRunCheckpoint(target, 'evaluate', 'best');
  for (const line of skippedWarnings(skipped, checkpoint.dir)) process.stderr.write(`${line}\n`);
  const { parseSpec } = await import('../../spec/read.js');
  const spec = parseSpec(join(checkpoint.dir, 'spec.yaml'), checkpoint.specText, {});
  const { loadEngine } = await import('../../backend/select.js');
  const engine = await loadEngine(opts.backend);
  const { loadDataset } = await import('../../data/load.js');
  const dataSection = { ...(spec.data ?? {}), ...(opts.data ? { dataset: opts.data } : {}) };
  if (!dataSection.dataset) throw new UsageError({ arg: 'evaluate', code: 'no-data', message: "the run's spec names no dataset; give one with --data NAME|PATH" });
  const { labelModeFor, trainConfig } = await import('../../train/config.js');
  const config = trainConfig(spec.train, false);
  const labels = labelModeFor(config.loss, spec);
  const dataset = await loadDataset(dataSection, { seed: checkpoint.meta.seed, baseDir: process.cwd(), labels });
  const splits = { train: dataset.train, validation: dataset.validation, test: dataset.test } as const;
  const split = splits[opts.split as keyof typeof splits];
  if (!split) {
    const have = Object.entries(splits).filter(([, v]) => v).map(([k]) => k);
    throw new UsageError({ arg: `--split ${opts.split}`, code: 'no-split', message: `dataset '${dataset.name}' has no '${opts.split}' split; choose one of ${have.join(', ')}` });
  }
  const { modelFromFiles } = await import('../../checkpoint/model-files.js');
  const model = await modelFromFiles(engine, checkpoint.model);
  const { evaluateSplit } = await import('../../train/evaluate-split.js');
  const { metricContext } = await import('../../train/targets.js');
  const { MetricAccumulator } = await import('../../train/metrics.js');
  const { metricDefs } = await import('../../train/config.js');
  const ctx = metricContext(model, config);
  const classification = ctx.kind !== 'regression' && dataset.task === 'classification';
  const acc = new MetricAccumulator(engine.tf, metricDefs(config.metrics), ctx, classification);
  const metrics = await evaluateSplit(engine, model, dataset, split, config, acc);
  let confusion: Confusion | undefined;
  if (classification) {
    const { confusionReport } = await import('../../eval/report.js');
    const k = ctx.kind === 'binary' ? 2 : ctx.classes;
    const classes = dataset.classes && dataset.classes.length === k ? dataset.classes : Array.from({ length: k }, (_, i) => String(i));
    confusion = confusionReport((await acc.confusionCounts())!, classes);
  }
  acc.dispose();
  model.dispose();
  return { checkpoint: checkpoint.dir, dataset: dataset.name, split: opts.split, examples: split.size, metrics, ...(confusion ? { confusion } : {}), backend: engine.backend };
}

const num = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(4));

export function renderEvaluation(e: Evaluation): string {
  const out = [`${rel(e.checkpoint)} on ${e.dataset} (${e.split}, ${e.examples.toLocaleString('en-US')} examples, ${e.backend} backend)`, ''];
  out.push(renderTable(['Metric', 'Value'], Object.entries(e.metrics).map(([k, v]) => [k, num(v)]), ['left', 'right']), '');
  const c = e.confusion;
  if (c) {
    if (c.classes.length <= 12) {
      out.push('Confusion matrix (rows: true class, columns: predicted)');
      out.push(renderTable(['', ...c.classes], c.counts.map((row, i) => [c.classes[i]!, ...row.map(String)]), ['left', ...c.classes.map(() => 'right' as const)]), '');
    } else if (c.top_confusions.length > 0) {
      out.push('Largest confusions');
      out.push(renderTable(['True', 'Predicted', 'Count'], c.top_confusions.map((m) => [m.true, m.predicted, String(m.count)]), ['left', 'left', 'right']), '');
    }
    out.push(renderTable(['Class', 'Precision', 'Recall', 'F1', 'Support'], c.per_class.map((s) => [s.class, num(s.precision), num(s.recall), num(s.f1), String(s.support)]), ['left', 'right', 'right', 'right', 'right']), '');
  }
  return out.join('\n');
}

export function evaluateCommand(program: Command): void {
  const cmd = program
    .command('evaluate')
    .description("a checkpoint's loss and metrics on a split of its dataset; for classifiers, the confusion matrix and per-class scores")
    .argument('<run|checkpoint>', "a run directory (its best checkpoint, else its latest) or a checkpoint directory")
    .option('--data <name|path>', "another dataset (bundled name or path) instead of the run's")
    .option('--split <name>', 'the split: test, validation or train', 'test');
  withBackend(withJson(cmd)).action(async (target: string, opts: EvaluateOptions) => {
    const e = await evaluate(target, opts);
    if (opts.json) printJson(e);
    else process.stdout.write(renderEvaluation(e));
  });
}
