/**
 * `strata convert RUN --to onnx -o model.onnx`: a trained run, checkpoint,
 * model folder or model.json written as an ONNX model (src/convert/onnx/).
 * Before anything is loaded, the spec saved beside the model is checked
 * against the exporter's table, and every layer of a type it cannot write is
 * listed (exit 2); a spec alone has no trained weights and is refused.
 */
import { SPEC_FILE } from '../checkpoint/meta.js';
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Engine } from '../backend/select.js';
import { modelFilesAt } from '../checkpoint/load-model.js';
import { modelFromFiles } from '../checkpoint/model-files.js';
import { MODEL_DIR } from '../checkpoint/run-model.js';
import { UsageError } from '../errors.js';
import type { Diagnostic } from '../errors.js';
import { placeIn } from '../spec/place.js';
import { readSpecFile } from '../spec/read.js';
import type { Spec } from '../spec/types.js';
import { modelToOnnx } from './onnx/export.js';
import { ONNX_LAYER_TYPES } from './onnx/table.js';
import { readModelInput } from './input.js';

export { ONNX_LAYER_TYPES };


/** The spec saved with the model at `path` (a run and a checkpoint hold one; a run's model/ folder has its run's), if it reads. */
function savedSpec(path: string): Spec | undefined {
  const dir = statSync(path).isDirectory() ? path : dirname(path);
  const file = [join(dir, SPEC_FILE), ...(basename(dir) === MODEL_DIR ? [join(dir, '..', SPEC_FILE)] : [])].find((f) => existsSync(f));
  if (!file) return undefined;
  try {
    return readSpecFile(file);
  } catch (e) {
    // A saved spec that no longer reads leaves the check to the model's own classes.
    if (e instanceof UsageError) return undefined;
    throw e;
  }
}

interface Nested {
  type: string;
  layers?: Nested[];
  layer?: Nested;
}

/** Every layer of the spec (blocks' and wrappers' inner layers included) of a type the exporter cannot write. */
export function unexportableLayers(spec: Spec): Diagnostic[] {
  const found: Diagnostic[] = [];
  const supported = new Set(ONNX_LAYER_TYPES);
  const visit = (l: Nested, label: string, path: (string | number)[]) => {
    if (!supported.has(l.type)) {
      found.push({ ...placeIn(spec, path), code: 'not-exportable', message: `${label} (${l.type}): ONNX export does not write ${l.type} layers; the types it writes are listed in docs/compression.md` });
      return;
    }
    l.layers?.forEach((inner, i) => visit(inner, `${label} → layers[${i}]`, [...path, 'layers', i]));
    if (l.layer) visit(l.layer, `${label} → layer`, [...path, 'layer']);
  };
  const seen = new Set<number>();
  for (const l of spec.model.layers) {
    if (seen.has(l.index)) continue; // copies made by `repeat` share their index
    seen.add(l.index);
    visit({ ...(l.params as object), type: l.type } as Nested, `layer '${l.name}'`, [...l.path]);
  }
  return found;
}

/** The ONNX bytes of the model at `path`. */
export async function toOnnx(path: string, loadEngine: () => Promise<Engine>): Promise<Uint8Array> {
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    // modelFilesAt names a missing path.
  }
  if (!isDir && /\.(ya?ml|json)$/i.test(path) && existsSync(path)) {
    const input = readModelInput(path);
    if (input.kind === 'yaml' || input.kind === 'json') {
      const spec = readSpecFile(path);
      const bad = unexportableLayers(spec);
      if (bad.length > 0) throw new UsageError(bad);
      throw new UsageError({ arg: path, code: 'no-weights', message: 'a spec has no trained weights to export; train it (strata train) and convert the run directory or a checkpoint' });
    }
  }
  const files = modelFilesAt(path);
  const spec = savedSpec(path);
  if (spec) {
    const bad = unexportableLayers(spec);
    if (bad.length > 0) throw new UsageError(bad);
  }
  const engine = await loadEngine();
  const model = await modelFromFiles(engine, files);
  try {
    const result = modelToOnnx(model, path);
    if (result.ok) return result.bytes;
    throw new UsageError(
      result.problems.map((p) => ({ arg: path, code: 'not-exportable', message: `layer '${p.layer}' (${p.className}): ${p.why}; ONNX export cannot write it` })),
    );
  } finally {
    model.dispose();
  }
}
