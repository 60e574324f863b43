"""
A TensorFlow.js layers model (the `modelTopology` of the model.json strata
writes: a Keras functional-model config) as a torch.nn.Module that computes
what TensorFlow.js computes, with the same weights.

Weights are stored in TensorFlow.js's layouts (a Dense kernel [in, out], a
Conv2D kernel [kh, kw, in, out], an LSTM kernel [in, 4·units] in Keras gate
order), so `set_weights`/`get_weights`/`tensor_of` need no transposition
bookkeeping: the layers view them in torch's layout when they compute.

Images are channels-last (NHWC) at the model's inputs and outputs, as in
TensorFlow.js; inside, every 4-D tensor carries a flag saying whether it is
held channels-first (NCHW). Convolutions and pooling want NCHW; element-wise
layers and batch/group normalization take either; everything else gets NHWC.
So a run of conv/pool/norm/activation layers permutes once at each end.

    model = build_model(topology, carry_state=False)
    model.set_weights({name: np.ndarray})      # TF.js layouts, names as in the weights manifest
    y = model(x, training=True)                # x: tensor, or a list for several inputs
    loss = loss + sum(model.extra_losses())    # regularizers, mixture-of-experts balancing

TF.js behaviours matched on purpose (each checked by test/torch/parity.test.ts):
- masks (embedding mask_zero): TF.js's executor keeps kwargs.mask for every later
  layer once some layer's inputs carry one, so a mask reaches recurrent layers
  even through layers that do not support masking;
- recurrent layers' weight regularizers are not losses (TF.js keeps them on the
  cell, where model.calculateLosses() does not look);
- batch normalization's moving variance follows the biased batch variance.
Where TF.js's *gradient* is wrong (average pooling with 'same' padding; nearest
and bilinear resizing), torch's true gradient is kept. Concatenate with a negative
axis other than -1: TF.js 4.22 joins along the last axis whatever the axis (its
declared output shape disagrees); torch joins along the axis given.
"""
import json
import math
import re

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# --------------------------------------------------------------------------
# Helpers


def _decode_strata(cfg):
    """A strata custom layer's spec keys, saved hex-encoded as JSON in its config (`strata`)."""
    hexed = cfg.get('strata')
    if isinstance(hexed, str):
        return json.loads(bytes.fromhex(hexed).decode('utf-8'))
    return None


def _pair(v, n=2):
    if isinstance(v, (list, tuple)):
        v = list(v)
        if len(v) == 1:
            v = v * n
        return v
    return [v] * n


def _reg(value):
    """A regularizer as (l1, l2): from a Keras config ({class_name: L1L2, config: {l1, l2}}) or a strata spec ({l1, l2}); None for none."""
    if value is None:
        return None
    if isinstance(value, dict) and 'config' in value and isinstance(value['config'], dict):
        c = value['config']
    elif isinstance(value, dict):
        c = value
    else:
        raise NotImplementedError(f'regularizer {value!r} is not supported by the torch engine')
    l1 = float(c.get('l1') or 0.0)
    l2 = float(c.get('l2') or 0.0)
    if l1 == 0 and l2 == 0:
        return None
    return (l1, l2)


def _snake(name):
    return re.sub(r'([a-z0-9])([A-Z])', r'\1_\2', name).lower()


def _hard_sigmoid(x):
    return torch.clamp(x * 0.2 + 0.5, 0.0, 1.0)


_ACTIVATIONS = {
    'linear': None,
    'relu': F.relu,
    'relu6': F.relu6,
    'elu': F.elu,
    'selu': F.selu,
    'gelu': F.gelu,
    'gelu_new': lambda x: F.gelu(x, approximate='tanh'),
    'swish': F.silu,
    'silu': F.silu,
    'mish': lambda x: x * torch.tanh(F.softplus(x)),
    'softplus': F.softplus,
    'softsign': F.softsign,
    'sigmoid': torch.sigmoid,
    'hard_sigmoid': _hard_sigmoid,
    'tanh': torch.tanh,
    'strata.leakyrelu': lambda x: F.leaky_relu(x, 0.2),
    'leaky_relu': lambda x: F.leaky_relu(x, 0.2),
}
_SOFTMAX = ('softmax', 'log_softmax')

#: Every activation name the model config may hold (TF.js spelling and snake_case).
ACTIVATION_NAMES = frozenset(list(_ACTIVATIONS) + list(_SOFTMAX) + ['hardSigmoid', 'logSoftmax', 'strata.leakyrelu'])


def _act_key(name):
    if name is None:
        return 'linear'
    if isinstance(name, dict):  # Keras 3: {class_name: 'function', config: 'relu'}
        name = name.get('config')
    key = name if name in _ACTIVATIONS or name in _SOFTMAX else _snake(name)
    if key not in _ACTIVATIONS and key not in _SOFTMAX:
        raise NotImplementedError(f"activation '{name}' is not supported by the torch engine")
    return key


def activate(name, x, channel_dim=-1):
    """Apply a TF.js activation by name; softmax runs over the channels (`channel_dim`)."""
    key = _act_key(name)
    if key == 'softmax':
        return torch.softmax(x, channel_dim)
    if key == 'log_softmax':
        return torch.log_softmax(x, channel_dim)
    fn = _ACTIVATIONS[key]
    return x if fn is None else fn(x)


def _same_pads(size, k, s, d=1):
    """TF's 'same' padding of one axis: (before, after); the extra one goes after."""
    out = -(-size // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
    return total // 2, total - total // 2


def _to_cf(x):
    return x.permute(0, 3, 1, 2).contiguous()


def _to_cl(x):
    return x.permute(0, 2, 3, 1).contiguous()


# --------------------------------------------------------------------------
# The layer base


class TLayer(nn.Module):
    """One TF.js layer. `cf_ok`: takes and gives 4-D tensors channels-first; `cf_wants`: prefers them so."""

    cf_ok = False
    cf_wants = False
    #: Whether the layer passes an input mask on (TF.js supportsMasking); None: drops it.
    passes_mask = False

    def __init__(self, cfg, name, prefix=None):
        super().__init__()
        self.cfg = cfg
        self.tf_name = name
        self.prefix = prefix if prefix is not None else name
        self.layer_trainable = cfg.get('trainable', True) is not False
        self.tf_weights = []  # (full name, attribute, trainable)
        self.regs = []  # (attribute, (l1, l2))
        self.built = False
        self.in_mask = None
        if cfg.get('activity_regularizer') is not None:
            raise NotImplementedError(f'{name}: activity regularizers are not supported (TensorFlow.js cannot run them either)')

    def add_weight(self, short, shape, trainable=True, reg=None):
        # Registered under the weight's own name, which is also the attribute the layer reads (so that
        # Module.to() moving a buffer, which replaces it, leaves no stale reference behind).
        attr = re.sub(r'\W', '_', short)
        t = torch.zeros(*shape, dtype=torch.float32) if shape else torch.zeros((), dtype=torch.float32)
        effective = trainable and self.layer_trainable
        if trainable:
            self.register_parameter(attr, nn.Parameter(t, requires_grad=effective))
        else:
            self.register_buffer(attr, t)
        self.tf_weights.append((f'{self.prefix}/{short}', attr, effective))
        r = _reg(reg)
        if r is not None:
            self.regs.append((attr, r))
        return getattr(self, attr)

    def add_named(self, short, shape, reg=None):
        """add_weight, returning the attribute's name: layers that keep weights in dicts or tuples keep names and
        resolve() them when they compute, since Module.to() may replace a Parameter (CPU to CUDA)."""
        self.add_weight(short, shape, reg=reg)
        return self.tf_weights[-1][1]

    def resolve(self, ref):
        if ref is None:
            return None
        if isinstance(ref, str):
            return getattr(self, ref)
        if isinstance(ref, dict):
            return {k: self.resolve(v) for k, v in ref.items()}
        return tuple(self.resolve(v) for v in ref)

    def weight_slots(self):
        """(name, module, attribute, trainable) in creation order, nested layers included."""
        return [(n, self, a, t) for n, a, t in self.tf_weights]

    def build(self, shapes):
        """Create the weights for the inputs' shapes (with batch, channels-last)."""

    def call(self, xs, training, cf):
        raise NotImplementedError

    def losses(self):
        out = []
        for attr, (l1, l2) in self.regs:
            w = getattr(self, attr)
            loss = None
            if l1:
                loss = l1 * w.abs().sum()
            if l2:
                term = l2 * (w * w).sum()
                loss = term if loss is None else loss + term
            out.append(loss)
        return out

    def compute_mask(self, xs, masks):
        """The output's mask ([B, T] bool) from the inputs' (TF.js computeMask, for layers that support masking; the rest drop it)."""
        if not self.passes_mask:
            return None
        present = [m for m in masks if m is not None]
        if not present:
            return None
        out = present[0]
        for m in present[1:]:
            out = out & m
        return out

    def run(self, ins, training, mask=None):
        """ins: [(tensor, channels_first)]; mask: the mask TF.js passes this call (kwargs.mask); returns (tensor, channels_first)."""
        self.in_mask = mask
        if self.cf_wants:
            cf = True
        elif self.cf_ok:
            cf = any(c for _, c in ins)
        else:
            cf = False
        xs = []
        for t, c in ins:
            if t.dim() == 4 and c != cf:
                t = _to_cf(t) if cf else _to_cl(t)
            xs.append(t)
        if not self.built:
            self.build([tuple(_to_cl_shape(x) if (cf and x.dim() == 4) else x.shape) for x in xs])
            self.built = True
        y = self.call(xs, training, cf)
        return y, (cf and y.dim() == 4)


def _to_cl_shape(x):
    n, c, h, w = x.shape
    return (n, h, w, c)


# --------------------------------------------------------------------------
# Core


class InputLayer(TLayer):
    def call(self, xs, training, cf):
        return xs[0]


class Dense(TLayer):
    passes_mask = True

    def build(self, shapes):
        c = self.cfg
        d = shapes[0][-1]
        self.kernel = self.add_weight('kernel', [d, c['units']], reg=c.get('kernel_regularizer'))
        self.bias = self.add_weight('bias', [c['units']], reg=c.get('bias_regularizer')) if c.get('use_bias', True) else None

    def call(self, xs, training, cf):
        x = xs[0]
        if x.dim() == 2:
            y = torch.addmm(self.bias, x, self.kernel) if self.bias is not None else x @ self.kernel
        else:
            y = torch.matmul(x, self.kernel)
            if self.bias is not None:
                y = y + self.bias
        return activate(self.cfg.get('activation'), y)


class Activation(TLayer):
    passes_mask = True

    @property
    def cf_ok(self):
        return _act_key(self.cfg.get('activation')) not in _SOFTMAX

    def call(self, xs, training, cf):
        return activate(self.cfg.get('activation'), xs[0])


class Dropout(TLayer):
    cf_ok = True
    passes_mask = True

    def call(self, xs, training, cf):
        rate = self.cfg.get('rate', 0)
        if training and rate > 0:
            return F.dropout(xs[0], rate, True)
        return xs[0]


class Flatten(TLayer):
    def call(self, xs, training, cf):
        x = xs[0]
        return x.reshape(x.shape[0], -1)


class Reshape(TLayer):
    def call(self, xs, training, cf):
        x = xs[0]
        return x.reshape(x.shape[0], *self.cfg['target_shape'])


class Permute(TLayer):
    def call(self, xs, training, cf):
        return xs[0].permute(0, *self.cfg['dims'])


class RepeatVector(TLayer):
    def call(self, xs, training, cf):
        x = xs[0]
        return x.unsqueeze(1).expand(x.shape[0], self.cfg['n'], x.shape[1])


class LeakyReLU(TLayer):
    cf_ok = True

    def call(self, xs, training, cf):
        return F.leaky_relu(xs[0], float(self.cfg.get('alpha', 0.3)))


class ELU(TLayer):
    cf_ok = True

    def call(self, xs, training, cf):
        return F.elu(xs[0], float(self.cfg.get('alpha', 1.0)))


class ReLU(TLayer):
    cf_ok = True
    passes_mask = True

    def call(self, xs, training, cf):
        y = F.relu(xs[0])
        mv = self.cfg.get('max_value')
        return y if mv is None else torch.clamp(y, max=float(mv))


class Softmax(TLayer):
    def call(self, xs, training, cf):
        axis = self.cfg.get('axis', -1)
        if isinstance(axis, list):
            axis = axis[0]
        return torch.softmax(xs[0], axis)


class PReLU(TLayer):
    passes_mask = True

    def build(self, shapes):
        if self.cfg.get('shared_axes'):
            raise NotImplementedError(f'{self.tf_name}: PReLU shared_axes is not supported')
        self.alpha = self.add_weight('alpha', list(shapes[0][1:]), reg=self.cfg.get('alpha_regularizer'))

    def call(self, xs, training, cf):
        x = xs[0]
        return torch.where(x > 0, x, self.alpha * x)


# --------------------------------------------------------------------------
# Convolutions


class Conv2D(TLayer):
    cf_ok = cf_wants = True

    def build(self, shapes):
        c = self.cfg
        kh, kw = _pair(c['kernel_size'])
        self.kernel = self.add_weight('kernel', [kh, kw, shapes[0][-1], c['filters']], reg=c.get('kernel_regularizer'))
        self.bias = self.add_weight('bias', [c['filters']], reg=c.get('bias_regularizer')) if c.get('use_bias', True) else None

    def _padded(self, x, k, s, d):
        """x (NCHW) padded as TF's 'same' needs, and the symmetric padding left for the conv itself."""
        if self.cfg.get('padding', 'valid') != 'same':
            return x, (0, 0)
        (ht, hb), (wl, wr) = _same_pads(x.shape[2], k[0], s[0], d[0]), _same_pads(x.shape[3], k[1], s[1], d[1])
        if ht == hb and wl == wr:
            return x, (ht, wl)
        return F.pad(x, (wl, wr, ht, hb)), (0, 0)

    def call(self, xs, training, cf):
        c = self.cfg
        k = _pair(c['kernel_size'])
        s = _pair(c.get('strides', 1))
        d = _pair(c.get('dilation_rate', 1))
        x, pad = self._padded(xs[0], k, s, d)
        y = F.conv2d(x, self.kernel.permute(3, 2, 0, 1), self.bias, s, pad, d)
        return activate(c.get('activation'), y, 1)


class DepthwiseConv2D(Conv2D):
    def build(self, shapes):
        c = self.cfg
        kh, kw = _pair(c['kernel_size'])
        self.mult = c.get('depth_multiplier', 1)
        self.cin = shapes[0][-1]
        self.depthwise_kernel = self.add_weight('depthwise_kernel', [kh, kw, self.cin, self.mult], reg=c.get('depthwise_regularizer'))
        self.bias = self.add_weight('bias', [self.cin * self.mult], reg=c.get('bias_regularizer')) if c.get('use_bias', True) else None

    def _depthwise(self, x, bias):
        c = self.cfg
        k = _pair(c['kernel_size'])
        s = _pair(c.get('strides', 1))
        d = _pair(c.get('dilation_rate', 1))
        x, pad = self._padded(x, k, s, d)
        w = self.depthwise_kernel.permute(2, 3, 0, 1).reshape(self.cin * self.mult, 1, k[0], k[1])
        return F.conv2d(x, w, bias, s, pad, d, self.cin)

    def call(self, xs, training, cf):
        return activate(self.cfg.get('activation'), self._depthwise(xs[0], self.bias), 1)


class SeparableConv2D(DepthwiseConv2D):
    def build(self, shapes):
        c = self.cfg
        kh, kw = _pair(c['kernel_size'])
        self.mult = c.get('depth_multiplier', 1)
        self.cin = shapes[0][-1]
        self.depthwise_kernel = self.add_weight('depthwise_kernel', [kh, kw, self.cin, self.mult], reg=c.get('depthwise_regularizer'))
        self.pointwise_kernel = self.add_weight('pointwise_kernel', [1, 1, self.cin * self.mult, c['filters']], reg=c.get('pointwise_regularizer'))
        self.bias = self.add_weight('bias', [c['filters']], reg=c.get('bias_regularizer')) if c.get('use_bias', True) else None

    def call(self, xs, training, cf):
        y = self._depthwise(xs[0], None)
        y = F.conv2d(y, self.pointwise_kernel.permute(3, 2, 0, 1), self.bias)
        return activate(self.cfg.get('activation'), y, 1)


class Conv2DTranspose(TLayer):
    cf_ok = cf_wants = True

    def build(self, shapes):
        c = self.cfg
        kh, kw = _pair(c['kernel_size'])
        self.kernel = self.add_weight('kernel', [kh, kw, c['filters'], shapes[0][-1]], reg=c.get('kernel_regularizer'))
        self.bias = self.add_weight('bias', [c['filters']], reg=c.get('bias_regularizer')) if c.get('use_bias', True) else None

    def call(self, xs, training, cf):
        c = self.cfg
        k = _pair(c['kernel_size'])
        s = _pair(c.get('strides', 1))
        x = xs[0]
        y = F.conv_transpose2d(x, self.kernel.permute(3, 2, 0, 1), None, s)
        same = c.get('padding', 'valid') == 'same'
        for axis, (n, kk, ss) in enumerate(zip(x.shape[2:], k, s)):
            dim = axis + 2
            want = n * ss if same else n * ss + max(kk - ss, 0)
            before = max(kk - ss, 0) // 2 if same else 0
            full = y.shape[dim]
            if full < before + want:
                pad = [0, 0, 0, 0]
                pad[(1 - axis) * 2 + 1] = before + want - full
                y = F.pad(y, pad)
            y = y.narrow(dim, before, want)
        if self.bias is not None:
            y = y + self.bias.view(1, -1, 1, 1)
        return activate(c.get('activation'), y, 1)


class Conv1D(TLayer):
    def build(self, shapes):
        c = self.cfg
        (k,) = _pair(c['kernel_size'], 1)
        self.kernel = self.add_weight('kernel', [k, shapes[0][-1], c['filters']], reg=c.get('kernel_regularizer'))
        self.bias = self.add_weight('bias', [c['filters']], reg=c.get('bias_regularizer')) if c.get('use_bias', True) else None

    def call(self, xs, training, cf):
        c = self.cfg
        (k,) = _pair(c['kernel_size'], 1)
        (s,) = _pair(c.get('strides', 1), 1)
        (d,) = _pair(c.get('dilation_rate', 1), 1)
        x = xs[0].transpose(1, 2)
        padding = c.get('padding', 'valid')
        if padding == 'causal':
            x = F.pad(x, (d * (k - 1), 0))
        elif padding == 'same':
            x = F.pad(x, _same_pads(x.shape[2], k, s, d))
        y = F.conv1d(x, self.kernel.permute(2, 1, 0), self.bias, s, 0, d)
        return activate(c.get('activation'), y.transpose(1, 2))


class UpSampling2D(TLayer):
    cf_ok = cf_wants = True

    def call(self, xs, training, cf):
        x = xs[0]
        sh, sw = _pair(self.cfg.get('size', 2))
        if self.cfg.get('interpolation', 'nearest') == 'nearest':
            return x.repeat_interleave(sh, 2).repeat_interleave(sw, 3)
        # TF's legacy bilinear resize (no half-pixel centres, no aligned corners): source = target / scale.
        H, W = x.shape[2], x.shape[3]

        def axis(n, s, dev):
            src = torch.arange(n * s, device=dev, dtype=torch.float32) * (n / (n * s))
            lo = src.floor().long().clamp(max=n - 1)
            hi = (lo + 1).clamp(max=n - 1)
            return lo, hi, src - lo.float()

        h0, h1, fh = axis(H, sh, x.device)
        w0, w1, fw = axis(W, sw, x.device)
        top = x[:, :, h0] + (x[:, :, h1] - x[:, :, h0]) * fh.view(1, 1, -1, 1)
        return top[:, :, :, w0] + (top[:, :, :, w1] - top[:, :, :, w0]) * fw.view(1, 1, 1, -1)


class ZeroPadding2D(TLayer):
    cf_ok = True

    def call(self, xs, training, cf):
        p = self.cfg.get('padding', 1)
        if isinstance(p, list) and isinstance(p[0], list):
            (t, b), (l, r) = p
        else:
            ph, pw = _pair(p)
            t = b = ph
            l = r = pw
        x = xs[0]
        if cf:
            return F.pad(x, (l, r, t, b))
        return F.pad(x, (0, 0, l, r, t, b))


class Cropping2D(TLayer):
    cf_ok = True

    def call(self, xs, training, cf):
        p = self.cfg.get('cropping', 0)
        if isinstance(p, list) and isinstance(p[0], list):
            (t, b), (l, r) = p
        else:
            ph, pw = _pair(p)
            t = b = ph
            l = r = pw
        x = xs[0]
        hd, wd = (2, 3) if cf else (1, 2)
        x = x.narrow(hd, t, x.shape[hd] - t - b)
        return x.narrow(wd, l, x.shape[wd] - l - r)


# --------------------------------------------------------------------------
# Pooling


def _pool2d(x, kind, k, s, padding):
    """x NCHW; TF semantics: 'same' max pools ignore the padding, 'same' averages exclude it."""
    if padding == 'same':
        (t, b), (l, r) = _same_pads(x.shape[2], k[0], s[0]), _same_pads(x.shape[3], k[1], s[1])
        if t or b or l or r:
            if kind == 'max':
                return F.max_pool2d(F.pad(x, (l, r, t, b), value=float('-inf')), k, s)
            if t == b and l == r and t <= k[0] // 2 and l <= k[1] // 2:
                return F.avg_pool2d(x, k, s, (t, l), count_include_pad=False)
            total = F.avg_pool2d(F.pad(x, (l, r, t, b)), k, s)
            ones = torch.ones((1, 1, x.shape[2], x.shape[3]), dtype=x.dtype, device=x.device)
            return total / F.avg_pool2d(F.pad(ones, (l, r, t, b)), k, s)
    return F.max_pool2d(x, k, s) if kind == 'max' else F.avg_pool2d(x, k, s)


class _Pool2D(TLayer):
    cf_ok = cf_wants = True
    kind = 'max'

    def call(self, xs, training, cf):
        c = self.cfg
        k = _pair(c.get('pool_size', 2))
        s = _pair(c.get('strides') or k)
        return _pool2d(xs[0], self.kind, k, s, c.get('padding', 'valid'))


class MaxPooling2D(_Pool2D):
    kind = 'max'


class AveragePooling2D(_Pool2D):
    kind = 'avg'


class _Pool1D(TLayer):
    kind = 'max'

    def call(self, xs, training, cf):
        c = self.cfg
        (k,) = _pair(c.get('pool_size', 2), 1)
        (s,) = _pair(c.get('strides') or k, 1)
        x = xs[0].transpose(1, 2).unsqueeze(2)  # [B, C, 1, T]
        y = _pool2d(x, self.kind, (1, k), (1, s), c.get('padding', 'valid'))
        return y.squeeze(2).transpose(1, 2)


class MaxPooling1D(_Pool1D):
    kind = 'max'


class AveragePooling1D(_Pool1D):
    kind = 'avg'


class GlobalAveragePooling2D(TLayer):
    cf_ok = True

    def call(self, xs, training, cf):
        return xs[0].mean((2, 3) if cf else (1, 2))


class GlobalMaxPooling2D(TLayer):
    cf_ok = True

    def call(self, xs, training, cf):
        return xs[0].amax((2, 3) if cf else (1, 2))


class GlobalAveragePooling1D(TLayer):
    def call(self, xs, training, cf):
        return xs[0].mean(1)


class GlobalMaxPooling1D(TLayer):
    def call(self, xs, training, cf):
        return xs[0].amax(1)


class AdaptivePooling2D(TLayer):
    cf_ok = cf_wants = True

    def __init__(self, cfg, name, prefix=None):
        super().__init__(cfg, name, prefix)
        self.p = _decode_strata(cfg) or {}

    def call(self, xs, training, cf):
        size = tuple(_pair(self.p['output_size']))
        if self.p.get('kind') == 'max':
            return F.adaptive_max_pool2d(xs[0], size)
        return F.adaptive_avg_pool2d(xs[0], size)


# --------------------------------------------------------------------------
# Normalization


class BatchNormalization(TLayer):
    cf_ok = True
    passes_mask = True

    def build(self, shapes):
        c = self.cfg
        axis = c.get('axis', -1)
        if isinstance(axis, list):
            axis = axis[0] if len(axis) == 1 else None
        if axis not in (-1, len(shapes[0]) - 1):
            raise NotImplementedError(f'{self.tf_name}: batch normalization over axis {axis} (only the last axis is supported)')
        n = shapes[0][-1]
        self.gamma = self.add_weight('gamma', [n], reg=c.get('gamma_regularizer')) if c.get('scale', True) else None
        self.beta = self.add_weight('beta', [n], reg=c.get('beta_regularizer')) if c.get('center', True) else None
        self.moving_mean = self.add_weight('moving_mean', [n], trainable=False)
        self.moving_variance = self.add_weight('moving_variance', [n], trainable=False)

    def call(self, xs, training, cf):
        x = xs[0]
        eps = float(self.cfg.get('epsilon', 1e-3))
        last = not cf and x.dim() > 2
        if last:
            x = x.movedim(-1, 1)
        if not training:
            y = F.batch_norm(x, self.moving_mean, self.moving_variance, self.gamma, self.beta, False, 0.0, eps)
        else:
            y = F.batch_norm(x, None, None, self.gamma, self.beta, True, 0.0, eps)
            with torch.no_grad():
                dims = [d for d in range(x.dim()) if d != 1]
                var, mean = torch.var_mean(x.detach(), dims, unbiased=False)
                decay = 1.0 - float(self.cfg.get('momentum', 0.99))
                self.moving_mean.sub_((self.moving_mean - mean) * decay)
                self.moving_variance.sub_((self.moving_variance - var) * decay)
        return y.movedim(1, -1) if last else y


class LayerNormalization(TLayer):
    passes_mask = True

    def build(self, shapes):
        c = self.cfg
        axis = c.get('axis', -1)
        axes = axis if isinstance(axis, list) else [axis]
        rank = len(shapes[0])
        if [a % rank for a in axes] != [rank - 1]:
            raise NotImplementedError(f'{self.tf_name}: layer normalization over axes {axis} (only the last axis is supported)')
        n = shapes[0][-1]
        self.gamma = self.add_weight('gamma', [n], reg=c.get('gamma_regularizer')) if c.get('scale', True) else None
        self.beta = self.add_weight('beta', [n], reg=c.get('beta_regularizer')) if c.get('center', True) else None

    def call(self, xs, training, cf):
        x = xs[0]
        return F.layer_norm(x, (x.shape[-1],), self.gamma, self.beta, float(self.cfg.get('epsilon', 1e-3)))


class GroupNormalization(TLayer):
    cf_ok = True

    def __init__(self, cfg, name, prefix=None):
        super().__init__(cfg, name, prefix)
        self.p = _decode_strata(cfg)

    def build(self, shapes):
        p = self.p
        n = shapes[0][-1]
        self.gamma = self.add_weight('gamma', [n], reg=p.get('gamma_regularizer')) if p.get('scale', True) else None
        self.beta = self.add_weight('beta', [n], reg=p.get('beta_regularizer')) if p.get('center', True) else None

    def call(self, xs, training, cf):
        x = xs[0]
        last = not cf and x.dim() > 2
        if last:
            x = x.movedim(-1, 1)
        if x.dim() == 2:
            x = x.unsqueeze(-1)
            y = F.group_norm(x, self.p['groups'], self.gamma, self.beta, float(self.p.get('epsilon', 1e-3))).squeeze(-1)
        else:
            y = F.group_norm(x, self.p['groups'], self.gamma, self.beta, float(self.p.get('epsilon', 1e-3)))
        return y.movedim(1, -1) if last else y


# --------------------------------------------------------------------------
# Embeddings


class Embedding(TLayer):
    passes_mask = True

    def compute_mask(self, xs, masks):
        return (xs[0] != 0) if self.cfg.get('mask_zero') else None

    def build(self, shapes):
        c = self.cfg
        self.embeddings = self.add_weight('embeddings', [c['input_dim'], c['output_dim']], reg=c.get('embeddings_regularizer'))

    def call(self, xs, training, cf):
        x = xs[0]
        if x.dtype != torch.long:
            x = x.long()  # TF.js casts to int32, which truncates
        return F.embedding(x, self.embeddings)


class PositionalEmbedding(TLayer):
    def __init__(self, cfg, name, prefix=None):
        super().__init__(cfg, name, prefix)
        self.p = _decode_strata(cfg)

    def build(self, shapes):
        self.embeddings = self.add_weight('embeddings', [self.p['max_length'], shapes[0][-1]], reg=self.p.get('embeddings_regularizer'))

    def call(self, xs, training, cf):
        x = xs[0]
        return x + self.embeddings[: x.shape[1]]


class PositionalEncoding(TLayer):
    def __init__(self, cfg, name, prefix=None):
        super().__init__(cfg, name, prefix)
        self.p = _decode_strata(cfg)
        self._cache = {}

    def call(self, xs, training, cf):
        x = xs[0]
        T, d = x.shape[1], x.shape[2]
        key = (T, d, x.device)
        if key not in self._cache:
            pos = torch.arange(T, dtype=torch.float32).reshape(T, 1)
            i = torch.arange(d, dtype=torch.float32)
            timescales = torch.pow(torch.tensor(1.0 / float(self.p.get('max_wavelength', 10000)), dtype=torch.float32), (2 * torch.floor(i / 2)) / d)
            angles = pos * timescales.reshape(1, d)
            cos_mask = torch.remainder(i, 2)
            self._cache[key] = (torch.sin(angles) * (1 - cos_mask) + torch.cos(angles) * cos_mask).to(x.device)
        return x + self._cache[key]


# --------------------------------------------------------------------------
# Merges


class _Merge(TLayer):
    cf_ok = True
    passes_mask = True


class Add(_Merge):
    def call(self, xs, training, cf):
        y = xs[0]
        for x in xs[1:]:
            y = y + x
        return y


class Subtract(_Merge):
    def call(self, xs, training, cf):
        return xs[0] - xs[1]


class Multiply(_Merge):
    def call(self, xs, training, cf):
        y = xs[0]
        for x in xs[1:]:
            y = y * x
        return y


class Average(_Merge):
    def call(self, xs, training, cf):
        y = xs[0]
        for x in xs[1:]:
            y = y + x
        return y * (1.0 / len(xs))


class Maximum(_Merge):
    def call(self, xs, training, cf):
        y = xs[0]
        for x in xs[1:]:
            y = torch.maximum(y, x)
        return y


class Minimum(_Merge):
    def call(self, xs, training, cf):
        y = xs[0]
        for x in xs[1:]:
            y = torch.minimum(y, x)
        return y


class Concatenate(_Merge):
    def call(self, xs, training, cf):
        rank = xs[0].dim()
        axis = self.cfg.get('axis', -1) % rank
        if cf and rank == 4:
            axis = [0, 2, 3, 1][axis]
        return torch.cat(xs, axis)


# --------------------------------------------------------------------------
# Attention and transformer blocks (strata's custom layers, Keras layouts)


def _attention_weights(layer, prefix, dq, dkv, heads, kd, vd, out, use_bias, kreg, breg):
    w = {}
    w['q'] = layer.add_named(f'{prefix}query_kernel', [dq, heads, kd], reg=kreg)
    w['qb'] = layer.add_named(f'{prefix}query_bias', [heads, kd], reg=breg) if use_bias else None
    w['k'] = layer.add_named(f'{prefix}key_kernel', [dkv, heads, kd], reg=kreg)
    w['kb'] = layer.add_named(f'{prefix}key_bias', [heads, kd], reg=breg) if use_bias else None
    w['v'] = layer.add_named(f'{prefix}value_kernel', [dkv, heads, vd], reg=kreg)
    w['vb'] = layer.add_named(f'{prefix}value_bias', [heads, vd], reg=breg) if use_bias else None
    w['o'] = layer.add_named(f'{prefix}output_kernel', [heads, vd, out], reg=kreg)
    w['ob'] = layer.add_named(f'{prefix}output_bias', [out], reg=breg) if use_bias else None
    return w


def _project(x, w, b):
    d = w.shape[0]
    n = w.numel() // d
    y = torch.matmul(x, w.reshape(d, n))
    return y if b is None else y + b.reshape(n)


def _causal_bias(T, S, device):
    return (1.0 - torch.ones(T, S, device=device).tril()) * -1e9


def multi_head_attention(w, query, kv, heads, kd, vd, causal, dropout, training):
    """strata's multiHeadAttention (src/layers/custom/math.ts) with Keras-layout weights."""
    B, T = query.shape[0], query.shape[1]
    S = kv.shape[1]
    q = _project(query, w['q'], w['qb']).reshape(B, T, heads, kd).transpose(1, 2) * (1.0 / math.sqrt(kd))
    k = _project(kv, w['k'], w['kb']).reshape(B, S, heads, kd).transpose(1, 2)
    v = _project(kv, w['v'], w['vb']).reshape(B, S, heads, vd).transpose(1, 2)
    scores = torch.matmul(q, k.transpose(2, 3))
    if causal:
        scores = scores + _causal_bias(T, S, scores.device)
    probs = torch.softmax(scores, -1)
    if training and dropout > 0:
        probs = F.dropout(probs, dropout, True)
    ctx = torch.matmul(probs, v).transpose(1, 2).reshape(B, T, heads * vd)
    wo = w['o']
    y = torch.matmul(ctx, wo.reshape(heads * vd, wo.shape[2]))
    return y if w['ob'] is None else y + w['ob']


class MultiHeadAttention(TLayer):
    def __init__(self, cfg, name, prefix=None):
        super().__init__(cfg, name, prefix)
        self.p = _decode_strata(cfg)

    def build(self, shapes):
        p = self.p
        q = shapes[0]
        kv = shapes[1] if len(shapes) > 1 else q
        self.vd = p.get('value_dim') or p['key_dim']
        self.att = _attention_weights(self, '', q[2], kv[2], p['heads'], p['key_dim'], self.vd, p.get('output_dim') or q[2], p.get('use_bias', True),
                                      p.get('kernel_regularizer'), p.get('bias_regularizer'))

    def call(self, xs, training, cf):
        p = self.p
        return multi_head_attention(self.resolve(self.att), xs[0], xs[1] if len(xs) > 1 else xs[0], p['heads'], p['key_dim'], self.vd, bool(p.get('causal')),
                                    float(p.get('dropout', 0)), training)



class DotAttention(TLayer):
    def __init__(self, cfg, name, prefix=None):
        super().__init__(cfg, name, prefix)
        self.p = _decode_strata(cfg)

    def build(self, shapes):
        self.scale = self.add_weight('scale', []) if self.p.get('use_scale') else None

    def call(self, xs, training, cf):
        q = xs[0]
        v = xs[1] if len(xs) > 1 else q
        scores = torch.matmul(q, v.transpose(1, 2))
        if self.scale is not None:
            scores = scores * self.scale
        if self.p.get('causal'):
            scores = scores + _causal_bias(q.shape[1], v.shape[1], q.device)
        probs = torch.softmax(scores, -1)
        rate = float(self.p.get('dropout', 0))
        if training and rate > 0:
            probs = F.dropout(probs, rate, True)
        return torch.matmul(probs, v)


class _Block(TLayer):
    def __init__(self, cfg, name, prefix=None):
        super().__init__(cfg, name, prefix)
        self.p = _decode_strata(cfg)

    def key_dim(self, d):
        return self.p.get('key_dim') or d // self.p['heads']

    def norm(self, name, d):
        return (self.add_named(f'{name}_gamma', [d]), self.add_named(f'{name}_beta', [d]))

    def feed_forward(self, d):
        p = self.p
        kr, br = p.get('kernel_regularizer'), p.get('bias_regularizer')
        return (self.add_named('ff_intermediate_kernel', [d, p['ff_units']], reg=kr), self.add_named('ff_intermediate_bias', [p['ff_units']], reg=br),
                self.add_named('ff_output_kernel', [p['ff_units'], d], reg=kr), self.add_named('ff_output_bias', [d], reg=br))

    def attention(self, prefix, dq, dkv):
        p = self.p
        kd = self.key_dim(dq)
        return _attention_weights(self, prefix, dq, dkv, p['heads'], kd, kd, dq, True, p.get('kernel_regularizer'), p.get('bias_regularizer'))

    def sub(self, x, n, f, training):
        p = self.p
        rate = float(p.get('dropout', 0))
        eps = float(p.get('layer_norm_epsilon', 1e-5))

        def drop(y):
            return F.dropout(y, rate, True) if training and rate > 0 else y

        def ln(y):
            gamma, beta = self.resolve(n)
            return F.layer_norm(y, (y.shape[-1],), gamma, beta, eps)

        return x + drop(f(ln(x))) if p.get('norm_first') else ln(x + drop(f(x)))

    def attend(self, w, q, kv, causal, training):
        p = self.p
        kd = self.key_dim(q.shape[-1])
        return multi_head_attention(self.resolve(w), q, kv, p['heads'], kd, kd, causal, float(p.get('dropout', 0)), training)

    def ff(self, f, x):
        w1, b1, w2, b2 = self.resolve(f)
        h = activate(self.p.get('activation', 'relu'), torch.matmul(x, w1) + b1)
        return torch.matmul(h, w2) + b2


class TransformerEncoder(_Block):
    def build(self, shapes):
        d = shapes[0][2]
        self.att = self.attention('attention_', d, d)
        self.n1 = self.norm('attention_norm', d)
        self.f = self.feed_forward(d)
        self.n2 = self.norm('ff_norm', d)

    def call(self, xs, training, cf):
        x = xs[0]
        y = self.sub(x, self.n1, lambda h: self.attend(self.att, h, h, bool(self.p.get('causal')), training), training)
        return self.sub(y, self.n2, lambda h: self.ff(self.f, h), training)


class TransformerDecoder(_Block):
    def build(self, shapes):
        d = shapes[0][2]
        self.self_att = self.attention('self_attention_', d, d)
        self.n1 = self.norm('self_attention_norm', d)
        self.cross = None
        if len(shapes) > 1:
            self.cross = self.attention('cross_attention_', d, shapes[1][2])
            self.n2 = self.norm('cross_attention_norm', d)
        self.f = self.feed_forward(d)
        self.n3 = self.norm('ff_norm', d)

    def call(self, xs, training, cf):
        y = self.sub(xs[0], self.n1, lambda h: self.attend(self.self_att, h, h, True, training), training)
        if len(xs) > 1 and self.cross is not None:
            enc = xs[1]
            y = self.sub(y, self.n2, lambda h: self.attend(self.cross, h, enc, False, training), training)
        return self.sub(y, self.n3, lambda h: self.ff(self.f, h), training)


class MixtureOfExperts(TLayer):
    def __init__(self, cfg, name, prefix=None):
        super().__init__(cfg, name, prefix)
        self.p = _decode_strata(cfg)
        self.aux = None

    def build(self, shapes):
        p = self.p
        d = shapes[0][-1]
        n, h = p['experts'], p['units']
        o = p.get('output_units') or d
        self.gate_kernel = self.add_weight('gate_kernel', [d, n], reg=p.get('gate_regularizer'))
        self.expert_kernel_1 = self.add_weight('expert_kernel_1', [n, d, h], reg=p.get('kernel_regularizer'))
        self.expert_bias_1 = self.add_weight('expert_bias_1', [n, h])
        self.expert_kernel_2 = self.add_weight('expert_kernel_2', [n, h, o], reg=p.get('kernel_regularizer'))
        self.expert_bias_2 = self.add_weight('expert_bias_2', [n, o])

    def call(self, xs, training, cf):
        p = self.p
        x = xs[0]
        d = x.shape[-1]
        n, k = p['experts'], p['top_k']
        flat = x.reshape(-1, d)
        logits = flat @ self.gate_kernel
        with torch.no_grad():
            mask = torch.zeros_like(logits).scatter_(1, torch.topk(logits, k, 1).indices, 1.0)
        gates = torch.softmax(logits + (1.0 - mask) * -1e9, -1)
        coef = float(p.get('load_balance', 0.01))
        if training and coef > 0:
            share = mask.mean(0) / k
            prob = torch.softmax(logits, -1).mean(0)
            self.aux = (share * prob).sum() * (coef * n)
        hidden = torch.baddbmm(self.expert_bias_1.unsqueeze(1), flat.unsqueeze(0).expand(n, -1, -1), self.expert_kernel_1)
        out = torch.baddbmm(self.expert_bias_2.unsqueeze(1), activate(p.get('activation', 'relu'), hidden), self.expert_kernel_2)  # [N, M, o]
        mixed = (out * gates.t().unsqueeze(2)).sum(0)
        return mixed.reshape(*x.shape[:-1], mixed.shape[1])

    def losses(self):
        out = super().losses()
        if float(self.p.get('load_balance', 0.01)) > 0 and self.aux is not None:
            out.append(self.aux)
        return out


# --------------------------------------------------------------------------
# Recurrent layers


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

    def losses(self):
        # TF.js keeps a recurrent layer's weights, and their regularizers, on its cell, and
        # model.calculateLosses() never sees the cell's losses: TF.js trains LSTM, GRU and SimpleRNN
        # (and Bidirectional over them) without their kernel/recurrent/bias penalties, strata's GRU
        # with reset_after (a subclass of TF.js's) included. Matched here, until strata fixes it there.
        return []

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


class Bidirectional(TLayer):
    passes_mask = True

    def __init__(self, cfg, name, prefix=None):
        super().__init__(cfg, name, prefix)
        inner = cfg['layer']
        cls = _RNN_CLASSES.get(inner['class_name'])
        if cls is None:
            raise NotImplementedError(f"{name}: Bidirectional over {inner['class_name']} is not supported")
        icfg = inner['config']
        base = self.prefix
        self.forward_layer = cls(icfg, icfg['name'], f"{base}/forward_{icfg['name']}")
        bcfg = {**icfg, 'go_backwards': not icfg.get('go_backwards', False)}
        self.backward_layer = cls(bcfg, icfg['name'], f"{base}/backward_{icfg['name']}")
        if not self.layer_trainable:
            self.forward_layer.layer_trainable = self.backward_layer.layer_trainable = False

    def build(self, shapes):
        for l in (self.forward_layer, self.backward_layer):
            l.build(shapes)
            l.built = True

    def weight_slots(self):
        return self.forward_layer.weight_slots() + self.backward_layer.weight_slots()

    def losses(self):
        return self.forward_layer.losses() + self.backward_layer.losses()

    def compute_mask(self, xs, masks):
        return masks[0] if self.forward_layer.cfg.get('return_sequences') else None

    def call(self, xs, training, cf):
        y = self.forward_layer.call(xs, training, False, self.in_mask)
        yb = self.backward_layer.call(xs, training, False, self.in_mask)
        if self.forward_layer.cfg.get('return_sequences'):
            yb = yb.flip(1)
        mode = self.cfg.get('merge_mode', 'concat')
        if mode == 'concat':
            return torch.cat([y, yb], -1)
        if mode == 'sum':
            return y + yb
        if mode == 'mul':
            return y * yb
        if mode == 'ave':
            return (y + yb) * 0.5
        raise NotImplementedError(f'{self.tf_name}: merge_mode {mode}')


class TimeDistributed(TLayer):
    passes_mask = True

    def __init__(self, cfg, name, prefix=None):
        super().__init__(cfg, name, prefix)
        inner = cfg['layer']
        cls = LAYER_CLASSES.get(inner['class_name'])
        if cls is None or cls in (TimeDistributed, Bidirectional):
            raise NotImplementedError(f"{name}: TimeDistributed over {inner['class_name']} is not supported")
        self.inner = cls(inner['config'], inner['config'].get('name', name), self.prefix)
        if not self.layer_trainable:
            self.inner.layer_trainable = False

    def weight_slots(self):
        return self.inner.weight_slots()

    def losses(self):
        return self.inner.losses()

    def call(self, xs, training, cf):
        x = xs[0]
        B, T = x.shape[0], x.shape[1]
        y, ycf = self.inner.run([(x.reshape(B * T, *x.shape[2:]), False)], training)
        if ycf:
            y = _to_cl(y)
        return y.reshape(B, T, *y.shape[1:])


# --------------------------------------------------------------------------
# The class table

LAYER_CLASSES = {
    'InputLayer': InputLayer,
    'Dense': Dense,
    'Activation': Activation,
    'Dropout': Dropout,
    'Flatten': Flatten,
    'Reshape': Reshape,
    'Permute': Permute,
    'RepeatVector': RepeatVector,
    'LeakyReLU': LeakyReLU,
    'ELU': ELU,
    'ReLU': ReLU,
    'Softmax': Softmax,
    'PReLU': PReLU,
    'Conv1D': Conv1D,
    'Conv2D': Conv2D,
    'SeparableConv2D': SeparableConv2D,
    'DepthwiseConv2D': DepthwiseConv2D,
    'Conv2DTranspose': Conv2DTranspose,
    'UpSampling2D': UpSampling2D,
    'ZeroPadding2D': ZeroPadding2D,
    'Cropping2D': Cropping2D,
    'MaxPooling1D': MaxPooling1D,
    'AveragePooling1D': AveragePooling1D,
    'MaxPooling2D': MaxPooling2D,
    'AveragePooling2D': AveragePooling2D,
    'GlobalMaxPooling1D': GlobalMaxPooling1D,
    'GlobalAveragePooling1D': GlobalAveragePooling1D,
    'GlobalMaxPooling2D': GlobalMaxPooling2D,
    'GlobalAveragePooling2D': GlobalAveragePooling2D,
    'strata>AdaptivePooling2D': AdaptivePooling2D,
    'BatchNormalization': BatchNormalization,
    'LayerNormalization': LayerNormalization,
    'strata>GroupNormalization': GroupNormalization,
    'Embedding': Embedding,
    'strata>PositionalEncoding': PositionalEncoding,
    'strata>PositionalEmbedding': PositionalEmbedding,
    'strata>MultiHeadAttention': MultiHeadAttention,
    'strata>Attention': DotAttention,
    'strata>TransformerEncoder': TransformerEncoder,
    'strata>TransformerDecoder': TransformerDecoder,
    'strata>MixtureOfExperts': MixtureOfExperts,
    'SimpleRNN': SimpleRNN,
    'LSTM': LSTM,
    'GRU': GRU,
    'strata>GRU': GRU,
    'Bidirectional': Bidirectional,
    'TimeDistributed': TimeDistributed,
    'Add': Add,
    'Subtract': Subtract,
    'Multiply': Multiply,
    'Average': Average,
    'Maximum': Maximum,
    'Minimum': Minimum,
    'Concatenate': Concatenate,
}

#: The TF.js class names build_model implements.
SUPPORTED_CLASSES = frozenset(LAYER_CLASSES)


# --------------------------------------------------------------------------
# The model


def _node_inputs(node):
    """One inbound node ([[name, node_index, tensor_index, kwargs], ...], or Keras 3's dict form) as (name, node, tensor) triples."""
    out = []
    for entry in node:
        if isinstance(entry, dict):
            raise NotImplementedError('Keras 3 inbound node format is not supported')
        out.append((entry[0], int(entry[1]), int(entry[2])))
    return out


class StrataModel(nn.Module):
    """A TF.js functional model as a torch module; see the module's doc."""

    def __init__(self, topology, carry_state=False):
        super().__init__()
        t = topology
        if 'model_config' in t:
            t = t['model_config']
        cfg = t['config'] if 'config' in t and isinstance(t['config'], dict) and 'layers' in t['config'] else t
        if t.get('class_name') == 'Sequential':
            raise NotImplementedError('Sequential topologies are not supported; strata writes functional models')
        self.layers_by_name = nn.ModuleDict()
        self.order = []  # layer names, config order (= TF.js model.layers order)
        self.inbound = {}  # name -> list of nodes (each a list of (name, node, tensor))
        for lc in cfg['layers']:
            cls = LAYER_CLASSES.get(lc['class_name'])
            if cls is None:
                raise NotImplementedError(f"layer {lc['name']}: TensorFlow.js class {lc['class_name']} is not supported by the torch engine")
            name = lc['name']
            self.layers_by_name[_key(name)] = cls(lc.get('config', {}), name)
            self.order.append(name)
            self.inbound[name] = [_node_inputs(n) for n in lc.get('inbound_nodes', [])]
        self.input_refs = [(e[0], int(e[1]), int(e[2])) for e in cfg['input_layers']]
        outs = cfg['output_layers']
        if len(outs) != 1:
            raise NotImplementedError(f'the model has {len(outs)} outputs; the torch engine supports one')
        self.output_ref = (outs[0][0], int(outs[0][1]), int(outs[0][2]))
        self.calls = self._schedule()
        self.carry_state = carry_state
        self.carrying = [self.layer(n) for n in self.order if isinstance(self.layer(n), _RNN) and self.layer(n).carries]
        for l in self.carrying:
            l.carry = carry_state
        self._dry_run(cfg)
        self._names = []
        self._where = {}  # weight name -> (layer module, attribute)
        trainable, frozen = [], []
        for n in self.order:
            for wname, module, attr, tr in self.layer(n).weight_slots():
                (trainable if tr else frozen).append(wname)
                self._where[wname] = (module, attr)
        self._names = trainable + frozen
        self._trainable = trainable

    def layer(self, name):
        return self.layers_by_name[_key(name)]

    def _schedule(self):
        """The (layer, node) calls in an order where every input is computed first."""
        done, calls = set(), []

        def visit(ref, stack):
            name, node = ref
            if ref in done:
                return
            if ref in stack:
                raise ValueError(f'the topology has a cycle through {name}')
            stack.add(ref)
            if name not in self.inbound:
                raise ValueError(f'the topology refers to an unknown layer {name}')
            nodes = self.inbound[name]
            ins = nodes[node] if node < len(nodes) else []
            for n, k, _ in ins:
                visit((n, k), stack)
            stack.discard(ref)
            done.add(ref)
            calls.append((name, node, ins))

        for n, k, _ in self.input_refs:
            visit((n, k), set())
        visit(self.output_ref[:2], set())
        return calls

    def _dry_run(self, cfg):
        """Build every layer's weights by running a small batch (weight shapes follow from input shapes)."""
        specs = []
        for n, _, _ in self.input_refs:
            lc = next(l for l in cfg['layers'] if l['name'] == n)
            c = lc['config']
            shape = c.get('batch_input_shape') or c.get('batch_shape')
            dtype = c.get('dtype', 'float32')
            specs.append((shape[1:], dtype))
        last = None
        for fill in (1, 8, 32):
            xs = []
            for shape, dtype in specs:
                dims = [2] + [fill if d is None else d for d in shape]
                xs.append(torch.zeros(dims, dtype=torch.long) if dtype.startswith('int') else torch.zeros(dims))
            try:
                with torch.no_grad():
                    saved = [(l, l.state) for l in self.carrying]
                    self.forward(xs if len(xs) > 1 else xs[0], training=False)
                    for l, s in saved:
                        l.state = s
                return
            except NotImplementedError:
                raise
            except Exception as e:  # a free dimension too small for a window: try a longer one
                last = e
                if all(None not in s for s, _ in specs):
                    raise
        raise last

    # -- forward

    def forward(self, x, training=False):
        xs = list(x) if isinstance(x, (list, tuple)) else [x]
        if len(xs) != len(self.input_refs):
            raise ValueError(f'the model takes {len(self.input_refs)} inputs, given {len(xs)}')
        values = {}  # (layer, node) -> [(tensor, channels_first, mask)]
        for (n, k, _), t in zip(self.input_refs, xs):
            values[(n, k)] = [(t, False, None)]
        # TF.js's executor (tfjs-layers engine/executor.js) passes masks in one kwargs object shared by every
        # layer of the pass: once a layer's inputs carry a mask, kwargs.mask keeps it for every later layer
        # until another layer's inputs carry one, whether or not the layers between support masking.
        sticky = None
        for name, node, ins in self.calls:
            if (name, node) in values:
                continue
            layer = self.layer(name)
            got = [values[(n, k)][i] for n, k, i in ins]
            masks = [g[2] for g in got]
            if any(m is not None for m in masks):
                sticky = masks[0]
            y, cf = layer.run([(g[0], g[1]) for g in got], training, sticky)
            mask = layer.compute_mask([g[0] for g in got], masks)
            values[(name, node)] = [(y, cf, mask)]
        y, cf, _ = values[self.output_ref[:2]][self.output_ref[2]]
        return _to_cl(y) if cf else y

    # -- weights

    def weight_names(self):
        """Every TF.js weight, trainable and not, in the order of model.json's weights manifest."""
        return list(self._names)

    def trainable_names(self):
        return list(self._trainable)

    def tensor_of(self, name):
        """The Parameter (trainable) or buffer holding weight `name`, in TF.js's layout."""
        module, attr = self._where[name]
        return getattr(module, attr)

    def set_weights(self, weights):
        """Set weights by name from arrays in TF.js layouts (every weight must be given)."""
        missing = [n for n in self._names if n not in weights]
        if missing:
            raise ValueError(f'weights missing: {", ".join(missing)}')
        extra = [n for n in weights if n not in self._where]
        if extra:
            raise ValueError(f'unknown weights: {", ".join(extra)}')
        with torch.no_grad():
            for n in self._names:
                t = self.tensor_of(n)
                a = np.asarray(weights[n], dtype=np.float32)
                if tuple(a.shape) != tuple(t.shape):
                    if a.size != t.numel():
                        raise ValueError(f'weight {n}: shape {list(a.shape)}, the model has {list(t.shape)}')
                    a = a.reshape(tuple(t.shape))
                t.copy_(torch.from_numpy(a))

    def get_weights(self):
        return {n: self.tensor_of(n).detach().cpu().numpy().copy() for n in self._names}

    def extra_losses(self):
        """What TF.js's model.calculateLosses() adds: weight regularizers, and the mixture-of-experts balancing loss of the last training call."""
        out = []
        for n in self.order:
            out.extend(self.layer(n).losses())
        return out

    # -- carried recurrent state

    def set_carry_state(self, enabled):
        """Turn carrying on or off (the states held are kept; reset_states() drops them)."""
        self.carry_state = bool(enabled)
        for l in self.carrying:
            l.carry = self.carry_state

    def reset_states(self):
        """Start the next batch from zero states."""
        for l in self.carrying:
            l.state = None

    def get_states(self):
        """Each carrying layer's state (None, or [h] / [h, c] as float32 arrays), in model order."""
        return [None if l.state is None else [t.detach().cpu().numpy().copy() for t in l.state] for l in self.carrying]

    def set_states(self, states):
        if len(states) != len(self.carrying):
            raise ValueError(f'{len(states)} states given for {len(self.carrying)} recurrent layers')
        dev = self.tensor_of(self._names[0]).device if self._names else torch.device('cpu')
        for l, s in zip(self.carrying, states):
            l.state = None if s is None else [torch.as_tensor(np.asarray(a, dtype=np.float32), device=dev) for a in s]


def _key(name):
    """A layer name as a ModuleDict key (no dots)."""
    return name.replace('.', '_dot_')


def build_model(topology, carry_state=False):
    """The TF.js layers-model topology (model.json's modelTopology) as a StrataModel."""
    return StrataModel(topology, carry_state)
