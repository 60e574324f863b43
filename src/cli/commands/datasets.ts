/** `strata datasets`: the bundled datasets with their task, shapes and split sizes; `--baselines` adds a trivial baseline for each. */
import type { Command } from 'commander';
import { printJson, withJson } from '../options.js';
import type { Baseline } from '../../data/baselines.js';
import { labelsSentence } from '../../train-registry/section.js';
import { renderTable } from '../table.js';

interface DatasetRow {
  name: string;
  task: string;
  input_shape: number[];
  input_dtype: string;
  label_shape: number[];
  classes?: number;
  vocabulary?: number;
  splits: { train: number; validation?: number; test?: number };
  baseline?: Baseline;
}

export async function listDatasets(baselines: boolean): Promise<DatasetRow[]> {
  const { bundledNames, loadDataset } = await import('../../data/load.js');
  const { baseline } = await import('../../data/baselines.js');
  const rows: DatasetRow[] = [];
  for (const name of bundledNames()) {
    // Sparse labels: the label shape a model with sparse_categorical_crossentropy sees; one-hot adds the class axis.
    const d = await loadDataset({ dataset: name }, { seed: 0, baseDir: process.cwd(), labels: 'sparse' });
    const b = baselines ? baseline(d) : undefined;
    rows.push({
      name,
      task: d.task,
      input_shape: d.inputShape,
      input_dtype: d.inputDtype,
      label_shape: d.targetShape,
      ...(d.classes ? { classes: d.classes.length } : {}),
      ...(d.vocabulary ? { vocabulary: d.vocabulary.length } : {}),
      splits: { train: d.train.size, ...(d.validation ? { validation: d.validation.size } : {}), ...(d.test ? { test: d.test.size } : {}) },
      ...(b ? { baseline: b } : {}),
    });
  }
  return rows;
}

const shape = (s: number[]) => `[${s.join(', ')}]`;

export function datasetsCommand(program: Command): void {
  const cmd = program
    .command('datasets')
    .description('the bundled datasets: task, input and label shapes, split sizes')
    .option('--baselines', 'add a trivial baseline for each: majority class, seasonal-naive MAE, unigram bits per character');
  withJson(cmd).action(async (opts: { json?: boolean; baselines?: boolean }) => {
    const rows = await listDatasets(opts.baselines ?? false);
    if (opts.json) {
      printJson({ datasets: rows });
      return;
    }
    const header = ['Name', 'Task', 'Input', 'Label', 'Classes/vocab', 'Train', 'Test', ...(opts.baselines ? ['Baseline'] : [])];
    const body = rows.map((r) => [
      r.name,
      r.task,
      `${shape(r.input_shape)} ${r.input_dtype}`,
      shape(r.label_shape),
      String(r.classes ?? r.vocabulary ?? '-'),
      r.splits.train.toLocaleString('en-US'),
      (r.splits.test ?? 0).toLocaleString('en-US'),
      ...(opts.baselines ? [r.baseline ? `${r.baseline.name}: ${r.baseline.metric} ${r.baseline.value.toFixed(4)} (${r.baseline.note})` : '-'] : []),
    ]);
    process.stdout.write(`${renderTable(header, body, ['left', 'left', 'left', 'left', 'right', 'right', 'right', ...(opts.baselines ? ['left' as const] : [])])}\n`);
    process.stdout.write(`${labelsSentence().replace(/`/g, '')} Validation is carved from train by data.validation.\n`);
  });
}
