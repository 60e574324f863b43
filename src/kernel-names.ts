/**
 * Names of kernels strata registers on a TensorFlow.js backend itself, for the code that
 * runs them: the wasm backend registers them (backend/wasm-kernels/register.ts) only where
 * strata's SIMD module loads, and a caller checks `tf.getKernel(name, tf.getBackend())`
 * and otherwise computes the same with plain ops.
 */

/** One LSTM cell step: inputs z [batch, 4·units] and c [batch, units]; outputs a, cn, tc, h (kernels.wat `lstmcell`). */
export const LSTM_CELL_KERNEL = 'StrataLstmCell';

/** Its gradient: inputs dh, dc, a, cp, tc; outputs dz [batch, 4·units] and dcOut [batch, units] (kernels.wat `lstmcellgrad`). */
export const LSTM_CELL_GRAD_KERNEL = 'StrataLstmCellGrad';

/** One GRU cell step, the reset gate after the recurrent product: inputs p, q [batch, 3·units], h; outputs zr, cand, hn (kernels.wat `grucell`). */
export const GRU_CELL_KERNEL = 'StrataGruCell';

/** Its gradient: inputs dh, h, zr, q, cand; outputs dp, dq [batch, 3·units] and dhz [batch, units] (kernels.wat `grucellgrad`). */
export const GRU_CELL_GRAD_KERNEL = 'StrataGruCellGrad';

/** Batch norm's statistics over every axis but the last: input x; outputs mean and variance [channels] (kernels.wat `bnstats`). */
export const CHANNEL_MOMENTS_KERNEL = 'StrataChannelMoments';

/** y = x · a + b along the last axis: inputs x, a, b [channels]; output y (kernels.wat `bnaffine`). */
export const CHANNEL_AFFINE_KERNEL = 'StrataChannelAffine';

/** Batch norm's gradient sums: inputs dy, x, mean; outputs the column sums of dy and of dy · (x − mean) (kernels.wat `bnsums`). */
export const BATCH_NORM_SUMS_KERNEL = 'StrataBatchNormSums';

/** Batch norm's input gradient dy · A + (x − mean) · B + C along the last axis: inputs dy, x, mean, A, B, C; output dx (kernels.wat `bngrad`). */
export const BATCH_NORM_GRAD_KERNEL = 'StrataBatchNormGrad';

/** Layer norm's statistics over the last axis: input x; outputs mean and variance, shaped as x with a last axis of 1 (kernels.wat `rowstats`). */
export const ROW_MOMENTS_KERNEL = 'StrataRowMoments';

/** (x − mean) · inv · gamma + beta over the last axis: inputs x, mean, inv (as x with a last axis of 1), gamma, beta; output y (kernels.wat `lnaffine`). */
export const LAYER_NORM_AFFINE_KERNEL = 'StrataLayerNormAffine';

/** Its gradient: inputs dy, x, mean, inv, gamma; outputs dx, dgamma, dbeta (kernels.wat `lngrad`). */
export const LAYER_NORM_GRAD_KERNEL = 'StrataLayerNormGrad';

/** Softmax's gradient over the last axis, y · (dy − Σ dy · y): inputs dy, y; output dx (kernels.wat `softmaxgrad`). */
export const SOFTMAX_GRAD_KERNEL = 'StrataSoftmaxGrad';

/** Relu's gradient dy · step(x) in one pass: inputs dy, x; output dx (kernels.wat `relugrad`). */
export const RELU_GRAD_KERNEL = 'StrataReluGrad';

/** The same over [..., channels] (channels a multiple of 4), with the sums of dx over every axis but the last: inputs dy, x; outputs dx and sums [channels] (kernels.wat `relugradsums`). */
export const RELU_GRAD_SUMS_KERNEL = 'StrataReluGradSums';

/**
 * Softmax with sparse cross-entropy and its gradient, over the last axis: inputs logits
 * [rows, classes] and labels (class ids, one a row); attrs epsilon (the log's clip) and scale
 * (1 / rows for the mean); outputs the probabilities, the mean over rows of −log(clip(p[label]))
 * (a scalar) and (p − onehot(label)) · scale (wasm-kernels/softmax-cross-entropy.ts). A label outside the classes gives a zero loss and gradient.
 */
export const SPARSE_SOFTMAX_CROSS_ENTROPY_KERNEL = 'StrataSparseSoftmaxCrossEntropy';
