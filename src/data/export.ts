/**
 * `strata datasets FILE --export DIR`: the rows of each split of a CSV or
 * JSON-lines dataset written back as they were in the user's file, one file
 * per split, so the rows `test_fraction` and `data.validation` held out can be
 * seen. The rows are found through each split's `indices` and the dataset's
 * `sources` (the file and line of every example).
 */
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { osReason, RuntimeFailure, UsageError } from '../errors.js';
import { csvRecordTexts } from './csv.js';
import { readUtf8 } from './text-file.js';
import type { Dataset, SourceRows, Split } from './types.js';

export type SplitName = 'train' | 'validation' | 'test';

export interface ExportedSplit {
  split: SplitName;
  /** The file written (DIR joined with train.csv, test.jsonl, ...). */
  file: string;
  rows: number;
}

/** The 1-based lines of a split's examples in their file, in split order; undefined when they are not lines of one file. */
export function splitRows(dataset: Dataset, split: Split): number[] | undefined {
  const src = dataset.sources;
  const idx = split.indices;
  if (!src || !idx) return undefined;
  const count = Math.min(split.size, idx.length);
  const first = count > 0 ? src.file[idx[0]!]! : 0;
  const rows = new Array<number>(count);
  for (let i = 0; i < count; i++) {
    if (src.file[idx[i]!] !== first) return undefined;
    rows[i] = src.lines[idx[i]!]!;
  }
  return rows;
}

/** Why a write failed: ENOENT here means the folder DIR goes in is missing. */
const reason = (err: unknown) => osReason(err, { ENOENT: 'the folder it goes in does not exist' });

/** DIR must be new or an empty folder: an export never mixes with or replaces other files. */
function checkTarget(dir: string): void {
  if (!existsSync(dir)) return;
  const place = { arg: `--export ${dir}` };
  if (!statSync(dir).isDirectory()) throw new UsageError({ ...place, code: 'export-exists', message: 'is a file; give a new folder (or an empty one) to write the splits into' });
  if (readdirSync(dir).length > 0) throw new UsageError({ ...place, code: 'export-exists', message: 'is a folder that is not empty; give a new folder (or an empty one), so no file of yours is replaced' });
}

/** The text of every record of each source file by its line, and each file's header (CSV). */
function recordsOf(src: SourceRows, k: number): { header?: string; byLine: Map<number, string> } {
  const text = readUtf8(src.files[k]!, src.format === 'csv' ? 'CSV' : 'JSON lines', src.charset ?? 'utf-8');
  if (src.format === 'csv') {
    const [header, ...rows] = csvRecordTexts(text);
    return { header: header!.text, byLine: new Map(rows.map((r) => [r.line, r.text])) };
  }
  return { byLine: new Map(text.split('\n').map((l, i) => [i + 1, l.endsWith('\r') ? l.slice(0, -1) : l])) };
}

/** Write each split's rows to DIR/SPLIT.csv (or .jsonl), headed as the file was; returns what was written. */
export function exportSplits(dataset: Dataset, dir: string): ExportedSplit[] {
  const src = dataset.sources;
  if (!src) {
    throw new UsageError({ arg: `--export ${dir}`, code: 'no-rows', message: `${dataset.name}'s examples are not rows of a CSV or JSON-lines file, so there are no rows to write; --export takes CSV and JSON-lines data` });
  }
  checkTarget(dir);
  const files = src.files.map((_, k) => recordsOf(src, k));
  const out: { split: SplitName; file: string; text: string; rows: number }[] = [];
  for (const name of ['train', 'validation', 'test'] as const) {
    const split = dataset[name];
    if (!split?.indices) continue;
    const count = Math.min(split.size, split.indices.length);
    const lines: string[] = [];
    let header: string | undefined;
    for (let i = 0; i < count; i++) {
      const k = split.indices[i]!;
      const f = files[src.file[k]!]!;
      header ??= f.header;
      const row = f.byLine.get(src.lines[k]!);
      if (row === undefined) throw new Error(`${src.files[src.file[k]!]}: no record starts on line ${src.lines[k]}`);
      lines.push(row);
    }
    if (src.format === 'csv') header ??= files[0]!.header;
    const text = [...(header !== undefined ? [header] : []), ...lines].map((l) => `${l}\n`).join('');
    out.push({ split: name, file: join(dir, `${name}.${src.format}`), text, rows: count });
  }
  try {
    // Not recursive: Node's recursive mkdir can spin on some refusals (/proc); the folder's parent must exist.
    if (!existsSync(dir)) mkdirSync(dir);
  } catch (e) {
    throw new RuntimeFailure({ arg: `--export ${dir}`, code: 'write-failed', message: `cannot create the folder: ${reason(e)}` });
  }
  for (const o of out) {
    try {
      writeFileSync(o.file, o.text);
    } catch (e) {
      throw new RuntimeFailure({ file: o.file, code: 'write-failed', message: `cannot be written: ${reason(e)}` });
    }
  }
  return out.map(({ split, file, rows }) => ({ split, file, rows }));
}
