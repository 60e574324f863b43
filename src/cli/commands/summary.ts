/** `strata summary <spec|model.json|checkpoint>`: every layer with its output shape and parameter count. */
import type { Command } from 'commander';
import { printJson, withBackend, withJson, withOverrides } from '../options.js';
import type { CommonOptions } from '../options.js';
import { renderTable } from '../table.js';

export interface LayerRow {
  name: string;
  type: string;
  output_shape: (number | null)[] | (number | null)[][];
  params: number;
}

export interface Summary {
  name: string;
  layers: LayerRow[];
  total_params: number;
  trainable_params: number;
  non_trainable_params: number;
  backend: string;
}

/** Build the spec's model and describe it. */
export async function summarize(file: string, opts: CommonOptions): Promise<Summary> {
  const { readAnySpec } = await import('../../convert/convert.js');
  const { spec } = readAnySpec(file, opts.set);
  const { loadEngine } = await import('../../backend/select.js');
  const engine = await loadEngine(opts.backend);
  const { buildModel } = await import('../../model/build.js');
  const { model, layers } = buildModel(spec, engine);
  const count = (ws: { shape: (number | null)[] }[]) => ws.reduce((n, w) => n + w.shape.reduce<number>((a, d) => a * (d ?? 1), 1), 0);
  const rows = model.layers.map((l) => ({
    name: l.name,
    type: layers.get(l.name)?.type ?? l.getClassName(),
    output_shape: l.outputShape as LayerRow['output_shape'],
    params: l.countParams(),
  }));
  const summary: Summary = {
    name: spec.name,
    layers: rows,
    total_params: model.countParams(),
    trainable_params: count(model.trainableWeights),
    non_trainable_params: count(model.nonTrainableWeights),
    backend: engine.backend,
  };
  model.dispose();
  return summary;
}

const shapeText = (s: LayerRow['output_shape']): string =>
  Array.isArray(s[0]) ? (s as (number | null)[][]).map(shapeText).join(', ') : `[${(s as (number | null)[]).map((d) => (d === null ? 'batch' : String(d))).join(', ')}]`;

export function renderSummary(s: Summary): string {
  const table = renderTable(
    ['Layer', 'Type', 'Output shape', 'Params'],
    s.layers.map((l) => [l.name, l.type, shapeText(l.output_shape), l.params.toLocaleString('en-US')]),
    ['left', 'left', 'left', 'right'],
  );
  return [
    `Model: ${s.name}`,
    table,
    `Total params: ${s.total_params.toLocaleString('en-US')}`,
    `Trainable params: ${s.trainable_params.toLocaleString('en-US')}`,
    `Non-trainable params: ${s.non_trainable_params.toLocaleString('en-US')}`,
    `Backend: ${s.backend}`,
    '',
  ].join('\n');
}

export function summaryCommand(program: Command): void {
  const cmd = program
    .command('summary')
    .description('build a spec and list its layers: name, type, output shape, parameters')
    .argument('<spec>', 'a YAML or JSON spec file, a Keras or TensorFlow.js model JSON, or a checkpoint directory');
  withBackend(withOverrides(withJson(cmd))).action(async (file: string, opts: CommonOptions) => {
    const s = await summarize(file, opts);
    if (opts.json) printJson(s);
    else process.stdout.write(renderSummary(s));
  });
}
