/**
 * `strata datasets`: the bundled datasets with their task, shapes and split
 * sizes; `strata datasets FILE` describes one dataset (a descriptor or a bare
 * data file) in more detail. `--baselines` adds a trivial baseline. The
 * describing is `data/describe.ts`; this file parses and prints.
 */
import type { Command } from 'commander';
import { printJson, withJson } from '../options.js';
import type { DatasetDescription } from '../../data/describe.js';
import { UsageError } from '../../errors.js';
import { labelsSentence } from '../../train-registry/section.js';
import { renderTable } from '../table.js';

export async function listDatasets(baselines: boolean): Promise<DatasetDescription[]> {
  const { bundledNames } = await import('../../data/load.js');
  const { describeDataset } = await import('../../data/describe.js');
  const rows: DatasetDescription[] = [];
  for (const name of bundledNames()) rows.push(await describeDataset({ dataset: name }, { baseDir: process.cwd(), baselines }));
  return rows;
}

const shape = (s: number[]) => `[${s.join(', ')}]`;
const count = (n: number) => n.toLocaleString('en-US');
const baselineText = (r: DatasetDescription) => (r.baseline ? `${r.baseline.name}: ${r.baseline.metric} ${r.baseline.value.toFixed(4)} (${r.baseline.note})` : '-');

/** `--validation F`: a fraction in (0, 1), or the name of a split (test). */
function parseValidation(value: string): number | string {
  if (!/^[0-9.]+$/.test(value)) return value;
  const v = Number(value);
  if (!(v > 0 && v < 1)) throw new UsageError({ arg: `--validation ${value}`, code: 'bad-validation', message: 'give a fraction between 0 and 1, such as --validation 0.1, or test' });
  return v;
}

/** `--seed N`: a whole number, as a spec's seed. */
function parseSeed(value: string): number {
  const v = Number(value);
  if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(v)) throw new UsageError({ arg: `--seed ${value}`, code: 'bad-seed', message: "give the run's seed, a whole number such as --seed 1" });
  return v;
}

/** One dataset as lines of `key  value`, and its classes as a table. */
function printOne(r: DatasetDescription): void {
  const splitNames = (['train', 'validation', 'test'] as const).filter((s) => r.splits[s] !== undefined);
  const lines: [string, string][] = [
    ['dataset', r.name],
    ['task', r.task],
    ['input', `${shape(r.input_shape)} ${r.input_dtype}`],
    ['label', `${shape(r.label_shape)}${r.classes ? ` (class ids; one-hot labels: ${shape([...r.label_shape, r.classes])})` : ''}`],
  ];
  if (r.columns) {
    const ignored = r.columns.names.filter((c) => c !== r.columns!.label && !r.columns!.features.includes(c));
    lines.push(['label column', r.columns.label]);
    lines.push(['features', `${r.columns.features.join(', ')} (${r.columns.features.length})`]);
    if (ignored.length > 0) lines.push(['not read', ignored.join(', ')]);
  }
  if (r.scaling) lines.push(['scaling', `features ${r.scaling.features} (fitted on the training rows); the label is not scaled`]);
  if (r.classes !== undefined) lines.push(['classes', String(r.classes)]);
  if (r.vocabulary !== undefined) lines.push(['vocabulary', count(r.vocabulary)]);
  lines.push(['splits', splitNames.map((s) => `${s} ${count(r.splits[s]!)}`).join(', ')]);
  if (r.baseline) lines.push(['baseline', baselineText(r)]);
  if (r.note) lines.push(['note', r.note]);
  const width = Math.max(...lines.map(([k]) => k.length));
  process.stdout.write(lines.map(([k, v]) => `${k.padEnd(width)}  ${v}\n`).join(''));
  if (r.class_counts) {
    const body = r.class_counts.map((c) => [c.name, ...splitNames.map((s) => count(c[s] ?? 0))]);
    process.stdout.write(`\n${renderTable(['Class', ...splitNames.map((s) => s[0]!.toUpperCase() + s.slice(1))], body, ['left', ...splitNames.map(() => 'right' as const)])}\n`);
  }
}

export function datasetsCommand(program: Command): void {
  const cmd = program
    .command('datasets')
    .argument('[dataset]', 'a dataset descriptor (.yaml), a data file (.csv, .jsonl, .txt) or a bundled name, to describe alone')
    .description('the bundled datasets, or one dataset of your own: task, input and label shapes, classes, split sizes')
    .option('--baselines', 'add a trivial baseline: majority class, seasonal-naive MAE, unigram bits per character')
    .option('--label <column>', 'with a dataset: the label column of a CSV (or field of JSON lines), as data.label in a spec')
    .option('--validation <fraction>', 'with a dataset: carve a validation split from train, as data.validation in a spec')
    .option('--seed <n>', "with --validation: the run's seed, which chooses the validation rows (default 0)")
    .option('--export <dir>', 'with a CSV or JSON-lines dataset: write the rows of each split to DIR/train.csv, validation.csv, test.csv (.jsonl for JSON lines)');
  withJson(cmd).action(async (dataset: string | undefined, opts: { json?: boolean; baselines?: boolean; label?: string; validation?: string; seed?: string; export?: string }) => {
    if (dataset === undefined) {
      for (const option of ['label', 'validation', 'seed', 'export'] as const) {
        if (opts[option] !== undefined) throw new UsageError({ arg: `--${option}`, code: 'needs-dataset', message: `--${option} applies to one dataset; name it, such as strata datasets data/table.csv --${option} ...` });
      }
    } else {
      const { describeDataset } = await import('../../data/describe.js');
      const data = { dataset, ...(opts.label !== undefined ? { label: opts.label } : {}), ...(opts.validation !== undefined ? { validation: parseValidation(opts.validation) } : {}) };
      const seed = opts.seed !== undefined ? parseSeed(opts.seed) : undefined;
      const r = await describeDataset(data, {
        baseDir: process.cwd(),
        pathsFrom: 'the current directory',
        baselines: opts.baselines ?? false,
        classCounts: true,
        ...(seed !== undefined ? { seed } : {}),
        ...(opts.export !== undefined ? { exportTo: opts.export } : {}),
      });
      const { exported, ...description } = r;
      if (opts.json) printJson({ dataset: description, ...(exported ? { exported } : {}) });
      else {
        printOne(description);
        if (exported) process.stdout.write(`\n${exported.map((e) => `wrote ${e.file} (${count(e.rows)} row${e.rows === 1 ? '' : 's'})\n`).join('')}`);
      }
      return;
    }
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
      count(r.splits.train),
      count(r.splits.test ?? 0),
      ...(opts.baselines ? [baselineText(r)] : []),
    ]);
    process.stdout.write(`${renderTable(header, body, ['left', 'left', 'left', 'left', 'right', 'right', 'right', ...(opts.baselines ? ['left' as const] : [])])}\n`);
    process.stdout.write(`${labelsSentence().replace(/`/g, '')} Validation is carved from train by data.validation.\n`);
  });
}
