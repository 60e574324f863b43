/**
 * A small spec for search tests: an MLP on a 300-image slice of MNIST, two
 * epochs, ending with an open `search:` key for a test to fill in.
 */
export const TINY_SEARCH_SPEC = `version: 1
name: tiny-search
seed: 5
data:
  dataset: mnist
  validation: 0.2
  limit: 300
model:
  layers:
    - type: input
      shape: [28, 28, 1]
    - type: flatten
    - type: dense
      units: 16
      activation: relu
    - type: dense
      units: 10
      activation: softmax
train:
  epochs: 2
  batch_size: 50
  optimizer: {type: adam, learning_rate: 0.001}
  loss: categorical_crossentropy
  metrics: [accuracy]
search:
`;
