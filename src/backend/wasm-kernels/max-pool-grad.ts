/**
 * The gradient of 2-D max pooling as a direct loop over the wasm heap: each
 * window's gradient goes to its maximum (the first one in row-major order, as
 * the forward pass and the cpu backend pick it). The wasm backend's own
 * MaxPoolGrad took about a fifth of the cnn benchmark's time (this loop is
 * 2.4–2.8× faster: bench/maxpool-grad.ts), and gives no gradient to windows
 * whose maximum is negative. Where strata's SIMD module is loaded, its loop takes
 * the usual 2×2 case with channels in fours (register.ts passes it in).
 */
import type { SimdKernels } from '../simd/kernels.js';
import type { ConvGeometry } from './conv-grads.js';

/** The pooling geometry: a convolution's, without output channels or dilation (backend_util.Conv2DInfo gives both). */
export type PoolGeometry = Omit<ConvGeometry, 'outChannels' | 'dilationHeight' | 'dilationWidth'>;

/**
 * strata's SIMD loop for the usual case (kernels.wat's `maxpoolgrad2x2`). It takes byte
 * offsets into the memory it was loaded on, so with it the arrays must be views of that heap.
 */
export type MaxPoolGrad2x2 = SimdKernels['maxpoolgrad2x2'];

/** dx (NHWC, same shape as x) from x, the pooled y and dy; `dx` is overwritten. `simd`, where given, takes the usual 2×2 case when the channels come in fours. */
export function maxPoolGrad(g: PoolGeometry, x: Float32Array, y: Float32Array, dy: Float32Array, dx: Float32Array, simd?: MaxPoolGrad2x2): void {
  const { batchSize, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, strideHeight: sH, strideWidth: sW, filterHeight: fH, filterWidth: fW } = g;
  const { top, left } = g.padInfo;
  if (fH === 2 && fW === 2 && sH === 2 && sW === 2 && top === 0 && left === 0 && 2 * OH <= H && 2 * OW <= W) return maxPoolGrad2x2(g, x, y, dy, dx, simd);
  dx.fill(0);
  for (let b = 0; b < batchSize; b++) {
    const xb = b * H * W * C;
    for (let oh = 0; oh < OH; oh++) {
      const h0 = oh * sH - top;
      const hFrom = Math.max(0, h0);
      const hTo = Math.min(H, h0 + fH);
      for (let ow = 0; ow < OW; ow++) {
        const w0 = ow * sW - left;
        const wFrom = Math.max(0, w0);
        const wTo = Math.min(W, w0 + fW);
        const dyBase = ((b * OH + oh) * OW + ow) * C;
        for (let c = 0; c < C; c++) {
          let best = Number.NEGATIVE_INFINITY;
          let where = -1;
          for (let h = hFrom; h < hTo; h++) {
            for (let w = wFrom; w < wTo; w++) {
              const i = xb + (h * W + w) * C + c;
              const v = x[i]!;
              if (v > best) {
                best = v;
                where = i;
              }
            }
          }
          if (where >= 0) dx[where] += dy[dyBase + c]!;
        }
      }
    }
  }
}

/**
 * The usual 2×2 stride-2 pooling with every window inside the input: each window's
 * gradient goes to the first of its four inputs (row-major) equal to its output y,
 * channels innermost so that all reads are contiguous (2.5× faster than the loop above).
 */
function maxPoolGrad2x2(g: PoolGeometry, x: Float32Array, y: Float32Array, dy: Float32Array, dx: Float32Array, simd: MaxPoolGrad2x2 | undefined): void {
  const { batchSize, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = g;
  // Odd sizes leave rows or columns outside every window: they get no gradient.
  if (2 * OH < H || 2 * OW < W) dx.fill(0);
  if (simd && C % 4 === 0) return simd(x.byteOffset, y.byteOffset, dy.byteOffset, dx.byteOffset, batchSize, H, W, C, OH, OW);
  const row = W * C;
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        const p00 = ((b * H + 2 * oh) * W + 2 * ow) * C;
        const p01 = p00 + C;
        const p10 = p00 + row;
        const p11 = p10 + C;
        const o = ((b * OH + oh) * OW + ow) * C;
        for (let c = 0; c < C; c++) {
          const m = y[o + c]!;
          const d = dy[o + c]!;
          const e0 = x[p00 + c] === m;
          const e1 = !e0 && x[p01 + c] === m;
          const e2 = !e0 && !e1 && x[p10 + c] === m;
          const e3 = !e0 && !e1 && !e2 && x[p11 + c] === m;
          dx[p00 + c] = e0 ? d : 0;
          dx[p01 + c] = e1 ? d : 0;
          dx[p10 + c] = e2 ? d : 0;
          dx[p11 + c] = e3 ? d : 0;
        }
      }
    }
  }
}
