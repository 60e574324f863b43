/**
 * A pinned small dense model: spam-mlp as it was before 2026-12-03 (5,000 multi-hot
 * word features, dense 64, dropout, dense 2). Its dense layers come to
 * (5000·64 + 64·2)·32 = 10.2 million multiply-adds a training step, half of
 * train/threads.ts's ONE_THREAD_LIMIT, so strata trains it on one thread. The tests
 * of the thread choice use it instead of configs/spam-mlp.yaml, whose recipe may change.
 */
export const SMALL_DENSE_SPEC = `version: 1
name: small-dense
seed: 42
data:
  dataset: spam
  validation: 0.1
  max_tokens: 5000
model:
  layers:
    - {type: input, shape: [5000]}
    - {type: dense, units: 64, activation: relu}
    - {type: dropout, rate: 0.5}
    - {type: dense, units: 2, activation: softmax}
train:
  epochs: 10
  batch_size: 32
  loss: categorical_crossentropy
  metrics: [accuracy]
`;
