/**
 * `train.carry_state`: truncated backpropagation through time. The split's
 * windows (which follow each other in the text or series) are dealt into as
 * many lanes as a batch has rows, each lane a run of consecutive windows, and
 * batch t holds window t of every lane; the LSTM and GRU layers start each
 * batch from the state the previous batch ended in, so a window is read in the
 * context of everything before it in its lane instead of from a zero state.
 * States start from zeros at the start of every epoch and of every evaluation;
 * an interrupted epoch saves them with its checkpoint, so that it resumes
 * exactly where it stopped.
 */
import { canCarryState, StateSlot } from '../layers/custom/carried-state.js';
import type { CarriedState, CarryingLayer } from '../layers/custom/carried-state.js';
import type { LayersModel, TfCore } from '../tf-types.js';

/**
 * The batches of a split of `size` consecutive examples dealt into `lanes` lanes:
 * lane j holds examples j·L … j·L + L − 1 (L = ⌈size / lanes⌉, the last lane may be
 * shorter), and batch t their t-th examples, in lane order. Row b of every batch
 * continues row b of the one before; a batch near the end may have fewer rows (the
 * last lane's), which are always the first ones.
 */
export function laneBatches(size: number, lanes: number): Int32Array[] {
  const perLane = Math.ceil(size / lanes);
  const out: Int32Array[] = [];
  for (let t = 0; t < perLane; t++) {
    const rows: number[] = [];
    for (let j = 0; j * perLane + t < size; j++) rows.push(j * perLane + t);
    out.push(Int32Array.from(rows));
  }
  return out;
}

/** Each layer's carried tensors (null: none yet), as their shapes and float32 bytes in base64, for a checkpoint's meta.json. */
export type CarriedSnapshot = ({ shape: number[]; data: string }[] | null)[];

/** The carried states of every LSTM and GRU layer of a model, for as long as they are held. */
export class CarriedStates {
  private readonly held: { layer: CarryingLayer; before: CarriedState | undefined; slot: StateSlot }[];

  constructor(private readonly tf: TfCore, model: LayersModel) {
    this.held = model.layers.filter((l): l is typeof l & CarryingLayer => canCarryState(l)).map((layer) => {
      const slot = new StateSlot(tf);
      const before = layer.carried;
      layer.carried = slot;
      return { layer, before, slot };
    });
  }

  /** Start again from zero states. */
  reset(): void {
    for (const h of this.held) h.slot.reset();
  }

  async snapshot(): Promise<CarriedSnapshot> {
    return Promise.all(
      this.held.map(async ({ slot }) =>
        slot.current
          ? Promise.all(
              slot.current.map(async (t) => {
                // The view's own bytes: a backend may hand out a view into a larger buffer.
                const values = (await t.data()) as Float32Array;
                return { shape: t.shape, data: Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64') };
              }),
            )
          : null,
      ),
    );
  }

  /** Put back the states of a snapshot taken of the same model. */
  restore(snapshot: CarriedSnapshot): void {
    const { tf } = this;
    if (snapshot.length !== this.held.length) throw new Error(`the checkpoint carries the states of ${snapshot.length} recurrent layers, and the model has ${this.held.length}`);
    this.held.forEach(({ slot }, i) => {
      const saved = snapshot[i];
      slot.reset();
      if (!saved) return;
      const tensors = saved.map(({ shape, data }) => {
        // Copied out of the decoded Buffer, which may be a slice of Node's shared pool (the cpu backend keeps the array it is given).
        const bytes = Buffer.from(data, 'base64');
        const values = new Float32Array(bytes.byteLength / 4);
        new Uint8Array(values.buffer).set(bytes);
        return tf.tensor(values, shape, 'float32');
      });
      slot.put(tensors);
      tf.dispose(tensors);
    });
  }

  /** Free the states and give the layers back what they carried before (an evaluation inside training leaves training's states alone). */
  release(): void {
    for (const h of this.held) {
      h.slot.reset();
      h.layer.carried = h.before;
    }
  }
}
