/**
 * The fuzz corpus: the cases a hardening session found (each by name), and
 * seeded random mutants of the bundled configs and the Keras fixtures. A case
 * is a file's text and the command-line arguments that go with it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument, isMap, isSeq, isScalar, visit } from 'yaml';
import type { Node } from 'yaml';
import { Rng } from '../../src/rng.js';
import { CONFIGS, FIXTURES } from '../helpers/paths.js';

export interface Case {
  name: string;
  /** A spec (YAML) or a model file (Keras / TensorFlow.js JSON). */
  kind: 'spec' | 'model';
  ext: '.yaml' | '.json';
  text: string;
  /** Arguments after the file (`--set …`). */
  args?: string[];
  /** Files written beside it: text, or a size in bytes for a sparse file of that size. */
  beside?: Record<string, string | number>;
  /** Run `validate` with its data check (the default is `--no-data`). */
  withData?: boolean;
}

const MLP = readFileSync(join(CONFIGS, 'mnist-mlp.yaml'), 'utf8');

/** mnist-mlp with `edit` applied to its text. */
const mlp = (edit: (t: string) => string): string => edit(MLP);

/** A spec of `n` listed dense layers. */
function listed(n: number): string {
  const layers = Array.from({ length: n }, () => '    - {type: dense, units: 2}').join('\n');
  return `version: 1\nmodel:\n  layers:\n    - {type: input, shape: [4]}\n${layers}\ntrain: {loss: mse}\n`;
}

/** A Keras Sequential topology of `n` Dense layers. */
function kerasChain(n: number): string {
  const layers = [{ class_name: 'InputLayer', config: { batch_input_shape: [null, 4], name: 'in' } }, ...Array.from({ length: n }, (_, i) => ({ class_name: 'Dense', config: { name: `d${i}`, units: 2 } }))];
  return JSON.stringify({ class_name: 'Sequential', config: { name: 'chain', layers }, keras_version: '2.15.0', backend: 'tensorflow' });
}

/** The cases the issue lists, each once. */
export function namedCases(): Case[] {
  const spec = (name: string, text: string, args?: string[]): Case => ({ name, kind: 'spec', ext: '.yaml', text, ...(args ? { args } : {}) });
  const keras = readFileSync(join(FIXTURES, 'keras', 'keras2-sequential-mlp.json'), 'utf8');
  const many = Array.from({ length: 40_000 }, (_, i) => `  k${i}: ${i}`).join('\n');
  return [
    spec('repeat 10000', `version: 1\nmodel:\n  layers:\n    - {type: input, shape: [4]}\n    - type: block\n      repeat: 10000\n      layers:\n        - {type: dense, units: 2}\ntrain: {loss: mse}\n`),
    spec('repeat 10000000', `version: 1\nmodel:\n  layers:\n    - {type: input, shape: [4]}\n    - type: block\n      repeat: 10000000\n      layers:\n        - {type: dense, units: 2}\ntrain: {loss: mse}\n`),
    spec('8000 listed layers', listed(8000)),
    spec('deep YAML nesting', `version: 1\nmodel: ${'['.repeat(5000)}${']'.repeat(5000)}\n`),
    spec('40,000 keys in a mapping', `version: 1\nextra:\n${many}\n`),
    spec('dense units 2000000000', mlp((t) => t.replace(/units: \d+/, 'units: 2000000000'))),
    spec('embedding output_dim 2147483648', `version: 1\nmodel:\n  layers:\n    - {type: input, shape: [8], dtype: int32}\n    - {type: embedding, input_dim: 100, output_dim: 2147483648}\ntrain: {loss: mse}\n`),
    spec('lstm units 1e23', `version: 1\nmodel:\n  layers:\n    - {type: input, shape: [8, 4]}\n    - {type: lstm, units: 1e23}\ntrain: {loss: mse}\n`),
    spec('input shape [100000, 100000, 100000]', `version: 1\nmodel:\n  layers:\n    - {type: input, shape: [100000, 100000, 100000]}\n    - {type: flatten}\n    - {type: dense, units: 2}\ntrain: {loss: mse}\n`),
    spec('transformer_encoder ff_units 2000000000 (weights not counted ahead)', readFileSync(join(CONFIGS, 'spam-transformer.yaml'), 'utf8').replace(/ff_units: \d+/, 'ff_units: 2000000000')),
    spec('a batch that cannot fit in memory', mlp((t) => t.replace(/batch_size: \d+/, 'batch_size: 100000000'))),
    spec('data.validation NaN', mlp((t) => t.replace(/validation: [\d.]+/, 'validation: .nan'))),
    spec('dataset constructor', mlp((t) => t.replace(/dataset: mnist/, 'dataset: constructor'))),
    spec('escape sequence in dataset', mlp((t) => t.replace(/dataset: mnist/, 'dataset: "\\e[31mred"'))),
    spec('unknown YAML tag', mlp((t) => t.replace(/units: (\d+)/, 'units: !weird $1'))),
    spec('--set __proto__.x=1', MLP, ['--set', '__proto__.x=1']),
    spec('--set constructor.prototype.x=1', MLP, ['--set', 'constructor.prototype.x=1']),
    {
      ...spec('a 300 MB text file as the dataset', `version: 1\ndata: {dataset: big.txt, sequence_length: 16}\nmodel:\n  layers:\n    - {type: input, shape: [16], dtype: int32}\n    - {type: embedding, input_dim: 50, output_dim: 4}\n    - {type: dense, units: 50, activation: softmax}\ntrain: {loss: sparse_categorical_crossentropy}\n`),
      beside: { 'big.txt': 300_000_000 },
      withData: true,
    },
    { name: '10,000-layer Keras topology', kind: 'model', ext: '.json', text: kerasChain(10_000) },
    { name: '__proto__ in a Keras layer config', kind: 'model', ext: '.json', text: keras.replace('"units"', '"__proto__": {"x": 1}, "units"') },
  ];
}

/** Values that break code which trusts its input. */
const NASTY: unknown[] = [-1, 0, 1.5, 1e23, 2147483648, -0.0, Number.NaN, Infinity, '', 'x'.repeat(300), '__proto__', 'constructor', 'toString', '\u001b[31m', null, true, [], {}, [[[[]]]], { __proto__: 1 }];

/** Seeded random mutants: `count` in all, of the configs and the Keras fixtures. */
export function mutants(seed: number, count: number): Case[] {
  const rng = new Rng(seed);
  const int = (n: number) => Math.floor(rng.next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const specs = readdirSync(CONFIGS).filter((f) => f.endsWith('.yaml')).map((f) => ({ name: f, text: readFileSync(join(CONFIGS, f), 'utf8') }));
  const models = readdirSync(join(FIXTURES, 'keras')).filter((f) => f.endsWith('.json')).map((f) => ({ name: f, text: readFileSync(join(FIXTURES, 'keras', f), 'utf8') }));
  const out: Case[] = [];
  for (let i = 0; i < count; i++) {
    const model = i % 4 === 3;
    const base = model ? pick(models) : pick(specs);
    const how = int(6);
    let text: string;
    let what: string;
    if (how === 0) {
      // Cut the file short, or drop a slice of it.
      const at = int(base.text.length);
      text = rng.next() < 0.5 ? base.text.slice(0, at) : base.text.slice(0, at) + base.text.slice(at + 1 + int(40));
      what = `cut at ${at}`;
    } else if (how === 1) {
      // A random character inserted.
      const at = int(base.text.length);
      const ch = pick([':', '-', '[', ']', '{', '}', '"', "'", '\n', ' ', '\t', '#', '&', '*', '!', '|', '>', '%', '@', '\u0000', 'é']);
      text = base.text.slice(0, at) + ch + base.text.slice(at);
      what = `${JSON.stringify(ch)} at ${at}`;
    } else {
      // A structural change on the parsed document: a value replaced, a key removed or renamed, an entry duplicated.
      const doc = parseDocument(base.text, { uniqueKeys: false });
      const nodes: { parent: Node; key: unknown; node: unknown }[] = [];
      visit(doc, {
        Pair(_, pair, path) {
          const parent = path[path.length - 1] as Node;
          nodes.push({ parent, key: pair.key, node: pair.value });
        },
      });
      if (nodes.length === 0) {
        text = base.text;
        what = 'unchanged';
      } else {
        const target = pick(nodes);
        const key = isScalar(target.key) ? String(target.key.value) : '?';
        if (how === 2 || how === 3) {
          const value = pick(NASTY);
          doc.setIn(pathTo(doc, target.node), doc.createNode(value));
          what = `${key} = ${JSON.stringify(value)}`;
        } else if (how === 4 && isMap(target.parent)) {
          target.parent.delete(target.key);
          what = `${key} removed`;
        } else if (isMap(target.parent)) {
          const renamed = pick(['__proto__', 'constructor', `${key}s`, key.toUpperCase(), `${key.slice(0, -1)}`]);
          const value = target.parent.get(target.key, true);
          target.parent.delete(target.key);
          target.parent.set(doc.createNode(renamed), value);
          what = `${key} renamed ${renamed}`;
        } else if (isSeq(target.parent)) {
          target.parent.items.push(target.parent.items[0]!);
          what = 'a list entry repeated';
        } else {
          what = 'unchanged';
        }
        text = model ? JSON.stringify(doc.toJS()) : doc.toString();
      }
    }
    out.push({ name: `${base.name}: ${what}`, kind: model ? 'model' : 'spec', ext: model ? '.json' : '.yaml', text });
  }
  return out;
}

/** The path of keys and indices from the document's root to `target`. */
function pathTo(doc: ReturnType<typeof parseDocument>, target: unknown): unknown[] {
  let found: unknown[] = [];
  const walk = (node: unknown, path: unknown[]) => {
    if (node === target) {
      found = path;
      return;
    }
    if (isMap(node)) for (const p of node.items) walk(p.value, [...path, isScalar(p.key) ? p.key.value : p.key]);
    else if (isSeq(node)) node.items.forEach((n, i) => walk(n, [...path, i]));
  };
  walk(doc.contents, []);
  return found;
}
