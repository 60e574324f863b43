/** Misuse of the new layer types is caught before anything is built, with a message that names the place and the fix. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDiagnostic, UsageError } from '../../src/errors.js';
import { parseSpec } from '../../src/spec/read.js';

function errors(layers: string): string[] {
  try {
    parseSpec('spec.yaml', `version: 1\nmodel:\n  layers:\n${layers}`);
    return [];
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    return e.diagnostics.map(formatDiagnostic);
  }
}

const cases: [string, string, RegExp][] = [
  [
    'cross-attention with three inputs',
    `    - {type: input, name: q, shape: [5, 8]}
    - {type: input, name: kv, shape: [7, 6]}
    - {type: input, name: z, shape: [7, 6]}
    - {type: multi_head_attention, heads: 2, key_dim: 4, inputs: [q, kv, z]}`,
    /^spec\.yaml:7:\d+: error: layers\[3\] \(multi_head_attention\) takes one input \(self-attention\) or two, \[query, key_value\] \(cross-attention\), but lists 3$/,
  ],
  [
    'attention over features instead of a sequence',
    `    - {type: input, shape: [10]}
    - {type: multi_head_attention, heads: 2, key_dim: 4}`,
    /expects input \[batch, steps, features\] but receives \[batch, 10\] from layers\[0\] \(input\); the query needs a steps dimension/,
  ],
  [
    'cross-attention whose key/value is not a sequence',
    `    - {type: input, name: q, shape: [5, 8]}
    - {type: input, name: kv, shape: [6]}
    - {type: multi_head_attention, heads: 2, key_dim: 4, inputs: [q, kv]}`,
    /layers\[2\] \(multi_head_attention\) expects input \[batch, steps, features\] but receives \[batch, 6\] from layers\[1\] \(input\); the key\/value needs a steps dimension/,
  ],
  [
    'heads that do not divide the width (no key_dim)',
    `    - {type: input, shape: [5, 10]}
    - {type: transformer_encoder, heads: 3, ff_units: 8}`,
    /3 heads do not divide the 10 input features evenly; set key_dim, or use a number of heads that divides 10/,
  ],
  [
    'dot-product attention with different widths',
    `    - {type: input, name: a, shape: [5, 8]}
    - {type: input, name: b, shape: [6, 4]}
    - {type: attention, inputs: [a, b]}`,
    /cannot merge \[batch, 5, 8\] .* with \[batch, 6, 4\] .*: query features \(8\) and value features \(4\) must be equal/,
  ],
  [
    'a decoder whose encoder output is not a sequence',
    `    - {type: input, name: a, shape: [5, 8]}
    - {type: input, name: b, shape: [8]}
    - {type: transformer_decoder, heads: 2, ff_units: 8, inputs: [a, b]}`,
    /the encoder output needs a steps dimension/,
  ],
  [
    'groups that do not divide the channels',
    `    - {type: input, shape: [8, 8, 6]}
    - {type: group_norm, groups: 4}`,
    /groups: 4 does not divide the 6 channels; use a divisor of 6, such as 3/,
  ],
  [
    'a sequence longer than max_length',
    `    - {type: input, shape: [12]}
    - {type: embedding, input_dim: 10, output_dim: 4}
    - {type: positional_embedding, max_length: 8}`,
    /the input has 12 steps but max_length is 8; raise max_length to at least 12/,
  ],
  [
    'top_k above the number of experts',
    `    - {type: input, shape: [4]}
    - {type: mixture_of_experts, experts: 2, top_k: 3, units: 4}`,
    /top_k \(3\) is larger than the number of experts \(2\)/,
  ],
  [
    'a residual block whose inner layer does not fit',
    `    - {type: input, shape: [8, 8, 3]}
    - type: residual
      layers:
        - {type: conv2d, filters: 4, kernel_size: 3}
        - {type: dense, units: 3}`,
    /layers\[1\] \(residual\): its layers\[1\] \(dense\) expects input \[batch, features\] but receives \[batch, 6, 6, 4\]; add a flatten layer before it/,
  ],
  [
    'a residual block that changes the rank',
    `    - {type: input, shape: [8, 8, 3]}
    - type: residual
      layers:
        - {type: flatten}`,
    /its layers turn \[batch, 8, 8, 3\] into \[batch, 192\], which has a different rank/,
  ],
  [
    'a dense block whose inner layer shrinks the image',
    `    - {type: input, shape: [8, 8, 3]}
    - type: dense_block
      layers:
        - {type: conv2d, filters: 4, kernel_size: 3}`,
    /its layers\[0\] \(conv2d\) turns \[batch, 8, 8, 3\] into \[batch, 6, 6, 4\]; inner layers must keep every dimension but the last \(use padding: same and stride 1\)/,
  ],
  [
    'an unknown key inside a block',
    `    - {type: input, shape: [8]}
    - type: residual
      layers:
        - {type: dense, units: 8, bogus: 1}`,
    /unknown key 'bogus' in layers\[1\]\.layers\[0\]/,
  ],
  [
    'cropping that leaves nothing',
    `    - {type: input, shape: [4, 4, 1]}
    - {type: cropping2d, cropping: 2}`,
    /cropping 2 from each side of a dimension of 4 leaves nothing; crop at most 1/,
  ],
];

for (const [what, layers, message] of cases) {
  test(what, () => {
    const e = errors(layers);
    assert.equal(e.length, 1, e.join('\n'));
    assert.match(e[0]!, message);
  });
}

test('a residual block with a strided inner layer gets a projection, and repeat copies blocks', () => {
  const spec = parseSpec(
    'spec.yaml',
    `version: 1\nmodel:\n  layers:\n    - {type: input, shape: [8, 8, 3]}\n    - type: residual\n      repeat: 2\n      layers:\n        - {type: conv2d, filters: 4, kernel_size: 3, strides: 2, padding: same}\n`,
  );
  assert.deepEqual(
    spec.model.layers.map((l) => l.outputShape),
    [
      [8, 8, 3],
      [4, 4, 4],
      [2, 2, 4],
    ],
  );
});

test('copies of a repeated transformer_decoder keep attending to the encoder output', () => {
  const spec = parseSpec(
    'spec.yaml',
    `version: 1
model:
  layers:
    - {type: input, name: src, shape: [6, 8]}
    - {type: input, name: tgt, shape: [5, 8]}
    - {type: transformer_decoder, name: dec, heads: 2, ff_units: 8, repeat: 3, inputs: [tgt, src]}
`,
  );
  assert.deepEqual(
    spec.model.layers.filter((l) => l.type === 'transformer_decoder').map((l) => l.inputs),
    [['tgt', 'src'], ['dec_1', 'src'], ['dec_2', 'src']],
  );
});
