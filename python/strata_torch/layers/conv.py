"""
Convolutions and the image-shaping layers around them: Conv1D, Conv2D,
DepthwiseConv2D, SeparableConv2D, Conv2DTranspose, UpSampling2D,
ZeroPadding2D, Cropping2D. Kernels are held in TF.js's layouts
([kh, kw, in, out]; Conv2DTranspose [kh, kw, out, in]) and permuted to torch's
when computing.

TF.js behaviours matched: 'same' padding puts the odd extra row/column after
(padded explicitly when torch's symmetric padding cannot express it); Conv1D's
'causal' padding; Conv2DTranspose's output size. UpSampling2D's bilinear mode
is TF's legacy resize (no half-pixel centres, no aligned corners). Where TF.js's
gradient of nearest and bilinear resizing is wrong, torch's true gradient is
kept.
"""
import torch
import torch.nn.functional as F

from .base import TLayer, _pair, _same_pads, activate


class Conv2D(TLayer):
    cf_ok = cf_wants = True

    def build(self, shapes):
        c = self.cfg
        kh, kw = _pair(c['kernel_size'])
        self.kernel = self.add_weight('kernel', [kh, kw, shapes[0][-1], c['filters']], reg=c.get('kernel_regularizer'), layout=(3, 0, 1, 2))
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


def _sides(p):
    """Keras's padding or cropping of an image: n, [h, w] or [[top, bottom], [left, right]], as (top, bottom, left, right)."""
    if isinstance(p, list) and isinstance(p[0], list):
        (t, b), (l, r) = p
        return t, b, l, r
    ph, pw = _pair(p)
    return ph, ph, pw, pw


class ZeroPadding2D(TLayer):
    cf_ok = True

    def call(self, xs, training, cf):
        t, b, l, r = _sides(self.cfg.get('padding', 1))
        x = xs[0]
        if cf:
            return F.pad(x, (l, r, t, b))
        return F.pad(x, (0, 0, l, r, t, b))


class Cropping2D(TLayer):
    cf_ok = True

    def call(self, xs, training, cf):
        t, b, l, r = _sides(self.cfg.get('cropping', 0))
        x = xs[0]
        hd, wd = (2, 3) if cf else (1, 2)
        x = x.narrow(hd, t, x.shape[hd] - t - b)
        return x.narrow(wd, l, x.shape[wd] - l - r)
