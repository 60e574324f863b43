/**
 * Language modelling over plain text files: the files (in natural order of
 * their names) are joined into one token stream; examples are windows cut
 * from it per batch. The held-out parts are the end of the stream, so no
 * window of validation or test text is seen in training.
 */
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { dataError } from '../problem.js';
import { limitSplit, tokenWindows } from '../splits.js';
import { readUtf8 } from '../text-file.js';
import { buildVocabulary, countTokens, encodeTokens, tokenize, UNK } from '../vocabulary.js';
import type { FormatContext, Loaded } from './context.js';

const natural = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });

/** Paths from a path, a list, or a glob with `*` in its file name. */
export function expandFiles(ctx: FormatContext, spec: unknown, which: string): string[] {
  const list = Array.isArray(spec) ? (spec as string[]) : typeof spec === 'string' ? [spec] : [];
  if (list.length === 0) throw dataError(ctx.descriptorFile, `${which}: give a file, a list of files, or a pattern such as data/*.txt`);
  return list.flatMap((p) => {
    const full = ctx.path(p);
    if (!basename(full).includes('*')) return [full];
    const dir = dirname(full);
    const re = new RegExp(`^${basename(full).replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
    let names: string[];
    try {
      names = readdirSync(dir).filter((n) => re.test(n));
    } catch {
      throw dataError(ctx.descriptorFile, `${which}: the folder ${dir} does not exist`);
    }
    if (names.length === 0) throw dataError(ctx.descriptorFile, `${which}: no file matches ${full}`);
    return names.sort(natural).map((n) => join(dir, n));
  });
}

export function loadText(ctx: FormatContext): Loaded {
  const kind = ctx.d.tokens ?? 'character';
  const read = (files: string[]) => files.map((f) => readUtf8(f, 'text', ctx.d.charset)).join(kind === 'character' ? '\n' : ' \n ');
  const trainText = read(expandFiles(ctx, ctx.d.train, 'train'));
  const testText = ctx.d.test ? read(expandFiles(ctx, ctx.d.test, 'test')) : undefined;
  let trainTokens = tokenize(trainText, kind);
  let testTokens = testText !== undefined ? tokenize(testText, kind) : undefined;
  if (!testTokens && ctx.d.test_fraction) {
    const cut = Math.round(trainTokens.length * (1 - ctx.d.test_fraction));
    testTokens = trainTokens.slice(cut);
    trainTokens = trainTokens.slice(0, cut);
  }
  let validTokens: string[] | undefined;
  if (typeof ctx.validation === 'number') {
    const cut = Math.round(trainTokens.length * (1 - ctx.validation));
    validTokens = trainTokens.slice(cut);
    trainTokens = trainTokens.slice(0, cut);
  } else if (ctx.validation === 'test') {
    if (!testTokens) throw dataError(ctx.descriptorFile, "data.validation is 'test' but the dataset has no test part; give a fraction such as 0.05");
  } else if (ctx.validation !== undefined) {
    throw dataError(ctx.descriptorFile, `data.validation '${ctx.validation}' is not a split; give a fraction such as 0.05, or test`);
  }
  const length = ctx.d.sequence_length ?? 100;
  if (trainTokens.length < length + 2) throw dataError(ctx.descriptorFile, `the training text has ${trainTokens.length} tokens, fewer than one window of ${length} plus its target; lower sequence_length`);
  const vocab = buildVocabulary(countTokens(trainTokens), [UNK], ctx.d.max_tokens);
  const stride = ctx.d.stride ?? 1;
  const targets = ctx.d.targets ?? 'last';
  const all = [trainTokens, validTokens ?? [], testTokens ?? []];
  const stream = encodeTokens(all.flat(), vocab);
  const bounds = [0, trainTokens.length, trainTokens.length + all[1]!.length, stream.length];
  const make = (k: number) => limitSplit(tokenWindows(stream, bounds[k]!, bounds[k + 1]!, length, stride, targets, vocab.length, ctx.labels), ctx.d.limit);
  const valid = ctx.validation === 'test' ? make(2) : validTokens ? make(1) : undefined;
  return {
    task: 'language_model',
    inputShape: [length],
    inputDtype: 'int32',
    targetShape: targets === 'all' ? (ctx.labels === 'sparse' ? [length] : [length, vocab.length]) : ctx.labels === 'sparse' ? [] : [vocab.length],
    targetDtype: ctx.labels === 'sparse' ? 'int32' : 'float32',
    vocabulary: vocab,
    train: make(0),
    ...(valid ? { validation: valid } : {}),
    ...(testTokens && testTokens.length > length + 1 ? { test: make(2) } : {}),
  };
}
