/** The time_distributed wrapper: one layer applied to every step of a sequence. */
import { ref } from './params.js';
import { defineLayer } from './registry.js';
import type { LayerParams } from './registry.js';
import { ShapeProblem } from './shape.js';

type TdP = LayerParams & { layer: LayerParams & { type: string } };

const timeDistributed = defineLayer<TdP>({
  type: 'time_distributed',
  keras: 'TimeDistributed',
  category: 'core',
  description:
    'Applies one layer to every step of a sequence: [batch, steps, ...] to [batch, steps, ...the layer\'s output], with the same weights at every step, such as a dense layer on each output of a recurrent layer with return_sequences: true. TensorFlow.js runs it one step at a time; a dense layer alone does the same on [batch, steps, features] in one product (it applies to the last dimension), with the same weights.',
  params: {
    layer: ref(
      'The layer applied to each step, such as {type: dense, units: 10}; it sees one step, [batch, ...] without the steps dimension. Any type that takes one input and builds one layer: not a block (residual, dense_block) or another wrapper.',
      'nested.time_distributed',
      { required: true },
    ),
  },
  arity: 'one',
  nested: { key: 'layer', types: 'single-layer' },
  outputShape: ([x], p, registry) => {
    if (x!.length < 2) {
      throw new ShapeProblem('', {
        expects: '[batch, steps, ...]',
        hint: 'it needs a steps dimension and at least one more; for [batch, features], use the inner layer itself',
      });
    }
    const inner = registry.get(p.layer.type);
    const allowed = registry.nestedTypes(registry.get('time_distributed')!);
    if (!inner || !allowed.includes(p.layer.type)) throw new ShapeProblem(`layer.type must be one of ${allowed.join(', ')}`);
    return [x![0]!, ...inner.outputShape([x!.slice(1)], p.layer, registry)];
  },
  build: (p, c) =>
    c.tf.layers.timeDistributed({
      name: c.name,
      layer: c.nested(p.layer, 'layer') as Parameters<typeof c.tf.layers.timeDistributed>[0]['layer'],
    }),
  fromKeras: (config, ctx) => {
    // The inner layer sees one step: its input shapes lose the steps dimension.
    const { layer, ...rest } = config;
    const outer = ctx.generic(rest);
    if (layer === undefined || layer === null) return outer;
    const inner = ctx.nested(layer, ctx.inputShapes.map((s) => s.slice(1)));
    return {
      params: { ...outer.params, layer: inner.spec },
      lossy: [...outer.lossy, ...inner.lossy.map((l) => ({ field: `layer.${l.field}`, why: l.why }))],
    };
  },
  example: { inputs: [[5, 3]], params: { layer: { type: 'dense', units: 4 } }, kerasParams: 16 },
});

export const wrapperLayers = [timeDistributed];
