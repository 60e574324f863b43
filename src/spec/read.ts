/**
 * From a spec file to a typed, checked `Spec`: read, parse with positions,
 * apply `--set` overrides, validate against the schema, then check the graph
 * and shapes. Every problem found comes back at once, in file order.
 */
import { readFileSync, statSync } from 'node:fs';
import { checkFileSize } from '../document/limits.js';
import type { Diagnostic } from '../errors.js';
import { UsageError } from '../errors.js';
import { layerRegistry } from '../layers/catalog.js';
import type { JsonSchema } from '../layers/params.js';
import type { LayerRegistry } from '../layers/registry.js';
import { checkSchema } from '../document/check-schema.js';
import { resolveGraph } from './graph.js';
import type { RawLayer } from './graph.js';
import { applyOverrides, parseOverride } from './overrides.js';
import type { Override } from './overrides.js';
import { buildSchema } from './schema.js';
import { specValidator } from './validator.js';
import { parseSpecText, placeOf } from '../document/source.js';
import { checkTrainSection, dropIgnoredKeys } from '../train-registry/section.js';
import type { Spec } from './types.js';

export interface ReadOptions {
  /** `--set` arguments, as typed (`key=value`). */
  overrides?: readonly string[];
  registry?: LayerRegistry;
  /**
   * The spec was saved with a run (a checkpoint's spec.yaml): read it as the
   * strata that saved it did, ignoring optimizer and schedule keys its type does
   * not take and monitors that are never logged, which earlier versions accepted.
   */
  saved?: boolean;
}

let defaultSchema: JsonSchema | undefined;

/** The schema of the default registry, built once. */
export function specSchema(registry: LayerRegistry = layerRegistry): JsonSchema {
  if (registry !== layerRegistry) return buildSchema(registry);
  defaultSchema ??= buildSchema(layerRegistry);
  return defaultSchema;
}

function byPlace(a: Diagnostic, b: Diagnostic): number {
  // Command-line arguments first, then positions in the file.
  if ((a.arg === undefined) !== (b.arg === undefined)) return a.arg !== undefined ? -1 : 1;
  return (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0);
}

export function readSpecFile(file: string, options: ReadOptions = {}): Spec {
  let text: string;
  try {
    // A file past the size limit is refused before it is read into memory.
    checkFileSize(file, statSync(file).size);
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory, not a spec file' : (e as Error).message;
    throw new UsageError({ file, code: 'unreadable', message: `cannot read the spec: ${why}` });
  }
  return parseSpec(file, text, options);
}

export function parseSpec(file: string, text: string, options: ReadOptions = {}): Spec {
  const registry = options.registry ?? layerRegistry;
  const overrides: Override[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const raw of options.overrides ?? []) {
    const o = parseOverride(raw);
    if ('path' in o) overrides.push(o);
    else diagnostics.push(o);
  }

  const parsed = parseSpecText(file, text);
  if (!parsed.source || parsed.value === undefined) throw new UsageError([...diagnostics, ...parsed.diagnostics]);
  const { source } = parsed;
  const value = parsed.value as Record<string, unknown>;
  diagnostics.push(...applyOverrides(value, overrides, source.overrides));
  if (options.saved) dropIgnoredKeys(value.train as Record<string, unknown> | undefined);
  const schema = specSchema(registry);
  diagnostics.push(...checkSchema(value, source, schema, 'the spec', specValidator(schema)));
  if (diagnostics.length > 0) throw new UsageError(diagnostics.sort(byPlace));

  const model = value.model as { layers: RawLayer[]; outputs?: string[] };
  const { graph, diagnostics: graphProblems } = resolveGraph({ model }, source, registry);
  const trainProblems = options.saved ? [] : checkTrainSection(value.train as Record<string, unknown> | undefined, (path) => placeOf(source, path), undefined, graph?.layers);
  if (!graph || trainProblems.length > 0) throw new UsageError([...graphProblems, ...trainProblems].sort(byPlace));

  return {
    version: value.version as number,
    name: (value.name as string | undefined) ?? file.replace(/^.*[\\/]/, '').replace(/\.(ya?ml|json)$/i, ''),
    ...(value.description !== undefined ? { description: value.description as string } : {}),
    ...(value.seed !== undefined ? { seed: value.seed as number } : {}),
    ...(value.data !== undefined ? { data: value.data as Record<string, unknown> } : {}),
    ...(value.train !== undefined ? { train: value.train as Record<string, unknown> } : {}),
    model: graph,
    raw: value,
    file,
    source,
  };
}
