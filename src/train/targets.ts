/** How a model's targets are encoded for its loss: how datasets hand out labels, and how metrics score a prediction. */
import type { LossDef, MetricContext, TargetKind } from '../train-registry/entry.js';
import type { LayersModel } from '../tf-types.js';
import type { LabelMode } from '../data/splits.js';
import type { Spec } from '../spec/types.js';
import type { TrainConfig } from './config.js';

export function targetKind(loss: LossDef, outputShape: readonly (number | null)[]): TargetKind {
  switch (loss.targets) {
    case 'sparse':
      return 'sparse';
    case 'one_hot':
      return 'one_hot';
    case 'binary':
      // One sigmoid unit is a yes/no; several are independent labels, scored like one-hot rows.
      return outputShape[outputShape.length - 1] === 1 ? 'binary' : 'one_hot';
    case 'values':
      return 'regression';
  }
}

export function metricContext(model: LayersModel, config: TrainConfig): MetricContext {
  const out = model.outputs[0]!.shape;
  return { kind: targetKind(config.loss.def, out), classes: out[out.length - 1] ?? 1, topK: config.top_k };
}

/**
 * How class labels reach the loss: as ids for a loss that takes class ids; for
 * binary cross-entropy over one sigmoid unit, as one 0/1 value; one-hot otherwise.
 */
export function labelModeFor(loss: TrainConfig['loss'], spec: Pick<Spec, 'model'>): LabelMode {
  const out = spec.model.layers.find((l) => l.name === spec.model.outputs[0])?.outputShape ?? [];
  const kind = targetKind(loss.def, out);
  return kind === 'sparse' || kind === 'binary' ? kind : 'one_hot';
}
