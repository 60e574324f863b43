"""
Recurrent layers: SimpleRNN, LSTM, GRU (TF.js's, reset_after=False) and strata's
GRU (strata>GRU, with reset_after), with Keras weights (kernel [D, g·H],
recurrent_kernel [H, g·H], bias) in Keras gate order. Where no mask, dropout or
unusual activation is in play they run torch's fused kernels (or, for TF.js's
GRU, a whole-sequence autograd Function); otherwise the step-by-step formulas.

TF.js behaviours matched: masked steps keep the state (and repeat the output);
input and recurrent dropout masks are made once per call; LSTM and GRU carry
their state between batches when train.carry_state asks; the weight
regularizers are losses, as strata's TF.js classes report their cells'
(src/layers/custom/recurrent-losses.ts).
"""
import torch
import torch.nn.functional as F

from .base import TLayer, _act_key, _decode_strata, activate


class _RNN(TLayer):
    """Shared by SimpleRNN, LSTM and GRU: Keras weights kernel [D, g·H], recurrent_kernel [H, g·H], bias."""

    gates = 1
    passes_mask = True  # computeMask: the mask when return_sequences, else none
    carries = False  # whether train.carry_state carries its state (TF.js: LSTM and GRU)
    force_loop = False  # run the step-by-step formulas even where a fused torch kernel fits (parity self-check)

    def __init__(self, cfg, name, prefix=None):
        super().__init__(cfg, name, prefix)
        if cfg.get('stateful') or cfg.get('return_state'):
            raise NotImplementedError(f'{name}: stateful / return_state recurrent layers are not supported')
        self.units = cfg['units']
        self.carry = False
        self.state = None

    def bias_shape(self):
        return [self.gates * self.units]

    def build(self, shapes):
        c = self.cfg
        g, H = self.gates, self.units
        self.kernel = self.add_weight('kernel', [shapes[0][-1], g * H], reg=c.get('kernel_regularizer'))
        self.recurrent_kernel = self.add_weight('recurrent_kernel', [H, g * H], reg=c.get('recurrent_regularizer'))
        self.bias = self.add_weight('bias', self.bias_shape(), reg=c.get('bias_regularizer')) if c.get('use_bias', True) else None

    def act(self):
        return _act_key(self.cfg.get('activation', 'tanh'))

    def rec_act(self):
        return _act_key(self.cfg.get('recurrent_activation', 'sigmoid'))

    def n_states(self):
        return 1

    def initial(self, x):
        B = x.shape[0]
        s = self.state
        if self.carry and s is not None and s[0].shape[0] >= B:
            return [t[:B] for t in s]
        return [x.new_zeros(B, self.units) for _ in range(self.n_states())]

    def masks(self, x, training):
        """Per-gate input and recurrent dropout masks for one call (TF.js: made once per call, the same at every step)."""
        c = self.cfg
        B = x.shape[0]
        rate, rrate = float(c.get('dropout', 0) or 0), float(c.get('recurrent_dropout', 0) or 0)
        xm = [F.dropout(x.new_ones(B, x.shape[-1]), rate, True) for _ in range(self.gates)] if training and 0 < rate < 1 else None
        hm = [F.dropout(x.new_ones(B, self.units), rrate, True) for _ in range(self.gates)] if training and 0 < rrate < 1 else None
        return xm, hm

    def input_projection(self, x, xm):
        """x·W + b for every step at once: [B, T, g·H] (with per-gate input dropout when given)."""
        H = self.units
        if xm is None:
            y = torch.matmul(x, self.kernel)
        else:
            y = torch.cat([torch.matmul(x * xm[i].unsqueeze(1), self.kernel[:, i * H:(i + 1) * H]) for i in range(self.gates)], -1)
        if self.bias is not None:
            b = self.bias if self.bias.dim() == 1 else self.bias[0]
            y = y + b
        return y

    def compute_mask(self, xs, masks):
        return masks[0] if self.cfg.get('return_sequences') else None

    def call(self, xs, training, cf, mask=None):
        x = xs[0]
        mask = self.in_mask if mask is None else mask
        if self.cfg.get('go_backwards'):
            if self.carry:
                raise RuntimeError(f'{self.tf_name}: a state cannot be carried into a layer that reads its sequence backwards')
            x = x.flip(1)
            if mask is not None:
                mask = mask.flip(1)
        h0 = self.initial(x)
        # TF.js's masked steps keep the state (and repeat the output): a step mask [T, B, 1] of 0/1.
        m = None if mask is None else mask.to(x.dtype).transpose(0, 1).unsqueeze(-1)
        seq, final = self.sequence(x, h0, training, m)
        if self.carry:
            self.state = [t.detach().clone() for t in final]
        return seq if self.cfg.get('return_sequences') else final[0]


class SimpleRNN(_RNN):
    gates = 1

    def sequence(self, x, h0, training, m=None):
        xm, hm = self.masks(x, training)
        act = self.act()
        if m is None and xm is None and hm is None and act in ('tanh', 'relu') and not self.force_loop:
            ws = [self.kernel.t(), self.recurrent_kernel.t()]
            if self.bias is not None:
                ws += [self.bias, torch.zeros_like(self.bias)]
            fn = torch._VF.rnn_tanh if act == 'tanh' else torch._VF.rnn_relu
            out, h = fn(x, h0[0].unsqueeze(0), ws, self.bias is not None, 1, 0.0, training, False, True)
            return out, [h[0]]
        xw = self.input_projection(x, xm)
        h = h0[0]
        outs = []
        for t in range(x.shape[1]):
            hh = h if hm is None else h * hm[0]
            hn = activate(act, xw[:, t] + hh @ self.recurrent_kernel)
            h = hn if m is None else h + (hn - h) * m[t]
            outs.append(h)
        return torch.stack(outs, 1), [h]


class LSTM(_RNN):
    gates = 4
    carries = True

    def n_states(self):
        return 2

    def sequence(self, x, h0, training, m=None):
        xm, hm = self.masks(x, training)
        H = self.units
        if m is None and xm is None and hm is None and self.act() == 'tanh' and self.rec_act() == 'sigmoid' and not self.force_loop:
            ws = [self.kernel.t(), self.recurrent_kernel.t()]
            if self.bias is not None:
                ws += [self.bias, torch.zeros_like(self.bias)]
            out, h, c = torch._VF.lstm(x, (h0[0].unsqueeze(0), h0[1].unsqueeze(0)), ws, self.bias is not None, 1, 0.0, training, False, True)
            return out, [h[0], c[0]]
        xw = self.input_projection(x, xm)
        act, rec = self.act(), self.rec_act()
        h, c = h0
        outs = []
        for t in range(x.shape[1]):
            if hm is None:
                r = h @ self.recurrent_kernel
            else:
                r = torch.cat([(h * hm[i]) @ self.recurrent_kernel[:, i * H:(i + 1) * H] for i in range(4)], -1)
            z = xw[:, t] + r
            i_, f_, c_, o_ = z[:, :H], z[:, H:2 * H], z[:, 2 * H:3 * H], z[:, 3 * H:]
            cn = activate(rec, f_) * c + activate(rec, i_) * activate(act, c_)
            hn = activate(rec, o_) * activate(act, cn)
            if m is None:
                h, c = hn, cn
            else:
                h, c = h + (hn - h) * m[t], c + (cn - c) * m[t]
            outs.append(h)
        return torch.stack(outs, 1), [h, c]


class _GruSequence(torch.autograd.Function):
    """
    TF.js's GRU (reset_after=False, sigmoid gates, tanh candidate) over a whole sequence as one operation with
    the backward pass written out (as strata's rnn-sequence.ts does for TF.js): autograd records one node
    instead of a dozen per step, and the recurrent weight gradients are one product each over all steps.
    xw: x·W + b for every step [B, T, 3H]; U: the recurrent kernel [H, 3H]; h0 [B, H]. Returns h of every step [B, T, H].
    """

    @staticmethod
    def forward(ctx, xw, U, h0):
        B, T, G = xw.shape
        H = G // 3
        xt = xw.transpose(0, 1).contiguous()
        Uzr = U[:, :2 * H].contiguous()
        Uh = U[:, 2 * H:].contiguous()
        hs = xw.new_empty(T + 1, B, H)
        hs[0] = h0
        zr = xw.new_empty(T, B, 2 * H)
        cand = xw.new_empty(T, B, H)
        for t in range(T):
            h = hs[t]
            g = torch.addmm(xt[t, :, :2 * H], h, Uzr, out=zr[t]).sigmoid_()
            c = torch.addmm(xt[t, :, 2 * H:], g[:, H:] * h, Uh, out=cand[t]).tanh_()
            torch.addcmul(c, g[:, :H], h - c, out=hs[t + 1])
        ctx.save_for_backward(hs, zr, cand, Uzr, Uh)
        return hs[1:].transpose(0, 1)

    @staticmethod
    def backward(ctx, dy):
        hs, zr, cand, Uzr, Uh = ctx.saved_tensors
        T, B, H = cand.shape
        dyt = dy.transpose(0, 1)
        UzrT = Uzr.t().contiguous()
        UhT = Uh.t().contiguous()
        dg = dy.new_empty(T, B, 3 * H)
        dh = dy.new_zeros(B, H)
        for t in range(T - 1, -1, -1):
            dh = dh + dyt[t]
            h = hs[t]
            z = zr[t, :, :H]
            r = zr[t, :, H:]
            c = cand[t]
            dac = torch.mul(dh * (1 - z), 1 - c * c, out=dg[t, :, 2 * H:])
            drh = dac @ UhT
            torch.mul(dh * (h - c), z * (1 - z), out=dg[t, :, :H])
            torch.mul(drh * h, r * (1 - r), out=dg[t, :, H:2 * H])
            dh = torch.addmm(dh * z + drh * r, dg[t, :, :2 * H], UzrT)
        prev = hs[:-1].reshape(T * B, H)
        rh = (zr[:, :, H:] * hs[:-1]).reshape(T * B, H)
        dgf = dg.reshape(T * B, 3 * H)
        dU = torch.cat([prev.t() @ dgf[:, :2 * H], rh.t() @ dgf[:, 2 * H:]], 1)
        return dg.transpose(0, 1), dU, dh


class GRU(_RNN):
    """TF.js's GRU (Keras reset_after=False): the reset gate applied to h before the recurrent product; bias [3H]."""

    gates = 3
    carries = True

    def __init__(self, cfg, name, prefix=None):
        saved = _decode_strata(cfg)
        if saved:
            cfg = {**cfg, **saved}
        super().__init__(cfg, name, prefix)
        self.reset_after = bool(cfg.get('reset_after', False))

    def bias_shape(self):
        return [2, 3 * self.units] if self.reset_after else [3 * self.units]

    def sequence(self, x, h0, training, m=None):
        xm, hm = self.masks(x, training)
        H = self.units
        act, rec = self.act(), self.rec_act()
        fused = m is None and xm is None and hm is None and act == 'tanh' and rec == 'sigmoid' and not self.force_loop
        if self.reset_after and fused:
            # torch.nn.GRU: gates (r, z, n) where Keras has (z, r, h); n = tanh(x·W_n + b_in + r ⊙ (h·U_n + b_hn)).
            def perm(w):
                return torch.cat([w[..., H:2 * H], w[..., :H], w[..., 2 * H:]], -1)

            ws = [perm(self.kernel).t(), perm(self.recurrent_kernel).t()]
            if self.bias is not None:
                b = perm(self.bias)
                ws += [b[0], b[1]]
            out, h = torch._VF.gru(x, h0[0].unsqueeze(0), ws, self.bias is not None, 1, 0.0, training, False, True)
            return out, [h[0]]
        xw = self.input_projection(x, xm)
        if fused:
            seq = _GruSequence.apply(xw, self.recurrent_kernel, h0[0])
            return seq, [seq[:, -1]]
        h = h0[0]
        outs = []
        U = self.recurrent_kernel
        rb = self.bias[1] if (self.reset_after and self.bias is not None) else None
        for t in range(x.shape[1]):
            xt = xw[:, t]
            if self.reset_after:
                if hm is None:
                    hu = h @ U
                else:
                    hu = torch.cat([(h * hm[i]) @ U[:, i * H:(i + 1) * H] for i in range(3)], -1)
                if rb is not None:
                    hu = hu + rb
                zr = activate(rec, xt[:, :2 * H] + hu[:, :2 * H])
                z, r = zr[:, :H], zr[:, H:]
                cand = activate(act, xt[:, 2 * H:] + r * hu[:, 2 * H:])
            else:
                if hm is None:
                    zr = activate(rec, xt[:, :2 * H] + h @ U[:, :2 * H])
                    z, r = zr[:, :H], zr[:, H:]
                    cand = activate(act, xt[:, 2 * H:] + (r * h) @ U[:, 2 * H:])
                else:
                    z = activate(rec, xt[:, :H] + (h * hm[0]) @ U[:, :H])
                    r = activate(rec, xt[:, H:2 * H] + (h * hm[1]) @ U[:, H:2 * H])
                    cand = activate(act, xt[:, 2 * H:] + (r * (h * hm[2])) @ U[:, 2 * H:])
            hn = z * h + (1 - z) * cand
            h = hn if m is None else h + (hn - h) * m[t]
            outs.append(h)
        return torch.stack(outs, 1), [h]


_RNN_CLASSES = {'SimpleRNN': SimpleRNN, 'LSTM': LSTM, 'GRU': GRU, 'strata>GRU': GRU}
