/**
 * An ONNX graph under construction: nodes, weights (initializers), inputs and
 * outputs, with unique value names, written as a ModelProto by the maintained
 * `onnx-proto` schema (protobufjs). The opset is fixed here, once.
 */
import onnxProto from 'onnx-proto';
import { VERSION } from '../../version.js';

const { onnx } = onnxProto;

/** The ONNX operator set written: onnxruntime 1.x runs it, and every op used here has its current form in it. */
export const OPSET = 15;
/** IR version 8 (ONNX 1.10), the one that onnx-proto's schema and opset 15 go with. */
const IR_VERSION = 8;

export type Attr = onnxProto.onnx.IAttributeProto;
export const int = (name: string, i: number): Attr => ({ name, type: onnx.AttributeProto.AttributeType.INT, i });
export const ints = (name: string, v: readonly number[]): Attr => ({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: [...v] });
export const float = (name: string, f: number): Attr => ({ name, type: onnx.AttributeProto.AttributeType.FLOAT, f });
export const floats = (name: string, v: readonly number[]): Attr => ({ name, type: onnx.AttributeProto.AttributeType.FLOATS, floats: [...v] });
export const str = (name: string, s: string): Attr => ({ name, type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode(s) });
export const strs = (name: string, v: readonly string[]): Attr => ({ name, type: onnx.AttributeProto.AttributeType.STRINGS, strings: v.map((s) => new TextEncoder().encode(s)) });

export type Dtype = 'float32' | 'int32';
const ELEM: Record<Dtype, number> = { float32: onnx.TensorProto.DataType.FLOAT, int32: onnx.TensorProto.DataType.INT32 };
export const FLOAT = onnx.TensorProto.DataType.FLOAT;
export const INT32 = onnx.TensorProto.DataType.INT32;

/** A dimension: a size, or null for one known only when the model runs (the batch). */
export type Dim = number | null;

export class OnnxGraph {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly names = new Set<string>();
  private readonly consts = new Map<string, string>();

  /** A value name not used yet, from `base`. */
  fresh(base: string): string {
    const clean = base.replace(/[^A-Za-z0-9_./>-]/g, '_');
    let name = clean;
    for (let k = 1; this.names.has(name); k++) name = `${clean}_${k}`;
    this.names.add(name);
    return name;
  }

  /** Add a node; its outputs are named after `base`. Returns the output names. */
  node(op: string, inputs: readonly string[], base: string, attrs: Attr[] = [], outputs = 1): string[] {
    const out = Array.from({ length: outputs }, (_, i) => this.fresh(outputs === 1 ? `${base}/${op}` : `${base}/${op}:${i}`));
    this.nodes.push({ opType: op, input: [...inputs], output: out, name: this.fresh(`${base}/${op}#node`), attribute: attrs });
    return out;
  }

  /** A node with one output. */
  op(op: string, inputs: readonly string[], base: string, attrs: Attr[] = []): string {
    return this.node(op, inputs, base, attrs)[0]!;
  }

  /** A float32 weight. */
  weight(values: Float32Array | readonly number[], dims: readonly number[], base: string): string {
    const name = this.fresh(base);
    const data = values instanceof Float32Array ? values : Float32Array.from(values);
    if (data.length !== dims.reduce((a, b) => a * b, 1)) throw new Error(`weight ${base}: ${data.length} values for shape [${dims.join(', ')}]`);
    this.initializers.push({ name, dims: [...dims], dataType: FLOAT, rawData: new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)) });
    return name;
  }

  /** A float32 scalar or small constant, shared by every node that uses the same values. */
  scalar(v: number): string {
    return this.shared(`f:${v}`, () => this.weight([v], [], 'const_f'));
  }

  /** An int64 constant (shapes, axes, indices), shared likewise. */
  int64(values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.shared(`i:${dims.join('x')}:${values.join(',')}`, () => {
      const name = this.fresh('const_i');
      this.initializers.push({ name, dims: [...dims], dataType: onnx.TensorProto.DataType.INT64, int64Data: [...values] });
      return name;
    });
  }

  private shared(key: string, make: () => string): string {
    let name = this.consts.get(key);
    if (name === undefined) {
      name = make();
      this.consts.set(key, name);
    }
    return name;
  }

  private valueInfo(name: string, dtype: Dtype, shape: readonly Dim[]): onnxProto.onnx.IValueInfoProto {
    return {
      name,
      type: { tensorType: { elemType: ELEM[dtype], shape: { dim: shape.map((d) => (d === null ? { dimParam: 'batch' } : { dimValue: d })) } } },
    };
  }

  /** A graph input, named `name` exactly. */
  input(name: string, dtype: Dtype, shape: readonly Dim[]): string {
    if (this.names.has(name)) throw new Error(`the input name '${name}' is taken`);
    this.names.add(name);
    this.inputs.push(this.valueInfo(name, dtype, shape));
    return name;
  }

  /** Make `value` a graph output named `name`. */
  output(value: string, name: string, shape: readonly Dim[]): void {
    const out = this.names.has(name) ? this.fresh(name) : (this.names.add(name), name);
    this.nodes.push({ opType: 'Identity', input: [value], output: [out], name: this.fresh(`${name}/Identity#node`) });
    this.outputs.push(this.valueInfo(out, 'float32', shape));
  }

  /** The model's bytes. */
  encode(graphName: string, docString: string): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      opsetImport: [{ domain: '', version: OPSET }],
      producerName: 'strata',
      producerVersion: VERSION,
      docString,
      graph: { name: graphName, node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}
