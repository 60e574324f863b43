/**
 * A spec file as text, parsed with source positions. Both YAML and JSON go
 * through the `yaml` package's document model, so every value of the spec can
 * be traced back to a line and column; JSON is first checked by the strict
 * JSON parser so that what JSON forbids (trailing commas, comments) is refused.
 */
import { extname } from 'node:path';
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit } from 'yaml';
import type { Document, Node, Pair, YAMLMap } from 'yaml';
import type { Diagnostic, Place } from '../errors.js';
import { checkStrictJson } from './strict-json.js';
import { checkFileSize, DEPTH_MESSAGE, MAX_DEPTH, tooDeep } from './limits.js';
import { UsageError } from '../errors.js';

/** A path into the spec: object keys and list indices. */
export type SpecPath = readonly (string | number)[];

export type SpecFormat = 'yaml' | 'json';

export interface SpecSource {
  file: string;
  text: string;
  format: SpecFormat;
  doc: Document.Parsed;
  lines: LineCounter;
  /** Paths set from the command line (`--set`), keyed by `pathKey`, with the argument. */
  overrides: Map<string, string>;
}

/** The largest number of alias expansions a spec may need (guards against alias bombs). */
const MAX_ALIAS_COUNT = 100;

export function pathKey(path: SpecPath): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('');
}

/** `model.layers[2].units` — how a path is shown in messages and `--set`. */
export function formatPath(path: SpecPath): string {
  return pathKey(path).replace(/^\./, '');
}

export function detectFormat(file: string, text: string): SpecFormat {
  const ext = extname(file).toLowerCase();
  if (ext === '.json') return 'json';
  if (ext === '.yaml' || ext === '.yml') return 'yaml';
  return /^\s*[{[]/.test(text) ? 'json' : 'yaml';
}

export interface Parsed {
  source?: SpecSource;
  /** The plain value of the document (present when there were no syntax errors). */
  value?: unknown;
  diagnostics: Diagnostic[];
}

/** Parse spec text. Syntax errors come back as diagnostics, never as exceptions. */
export function parseSpecText(file: string, text: string): Parsed {
  const lines = new LineCounter();
  const at = (offset: number): Place => {
    const { line, col } = lines.linePos(offset);
    return { file, line, col };
  };
  const format = detectFormat(file, text);
  if (text.trim() === '') {
    return {
      diagnostics: [{ file, line: 1, col: 1, code: 'empty', message: 'the spec is empty; it needs at least `version`, `model` and `model.layers`' }],
    };
  }

  try {
    checkFileSize(file, Buffer.byteLength(text, 'utf8'));
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    return { diagnostics: [...e.diagnostics] };
  }
  // uniqueKeys compares each key with every earlier one of its mapping, which grows with the
  // square of a mapping's size (40,000 keys: 14.5 s); duplicateKeys() makes the same check in one pass.
  // logLevel 'error': the yaml package would print its warnings (an unknown tag) through Node's process warnings; they are errors here, at their place.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false, strict: true, logLevel: 'error' });
  if (format === 'json') {
    const jsonError = checkStrictJson(text, MAX_DEPTH);
    if (jsonError?.tooDeep) return { diagnostics: [{ ...at(jsonError.offset), code: 'too-deep', message: DEPTH_MESSAGE }] };
    if (jsonError) return { diagnostics: [{ ...at(jsonError.offset), code: 'syntax', message: `invalid JSON: ${jsonError.message}` }] };
  }
  const lang = format === 'json' ? 'JSON' : 'YAML';
  const problems: { offset: number; diagnostic: Diagnostic }[] = doc.errors.map((e) => ({
    offset: e.pos[0],
    // The yaml package's parser recurses; it reports running out of stack as an error of its own.
    diagnostic: /call stack/i.test(e.message)
      ? { ...at(e.pos[0]), code: 'too-deep', message: DEPTH_MESSAGE }
      : { ...at(e.pos[0]), code: 'syntax', message: `invalid ${lang}: ${syntaxMessage(e.code, e.message, text, e.pos)}` },
  }));
  for (const w of doc.warnings) {
    const tag = w.code === 'TAG_RESOLVE_FAILED' ? /tag: (\S+)/.exec(w.message)?.[1] : undefined;
    problems.push({
      offset: w.pos[0],
      diagnostic: {
        ...at(w.pos[0]),
        code: 'syntax',
        message: tag
          ? `invalid ${lang}: unknown tag '${tag}'; a spec's values are plain YAML, so remove the tag`
          : `invalid ${lang}: ${syntaxMessage(w.code, w.message, text, w.pos)}`,
      },
    });
  }
  if (!problems.some((p) => p.diagnostic.code === 'too-deep')) {
    for (const offset of duplicateKeys(doc)) {
      problems.push({ offset, diagnostic: { ...at(offset), code: 'syntax', message: `invalid ${lang}: ${syntaxMessage('DUPLICATE_KEY', 'Map keys must be unique', text, [offset, offset])}` } });
    }
  }
  if (problems.length > 0) return { diagnostics: problems.sort((a, b) => a.offset - b.offset).map((p) => p.diagnostic) };

  const source: SpecSource = { file, text, format, doc, lines, overrides: new Map() };
  if (!isMap(doc.contents)) {
    const kind = isSeq(doc.contents) ? 'a list' : isScalar(doc.contents) ? scalarKind(text, doc.contents.value) : 'nothing';
    const csv = isScalar(doc.contents) ? looksLikeCsv(file, text) : undefined;
    const offset = doc.contents?.range?.[0] ?? 0;
    return {
      source,
      diagnostics: [{ ...at(offset), code: 'not-a-mapping', message: csv ?? `the spec must be a mapping with keys such as version, name, data, model and train, but the file holds ${kind}` }],
    };
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    // The yaml package refuses documents whose aliases expand past the limit.
    let offset = 0;
    visit(doc, {
      Alias(_, node) {
        offset = node.range?.[0] ?? 0;
        return visit.BREAK;
      },
    });
    return {
      source,
      diagnostics: [{
        ...at(offset),
        code: 'alias-bomb',
        message: `aliases in this spec expand to too many nodes (${firstLine((e as Error).message)}); write the values out instead of nesting aliases`,
      }],
    };
  }
  const deep = tooDeep(value);
  if (deep) return { source, diagnostics: [{ ...placeOf(source, deep), code: 'too-deep', message: DEPTH_MESSAGE }] };
  return { source, value, diagnostics: [] };
}

/**
 * The offsets of keys that repeat an earlier key of their mapping, in one pass
 * over the document with a set per mapping (scalar keys, compared by type and
 * value, as the yaml package's own check does). Iterative: depth is checked later.
 */
function duplicateKeys(doc: Document.Parsed): number[] {
  const found: number[] = [];
  const stack: unknown[] = [doc.contents];
  while (stack.length > 0) {
    const node = stack.pop();
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        if (isScalar(pair.key)) {
          const id = `${typeof pair.key.value}:${String(pair.key.value)}`;
          if (seen.has(id)) found.push(pair.key.range?.[0] ?? 0);
          else seen.add(id);
        }
        stack.push(pair.key, pair.value);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) stack.push(item);
    } else if (isPair(node)) {
      stack.push(node.key, node.value);
    }
  }
  return found;
}

function firstLine(s: string): string {
  return (s.split('\n')[0] ?? s).trim();
}

/** Each mapping's pairs by key, made when a place inside it is first asked for, so that finding N places stays linear. */
const pairsByKey = new WeakMap<object, Map<string, Pair>>();

function pairOf(map: YAMLMap, key: string): Pair | undefined {
  let index = pairsByKey.get(map);
  if (!index) {
    index = new Map();
    for (const p of map.items) if (isPair(p) && isScalar(p.key) && !index.has(String(p.key.value))) index.set(String(p.key.value), p);
    pairsByKey.set(map, index);
  }
  return index.get(key);
}

/** Find the node at `path`, following aliases; stops at the deepest node that exists. */
function walk(source: SpecSource, path: SpecPath): { node: Node | null; keyNode: Node | null; depth: number } {
  let node = source.doc.contents as Node | null;
  let keyNode: Node | null = null;
  let depth = 0;
  for (const seg of path) {
    if (node && isAlias(node)) node = node.resolve(source.doc) ?? null;
    if (isMap(node)) {
      const pair = pairOf(node, String(seg));
      if (!pair) break;
      keyNode = pair.key as Node;
      node = (pair.value as Node | null) ?? (pair.key as Node);
    } else if (isSeq(node) && typeof seg === 'number' && seg < node.items.length) {
      keyNode = null;
      node = node.items[seg] as Node;
    } else {
      break;
    }
    depth++;
  }
  return { node, keyNode, depth };
}

/**
 * The place of the value (or its key) at `path`. Values set with `--set` are
 * reported at the argument that set them.
 */
export function placeOf(source: SpecSource, path: SpecPath, part: 'key' | 'value' = 'value'): Place {
  for (let n = path.length; n >= 0; n--) {
    const arg = source.overrides.get(pathKey(path.slice(0, n)));
    if (arg !== undefined) return { arg };
  }
  const { node, keyNode, depth } = walk(source, path);
  if (depth < path.length) {
    // Not in the file: a key that `--set` created on the way to the value it sets, such as __proto__ in `--set __proto__.x=1`.
    const key = pathKey(path);
    for (const [set, arg] of source.overrides) if (set.startsWith(`${key}.`) || set.startsWith(`${key}[`)) return { arg };
  }
  const target = part === 'key' && depth === path.length && keyNode ? keyNode : node;
  const offset = target?.range?.[0] ?? 0;
  const { line, col } = source.lines.linePos(offset);
  return { file: source.file, line, col };
}

/** Longest text of a file quoted in a message: a data file given as a spec is not printed whole. */
const QUOTED = 60;

const quoted = (s: string) => JSON.stringify(s.length > QUOTED ? `${s.slice(0, QUOTED)}…` : s);
/** The lines that hold something: not blank, not a YAML comment. */
const textLines = (text: string) => text.split(/\r?\n/).filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));

/** A CSV (or TSV) file given where a spec belongs: the whole message, which quotes its first line only. */
function looksLikeCsv(file: string, text: string): string | undefined {
  const lines = textLines(text);
  const first = lines[0]?.trim() ?? '';
  if (!/\.(csv|tsv)$/i.test(file) && !(lines.length > 1 && /[,;\t]/.test(first) && !/:\s/.test(first))) return undefined;
  return `this looks like a CSV file, not a spec (its first line is ${quoted(first)}); give the spec, which names the data in data.dataset`;
}

/** A document that is one scalar (a stray value, or a text file): quoted short, never whole. */
function scalarKind(text: string, value: unknown): string {
  const lines = textLines(text);
  if (lines.length > 1) return `lines of text (the first is ${quoted(lines[0]!.trim())})`;
  return `the value ${typeof value === 'string' ? quoted(value) : JSON.stringify(value)}`;
}

/** Say which key is repeated, rather than the yaml package's generic wording. */
function syntaxMessage(code: string, message: string, text: string, pos: [number, number]): string {
  if (code === 'DUPLICATE_KEY') {
    const m = /^\s*(?:"([^"\n]*)"|'([^'\n]*)'|([^:,\s]+))/.exec(text.slice(pos[0], pos[0] + 200));
    const key = m?.[1] ?? m?.[2] ?? m?.[3];
    if (key) return `the key '${key}' appears twice in the same mapping; keep one`;
  }
  return firstLine(message);
}
