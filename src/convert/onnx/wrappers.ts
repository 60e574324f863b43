/**
 * ONNX writers of the wrappers: `bidirectional` (its forward and backward
 * recurrent layers, each written by its own writer, merged as Keras merges
 * them) and `time_distributed` (the inner layer on batch × steps rows).
 */
import { int } from './graph.js';
import { NotExportable } from './emit.js';
import type { Emit, Writer } from './emit.js';
import type { Layer } from '../../tf-types.js';

interface BidirectionalFields {
  forwardLayer: Layer;
  backwardLayer: Layer;
  mergeMode: string | null | undefined;
  returnSequences: boolean;
}

export const wrapperWriters: Writer[] = [
  {
    types: ['bidirectional'],
    classes: ['Bidirectional'],
    emit: (e) => {
      const { g, name } = e;
      const f = e.layer as unknown as BidirectionalFields;
      const rest = e.outShape.slice(0, -1);
      const units = Number(f.forwardLayer.getConfig().units);
      const forward = e.nested(f.forwardLayer, e.inputs, e.shapes, [...rest, units]);
      let backward = e.nested(f.backwardLayer, e.inputs, e.shapes, [...rest, units]);
      // The backward layer's sequence comes last step first; Keras turns it around before merging.
      if (f.returnSequences) backward = g.op('Slice', [backward, g.int64([-1]), g.int64([-(2 ** 62)]), g.int64([1]), g.int64([-1])], name);
      switch (f.mergeMode ?? 'none') {
        case 'concat': return g.op('Concat', [forward, backward], name, [int('axis', -1)]);
        case 'sum': return g.op('Add', [forward, backward], name);
        case 'mul': return g.op('Mul', [forward, backward], name);
        case 'ave': return g.op('Mul', [g.op('Add', [forward, backward], name), g.scalar(0.5)], name);
        default: throw new NotExportable(`merge_mode ${String(f.mergeMode)}: two outputs have no ONNX form here`);
      }
    },
  },
  {
    types: ['time_distributed'],
    classes: ['TimeDistributed'],
    emit: (e) => {
      const { g, name } = e;
      const inner = (e.layer as unknown as { layer: Layer }).layer;
      const [, steps, ...dims] = e.shapes[0]!;
      const [, , ...outDims] = e.outShape;
      if (steps === null || [...dims, ...outDims].some((d) => d === null)) throw new NotExportable('every dimension but the batch must be fixed');
      // [batch, steps, ...] as [batch·steps, ...], the inner layer, and back.
      const rows = g.op('Reshape', [e.inputs[0]!, g.int64([-1, ...(dims as number[])])], name);
      const y = e.nested(inner, [rows], [[null, ...dims]], [null, ...outDims]);
      return g.op('Reshape', [y, g.int64([-1, steps!, ...(outDims as number[])])], name);
    },
  },
];
