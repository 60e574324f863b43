"""
What every layer shares: the layer base class TLayer (TF.js weight names and
layouts, regularizers, masks, the channels-first flag), the activations by
TF.js name, and the helpers the families use (TF's 'same' padding, NHWC/NCHW
permutes, strata's hex-encoded custom-layer specs, Keras regularizer configs).

A layer computes on 4-D tensors channels-first when it says so (`cf_ok`: takes
and gives either; `cf_wants`: prefers NCHW); TLayer.run permutes its inputs to
what the layer wants, and builds its weights from the inputs' shapes (with
batch, channels-last) on the first call.
"""
import json
import re

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
    """NHWC to NCHW in torch's channels-last memory format: the same bytes as TF.js's layout (no copy
    when x is contiguous), and the format PyTorch's CPU convolutions and pools run fastest in (the bench
    cnn 1.5x faster than in contiguous NCHW, measured at 2 threads)."""
    return x.permute(0, 3, 1, 2).contiguous(memory_format=torch.channels_last)


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

    def add_weight(self, short, shape, trainable=True, reg=None, layout=None):
        """A weight of TF.js's `shape`. `layout`: the order of its axes in memory, for a layer whose torch
        operation runs fastest on another layout than TF.js's (Dense: (1, 0), torch's [out, in]; Conv2D:
        (3, 0, 1, 2), [out, kh, kw, in], torch's channels-last kernel). The weight is seen in TF.js's
        order all the same (names, shapes, checkpoints); gradients and optimizer slots follow the memory
        order (PyTorch's gradient layout contract). Measured on the bench models: cnn 1.3x, mlp 1.1x."""
        # Registered under the weight's own name, which is also the attribute the layer reads (so that
        # Module.to() moving a buffer, which replaces it, leaves no stale reference behind).
        attr = re.sub(r'\W', '_', short)
        if layout is not None:
            stored = torch.zeros(*[shape[i] for i in layout], dtype=torch.float32)
            t = stored.permute(*[list(layout).index(i) for i in range(len(layout))])
        else:
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
