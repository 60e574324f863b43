/**
 * `strata evaluate <run|checkpoint>`: the loss and metrics of a checkpoint on
 * the test split of its dataset (or another split or dataset), and for
 * classification the confusion matrix and per-class scores.
 */
import { relative } from 'node:path';
import type { Command } from 'commander';
import { describeCheckpoint } from '../../checkpoint/store.js';
import type { Evaluation } from '../../eval/evaluate.js';
import { printJson, warnOnStderr, withBackend, withJson } from '../options.js';
import type { CommonOptions } from '../options.js';
import { renderTable } from '../table.js';

interface EvaluateCliOptions extends Omit<CommonOptions, 'set'> {
  data?: string;
  split: string;
}

const rel = (p: string) => relative(process.cwd(), p) || '.';

const num = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(4));

export function renderEvaluation(e: Evaluation): string {
  const out = [`${describeCheckpoint(rel(e.checkpoint))} on ${e.dataset} (${e.split}, ${e.examples.toLocaleString('en-US')} examples, ${e.backend} backend)`, ''];
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
  withBackend(withJson(cmd)).action(async (target: string, opts: EvaluateCliOptions) => {
    const { evaluate, splitName } = await import('../../eval/evaluate.js');
    const split = splitName(opts.split);
    const { openCheckpoint } = await import('../../checkpoint/pick.js');
    const checkpoint = openCheckpoint(target, 'evaluate', 'best', warnOnStderr);
    const { loadEngine } = await import('../../backend/select.js');
    const engine = await loadEngine(opts.backend);
    const e = await evaluate(engine, checkpoint, { split, ...(opts.data !== undefined ? { data: opts.data } : {}) });
    if (opts.json) printJson(e);
    else process.stdout.write(renderEvaluation(e));
  });
}
