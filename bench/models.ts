/** The BENCH.md reference models as strata specs, with the shape of their synthetic data. */

export interface BenchModel {
  name: string;
  /** Samples per timed pass (one epoch). */
  samples: number;
  inputShape: number[];
  /** Token ids below this bound (int32 input), or undefined for float input. */
  vocabulary?: number;
  classes: number;
  /** Layer types the spec needs; the model is skipped when one is not registered. */
  needs: string[];
  layers: string;
}

export const BENCH_MODELS: BenchModel[] = [
  {
    name: 'mlp', samples: 8192, inputShape: [28, 28, 1], classes: 10, needs: [],
    layers: `
    - {type: flatten}
    - {type: dense, units: 128, activation: relu}
    - {type: dense, units: 10, activation: softmax}`,
  },
  {
    name: 'cnn', samples: 4096, inputShape: [28, 28, 1], classes: 10, needs: [],
    layers: `
    - {type: conv2d, filters: 16, kernel_size: 3, activation: relu}
    - {type: max_pool2d, pool_size: 2}
    - {type: conv2d, filters: 32, kernel_size: 3, activation: relu}
    - {type: max_pool2d, pool_size: 2}
    - {type: flatten}
    - {type: dense, units: 10, activation: softmax}`,
  },
  {
    name: 'lstm', samples: 2048, inputShape: [32, 16], classes: 10, needs: [],
    layers: `
    - {type: lstm, units: 64}
    - {type: dense, units: 10, activation: softmax}`,
  },
  {
    name: 'gru_text', samples: 1024, inputShape: [64], vocabulary: 64, classes: 64, needs: [],
    layers: `
    - {type: embedding, input_dim: 64, output_dim: 32}
    - {type: gru, units: 128}
    - {type: dense, units: 64, activation: softmax}`,
  },
  {
    name: 'transformer', samples: 1024, inputShape: [64], vocabulary: 1000, classes: 2,
    needs: ['positional_embedding', 'transformer_encoder'],
    layers: `
    - {type: embedding, input_dim: 1000, output_dim: 64}
    - {type: positional_embedding, max_length: 64}
    - {type: transformer_encoder, heads: 4, ff_units: 128}
    - {type: transformer_encoder, heads: 4, ff_units: 128}
    - {type: global_avg_pool1d}
    - {type: dense, units: 2, activation: softmax}`,
  },
];

/** The full spec text of a reference model: batch 64, Adam 1e-3, sparse softmax cross-entropy. */
export function benchSpec(m: BenchModel): string {
  return `version: 1
name: bench-${m.name}
seed: 1
model:
  layers:
    - {type: input, shape: [${m.inputShape.join(', ')}]${m.vocabulary !== undefined ? ', dtype: int32' : ''}}${m.layers}
train:
  epochs: 2
  batch_size: 64
  optimizer: {type: adam, learning_rate: 0.001}
  loss: sparse_categorical_crossentropy
`;
}
