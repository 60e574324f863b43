"""
Pooling: MaxPooling1D/2D, AveragePooling1D/2D, the global poolings and
strata's AdaptivePooling2D (strata>AdaptivePooling2D, torch's adaptive pools).

TF.js behaviours matched: 'same' max pools ignore the padding, 'same' averages
exclude it from the count. Where TF.js's gradient of average pooling with 'same'
padding is wrong, torch's true gradient is kept.
"""
import torch
import torch.nn.functional as F

from .base import TLayer, _decode_strata, _pair, _same_pads


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
