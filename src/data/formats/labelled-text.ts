/**
 * Text classification: documents with labels, from JSON lines
 * ({"text": ..., "label": ...}) or from folders of text files (one group of
 * folders per class). Documents become vectors over the vocabulary
 * (multi_hot, count, tfidf) or padded token-id sequences.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { dataError } from '../problem.js';
import { holdOut } from '../shuffle.js';
import { didYouMean } from '../../document/suggest.js';
import { labelledRows, labelTarget, range } from '../splits.js';
import { readUtf8 } from '../text-file.js';
import { buildVocabulary, countTokens, PAD, tokenize, UNK } from '../vocabulary.js';
import type { FormatContext, Loaded } from './context.js';
import { expandFiles } from './text.js';
import { arrangeSplits, probedSplit } from './validation.js';

interface Docs {
  texts: string[];
  labels: string[];
  /** JSON lines: the file (an index into `files`) and line of each document. */
  files?: string[];
  file?: number[];
  lines?: number[];
}

function readJsonl(ctx: FormatContext, file: string): Docs {
  const textKey = ctx.d.text ?? 'text';
  const labelKey = ctx.d.label ?? 'label';
  const docs: Docs = { texts: [], labels: [], files: [file], file: [], lines: [] };
  readUtf8(file, 'JSON lines', ctx.d.charset).split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (e) {
      throw dataError(file, `this line is not valid JSON (${(e as Error).message.split('\n')[0]})`, { line: i + 1 });
    }
    if (!row || typeof row !== 'object' || Array.isArray(row)) throw dataError(file, `each line must be a JSON object such as {"${textKey}": "...", "${labelKey}": "..."}`, { line: i + 1 });
    const r = row as Record<string, unknown>;
    if (typeof r[textKey] !== 'string') throw dataError(file, `this line has no string field '${textKey}' (the text)`, { line: i + 1 });
    if (r[labelKey] === undefined || r[labelKey] === null || typeof r[labelKey] === 'object') throw dataError(file, `this line has no field '${labelKey}' (the label)${didYouMean(labelKey, Object.keys(r))}; its fields are: ${Object.keys(r).join(', ')}`, { line: i + 1 });
    docs.texts.push(r[textKey] as string);
    docs.labels.push(String(r[labelKey]));
    docs.file!.push(0);
    docs.lines!.push(i + 1);
  });
  if (docs.texts.length === 0) throw dataError(file, 'holds no lines; write one JSON object per line', { line: 1 });
  return docs;
}

function readFolders(ctx: FormatContext): Docs {
  if (!ctx.d.root || !ctx.d.folders) throw dataError(ctx.descriptorFile, 'the text_folders format needs root: and folders: {class: [folder, ...]}');
  const root = ctx.path(ctx.d.root);
  const docs: Docs = { texts: [], labels: [] };
  for (const [label, folders] of Object.entries(ctx.d.folders)) {
    for (const folder of folders) {
      let names: string[];
      try {
        names = readdirSync(join(root, folder));
      } catch {
        throw dataError(ctx.descriptorFile, `folder ${join(root, folder)} (class ${label}) does not exist`);
      }
      for (const n of names.filter((f) => f.endsWith(ctx.d.pattern ?? '')).sort()) {
        docs.texts.push(readUtf8(join(root, folder, n), 'text', ctx.d.charset));
        docs.labels.push(label);
      }
    }
  }
  return docs;
}

export function loadLabelledText(ctx: FormatContext): Loaded {
  const read = (spec: unknown, which: string): Docs => {
    const parts = expandFiles(ctx, spec, which).map((f) => readJsonl(ctx, f));
    return { texts: parts.flatMap((p) => p.texts), labels: parts.flatMap((p) => p.labels), files: parts.map((p) => p.files![0]!), file: parts.flatMap((p, k) => p.file!.map(() => k)), lines: parts.flatMap((p) => p.lines!) };
  };
  const all = ctx.d.format === 'text_folders' ? readFolders(ctx) : read(ctx.d.train, 'train');
  const nTrainFile = all.texts.length;
  if (ctx.d.format === 'jsonl' && ctx.d.test) {
    const t = read(ctx.d.test, 'test');
    all.texts.push(...t.texts);
    all.labels.push(...t.labels);
    const offset = all.files!.length;
    all.files!.push(...t.files!);
    all.file!.push(...t.file!.map((f) => f + offset));
    all.lines!.push(...t.lines!);
  }
  let trainIdx = range(nTrainFile);
  let testIdx = all.texts.length > nTrainFile ? range(all.texts.length - nTrainFile, nTrainFile) : undefined;
  if (!testIdx && ctx.d.test_fraction) {
    const { keep, held } = holdOut(nTrainFile, ctx.d.test_fraction, ctx.d.split_seed ?? 0);
    trainIdx = keep;
    testIdx = held;
  }
  const classes = [...new Set(all.labels)].sort();
  const labels = Int32Array.from(all.labels, (l) => classes.indexOf(l));
  const kind = ctx.d.tokens ?? 'word';
  const tokens = all.texts.map((t) => tokenize(t, kind));
  // The vocabulary comes from training documents only (not validation: it is carved from these below, which is Keras's behaviour too).
  const counts = new Map<string, number>();
  for (const i of trainIdx) countTokens(tokens[i]!, counts);
  const encoding = ctx.d.encoding ?? 'multi_hot';
  const vocab = buildVocabulary(counts, encoding === 'sequence' ? [PAD, UNK] : [UNK], ctx.d.max_tokens ?? 10000);
  const index = new Map(vocab.map((t, i) => [t, i]));
  const n = all.texts.length;
  let x: Float32Array | Int32Array;
  let size: number;
  if (ctx.probe) {
    // The documents are read and the vocabulary built (it decides the shapes); encoding them is left out.
    size = encoding === 'sequence' ? (ctx.d.sequence_length ?? 200) : vocab.length;
    x = new Float32Array(0);
  } else if (encoding === 'sequence') {
    size = ctx.d.sequence_length ?? 200;
    x = new Int32Array(n * size);
    tokens.forEach((ts, i) => ts.slice(0, size).forEach((t, k) => (x[i * size + k] = index.get(t) ?? 1)));
  } else {
    size = vocab.length;
    x = new Float32Array(n * size);
    const df = new Float64Array(size);
    if (encoding === 'tfidf') for (const i of trainIdx) for (const id of new Set(tokens[i]!.map((t) => index.get(t) ?? 0))) df[id]!++;
    tokens.forEach((ts, i) => {
      for (const t of ts) {
        const id = index.get(t) ?? 0;
        if (encoding === 'multi_hot') x[i * size + id] = 1;
        else x[i * size + id]! += 1;
      }
      if (encoding === 'tfidf') for (let k = 0; k < size; k++) if (x[i * size + k]) x[i * size + k] = Math.log1p(x[i * size + k]!) * Math.log((1 + trainIdx.length) / (1 + df[k]!));
    });
  }
  const splits = arrangeSplits(ctx, trainIdx, testIdx, (idx) => (ctx.probe ? probedSplit(idx) : labelledRows(x, size, labels, classes.length, ctx.labels, idx)), false);
  return {
    task: 'classification',
    inputShape: [size],
    inputDtype: encoding === 'sequence' ? 'int32' : 'float32',
    ...labelTarget(ctx.labels, classes.length),
    classes,
    vocabulary: vocab,
    textEncoding: { tokens: kind, encoding, ...(encoding === 'sequence' ? { sequence_length: size } : {}) },
    ...(all.lines ? { sources: { format: 'jsonl' as const, files: all.files!, file: Int32Array.from(all.file!), lines: Int32Array.from(all.lines), ...(ctx.d.charset ? { charset: ctx.d.charset } : {}) } } : {}),
    ...splits,
  };
}
