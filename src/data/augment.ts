/**
 * Image augmentation for training batches: a random shift, rotation and
 * zoom (one affine map per image, nearest-neighbour sampling, zeros outside)
 * and Gaussian noise, drawn from the training loop's seeded generator.
 */
import type { Batch } from './types.js';

export interface AugmentSpec {
  /** Largest shift, as a fraction of the height and width. */
  shift?: number;
  /** Largest rotation, in degrees. */
  rotation?: number;
  /** Largest zoom in or out, as a fraction (0.1: 90% to 110%). */
  zoom?: number;
  /** Standard deviation of added Gaussian noise. */
  noise?: number;
}

export function imageAugmenter(shape: readonly number[], a: AugmentSpec): ((batch: Batch, random: () => number) => void) | undefined {
  if (!a.shift && !a.rotation && !a.zoom && !a.noise) return undefined;
  const [h, w, c = 1] = shape as [number, number, number?];
  const size = h * w * c;
  const tmp = new Float32Array(size);
  return (batch, random) => {
    const x = batch.x as Float32Array;
    const uniform = (m: number) => (random() * 2 - 1) * m;
    for (let b = 0; b < batch.size; b++) {
      const img = x.subarray(b * size, (b + 1) * size);
      if (a.shift || a.rotation || a.zoom) {
        const theta = (uniform(a.rotation ?? 0) * Math.PI) / 180;
        const zoom = 1 + uniform(a.zoom ?? 0);
        const dy = uniform(a.shift ?? 0) * h;
        const dx = uniform(a.shift ?? 0) * w;
        const cos = Math.cos(theta) / zoom;
        const sin = Math.sin(theta) / zoom;
        const cy = (h - 1) / 2;
        const cx = (w - 1) / 2;
        tmp.set(img);
        for (let y = 0; y < h; y++) {
          for (let xx = 0; xx < w; xx++) {
            // Inverse map: where in the source does this output pixel come from?
            const yy = y - cy - dy;
            const xr = xx - cx - dx;
            const sy = Math.round(cos * yy - sin * xr + cy);
            const sx = Math.round(sin * yy + cos * xr + cx);
            for (let k = 0; k < c; k++) img[(y * w + xx) * c + k] = sy >= 0 && sy < h && sx >= 0 && sx < w ? tmp[(sy * w + sx) * c + k]! : 0;
          }
        }
      }
      if (a.noise) {
        for (let i = 0; i < size; i += 2) {
          // Box-Muller: two normal values from two uniforms.
          const r = Math.sqrt(-2 * Math.log(1 - random())) * a.noise;
          const t = 2 * Math.PI * random();
          img[i] = img[i]! + r * Math.cos(t);
          if (i + 1 < size) img[i + 1] = img[i + 1]! + r * Math.sin(t);
        }
      }
    }
  };
}
