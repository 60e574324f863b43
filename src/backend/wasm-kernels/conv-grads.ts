/**
 * Gradients of depthwise conv2d as direct loops over flat NHWC arrays: the
 * wasm backend of TensorFlow.js 4.22 has no kernel for either. (The plain
 * conv2d filter gradient is a forward convolution instead: see conv-filter-grad.ts.) Each loop walks the
 * output pixels once and scatters into the gradient, so the innermost loop
 * runs over contiguous channels.
 */

/** The geometry of one 2-D convolution, as tfjs-core's computeConv2DInfo gives it. */
export interface ConvGeometry {
  batchSize: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  outChannels: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  dilationHeight: number;
  dilationWidth: number;
  padInfo: { top: number; left: number };
}

/**
 * Visit every (output pixel, filter tap) pair whose input pixel lies inside
 * the image: `visit(xOffset, dyOffset, tap)` with flat offsets of the input
 * pixel's first channel, the output pixel's first channel, and the tap index
 * wR * filterWidth + wC.
 */
function forEachTap(g: ConvGeometry, visit: (xOff: number, dyOff: number, tap: number) => void): void {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth } = g;
  const top = g.padInfo.top;
  const left = g.padInfo.left;
  for (let b = 0; b < batchSize; b++) {
    for (let yR = 0; yR < outHeight; yR++) {
      for (let wR = 0; wR < filterHeight; wR++) {
        const xR = yR * g.strideHeight + wR * g.dilationHeight - top;
        if (xR < 0 || xR >= inHeight) continue;
        for (let yC = 0; yC < outWidth; yC++) {
          const dyOff = ((b * outHeight + yR) * outWidth + yC) * outChannels;
          for (let wC = 0; wC < filterWidth; wC++) {
            const xC = yC * g.strideWidth + wC * g.dilationWidth - left;
            if (xC < 0 || xC >= inWidth) continue;
            visit(((b * inHeight + xR) * inWidth + xC) * inChannels, dyOff, wR * filterWidth + wC);
          }
        }
      }
    }
  }
}

/** The depthwise filter gradient; dW has shape [kH, kW, inC, channelMultiplier]. */
export function depthwiseBackpropFilter(g: ConvGeometry, x: ArrayLike<number>, dy: ArrayLike<number>, dw: Float32Array): void {
  const inC = g.inChannels;
  const outC = g.outChannels;
  const mul = outC / inC;
  const acc = new Float64Array(dw.length);
  forEachTap(g, (xOff, dyOff, tap) => {
    const base = tap * outC;
    for (let d1 = 0; d1 < inC; d1++) {
      const xv = x[xOff + d1]!;
      if (xv === 0) continue;
      const o = d1 * mul;
      for (let m = 0; m < mul; m++) acc[base + o + m]! += xv * dy[dyOff + o + m]!;
    }
  });
  dw.set(acc);
}

/** The depthwise input gradient; filter has shape [kH, kW, inC, channelMultiplier], dx has the input's shape. */
export function depthwiseBackpropInput(g: ConvGeometry, dy: ArrayLike<number>, filter: ArrayLike<number>, dx: Float32Array): void {
  const inC = g.inChannels;
  const outC = g.outChannels;
  const mul = outC / inC;
  dx.fill(0);
  forEachTap(g, (xOff, dyOff, tap) => {
    const base = tap * outC;
    for (let d1 = 0; d1 < inC; d1++) {
      const o = d1 * mul;
      let sum = 0;
      for (let m = 0; m < mul; m++) sum += dy[dyOff + o + m]! * filter[base + o + m]!;
      dx[xOff + d1]! += sum;
    }
  });
}
