/**
 * The orthogonal initializer, computed in float64 on the CPU. TensorFlow.js's
 * own builds the QR factorization from tensor ops: 2.5 s for one 256-unit
 * LSTM's recurrent kernel, with a console warning each time. This one gives a
 * matrix of the same distribution (Keras: the Q of a Gaussian matrix's QR,
 * signs fixed by R's diagonal, which is what Gram-Schmidt yields) in a few
 * milliseconds. It keeps the Keras class name `Orthogonal`, so saved models
 * stay compatible, and is registered over TensorFlow.js's class so loading a
 * model is fast too.
 */
import type { TfCore, TfLayers } from '../tf-types.js';

type Initializer = ReturnType<TfLayers['initializers']['orthogonal']>;
type InitializerClass = new (args: { gain?: number; seed?: number }) => Initializer;

/** mulberry32: a small, fast, seedable PRNG. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A `rows × cols` matrix (row-major) with orthonormal columns (rows ≥ cols) or rows. */
export function orthogonalMatrix(rows: number, cols: number, gain: number, seed: number): Float32Array {
  const m = Math.max(rows, cols);
  const n = Math.min(rows, cols);
  const rand = mulberry32(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  // q holds n column vectors of length m, column-major.
  const q = new Float64Array(m * n);
  for (let i = 0; i < q.length; i++) q[i] = normal();
  for (let j = 0; j < n; j++) {
    const v = q.subarray(j * m, (j + 1) * m);
    // Modified Gram-Schmidt, twice, for orthogonality to rounding error.
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < j; i++) {
        const u = q.subarray(i * m, (i + 1) * m);
        let dot = 0;
        for (let k = 0; k < m; k++) dot += u[k]! * v[k]!;
        for (let k = 0; k < m; k++) v[k] -= dot * u[k]!;
      }
    }
    let norm = 0;
    for (let k = 0; k < m; k++) norm += v[k]! * v[k]!;
    norm = Math.sqrt(norm);
    for (let k = 0; k < m; k++) v[k] /= norm;
  }
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      // rows ≥ cols: out[r][c] = q column c, entry r; otherwise the transpose.
      out[r * cols + c] = gain * (rows >= cols ? q[c * m + r]! : q[r * m + c]!);
    }
  }
  return out;
}

let cached: InitializerClass | undefined;

/** The `Orthogonal` initializer class, registered with TensorFlow.js serialization. */
export function orthogonalClass(tf: TfCore, tfl: TfLayers): InitializerClass {
  if (cached) return cached;
  const Base = tfl.initializers.orthogonal({}).constructor as InitializerClass;
  class Orthogonal extends Base {
    static readonly className = 'Orthogonal';
    private readonly args: { gain: number; seed?: number };

    constructor(args: { gain?: number; seed?: number }) {
      super(args);
      this.args = { gain: args.gain ?? 1, seed: args.seed };
    }

    override apply(shape: number[], dtype?: string) {
      if (shape.length < 2) throw new Error(`the orthogonal initializer needs a weight of rank 2 or more, got shape [${shape.join(', ')}]`);
      const cols = shape[shape.length - 1]!;
      const rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
      const seed = this.args.seed ?? Math.floor(Math.random() * 2 ** 31);
      const values = orthogonalMatrix(rows, cols, this.args.gain, seed);
      return tf.tensor(values, shape, (dtype ?? 'float32') as 'float32');
    }
  }
  tf.serialization.registerClass(Orthogonal as unknown as Parameters<TfCore['serialization']['registerClass']>[0]);
  cached = Orthogonal;
  return cached;
}
