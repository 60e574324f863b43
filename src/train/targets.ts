/** How a model's targets are encoded for its loss, which decides how metrics score a prediction. */
import type { LossDef, MetricContext, TargetKind } from '../train-registry/entry.js';
import type { LayersModel } from '../tf-types.js';
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
