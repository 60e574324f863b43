/**
 * Reading new inputs for `strata predict` the way the model's training data
 * was read: IDX images scaled as in training, CSV rows with the training
 * columns and scaling, and text lines encoded with the training vocabulary.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import type { DataInfo } from '../checkpoint/meta.js';
import { columnIndex, numberAt, parseCsv } from '../data/csv.js';
import { applyScaling } from '../data/formats/csv.js';
import { readIdxFile } from '../data/idx.js';
import { dataError } from '../data/problem.js';
import { readUtf8 } from '../data/text-file.js';
import { tokenize, UNK } from '../data/vocabulary.js';
import { osReason, UsageError } from '../errors.js';
import { encode } from './generate.js';

export interface PredictInput {
  x: Float32Array | Int32Array;
  count: number;
  /** A short label for each example (a line of text, a row number). */
  labels: string[];
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

function scale(values: Float32Array, info: DataInfo): void {
  const s = info.inputScaling;
  if (s) applyScaling(values, s.offset.length, s);
}

const KINDS = 'an IDX file of images, a CSV file with the training columns, or a text file with one example per line';

/** `option` names the argument in errors (`--input`). */
export function readPredictInput(file: string, info: DataInfo, option = '--input'): PredictInput {
  if (!existsSync(file)) throw new UsageError({ arg: `${option} ${file}`, code: 'no-input', message: `'${file}' does not exist; give the file of inputs to predict: ${KINDS}` });
  if (!statSync(file).isFile()) throw new UsageError({ arg: `${option} ${file}`, code: 'no-input', message: `'${file}' is not a file; give the file of inputs to predict: ${KINDS}` });
  let head: Buffer;
  try {
    head = readFileSync(file).subarray(0, 4);
  } catch (e) {
    // Not readable though it is a file (no permission, an I/O error): the argument's fault, not strata's.
    const why = osReason(e);
    throw new UsageError({ arg: `${option} ${file}`, code: 'no-input', message: `'${file}' cannot be read (${why}); give a readable file of inputs to predict: ${KINDS}` });
  }
  const isIdx = head.length === 4 && head[0] === 0 && head[1] === 0 && head[2]! >= 0x08 && head[2]! <= 0x0e;
  const isGz = head[0] === 0x1f && head[1] === 0x8b;
  const per = size(info.inputShape);
  if (isIdx || isGz) {
    const a = readIdxFile(file);
    const n = a.shape[0]!;
    if (size(a.shape.slice(1)) !== per) throw dataError(file, `holds examples of shape [${a.shape.slice(1).join(', ')}] but the model takes [${info.inputShape.join(', ')}]`);
    const x = Float32Array.from(a.data as ArrayLike<number>);
    scale(x, info);
    return { x, count: n, labels: Array.from({ length: n }, (_, i) => `#${i}`) };
  }
  if (extname(file).toLowerCase() === '.csv') {
    const t = parseCsv(file, readUtf8(file, 'CSV'));
    const cols = info.inputScaling?.columns;
    if (!cols) throw dataError(file, `the model was trained on ${info.name}, not on CSV rows; give ${info.task === 'classification' && info.inputShape.length === 3 ? 'an IDX file of images' : 'a file like its training data'}`);
    const idx = cols.map((c) => columnIndex(file, t, c, 'feature the model was trained on'));
    const x = new Float32Array(t.rows.length * cols.length);
    for (let r = 0; r < t.rows.length; r++) idx.forEach((c, j) => (x[r * cols.length + j] = numberAt(file, t, r, c, false)));
    scale(x, info);
    return { x, count: t.rows.length, labels: t.lines.map((l) => `line ${l}`) };
  }
  // Text: one example per non-empty line.
  const lines = readUtf8(file).split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) throw dataError(file, 'holds no lines of text', { line: 1 });
  const vocab = info.vocabulary;
  if (!vocab) throw dataError(file, `the model was trained on ${info.name}, which is not text; give ${info.inputShape.length === 3 ? 'an IDX file of images' : 'a CSV file of rows like its training data'}`);
  const enc = info.textEncoding;
  if (!enc) {
    if (info.task !== 'language_model') throw dataError(file, 'this checkpoint does not record how its text was encoded (it was written by an older strata); retrain to predict from text');
    // A language model: the last window of each line.
    const w = info.inputShape[0]!;
    const x = new Int32Array(lines.length * w);
    lines.forEach((l, i) => {
      const ids = encode(l, vocab, '--input');
      x.set(ids.slice(-w), i * w + Math.max(0, w - ids.length));
    });
    return { x, count: lines.length, labels: lines };
  }
  const index = new Map(vocab.map((t, i) => [t, i]));
  const unk = index.get(UNK) ?? 0;
  if (enc.encoding === 'tfidf') throw dataError(file, 'this model reads tf-idf vectors, whose document frequencies are not kept in the checkpoint; retrain with encoding: multi_hot or count to predict from text');
  const x = enc.encoding === 'sequence' ? new Int32Array(lines.length * per) : new Float32Array(lines.length * per);
  lines.forEach((l, i) => {
    const ids = tokenize(l, enc.tokens).map((t) => index.get(t) ?? unk);
    if (enc.encoding === 'sequence') ids.slice(0, per).forEach((id, k) => (x[i * per + k] = id));
    else for (const id of ids) x[i * per + id] = enc.encoding === 'multi_hot' ? 1 : x[i * per + id]! + 1;
  });
  return { x, count: lines.length, labels: lines };
}
