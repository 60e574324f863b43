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
