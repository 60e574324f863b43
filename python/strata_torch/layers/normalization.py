"""
Normalization: BatchNormalization, LayerNormalization (both over the last axis
only) and strata's GroupNormalization (strata>GroupNormalization).

TF.js behaviours matched: batch normalization's moving variance follows the
biased batch variance, and its moving statistics decay by 1 − momentum; the
default epsilon is TF.js's 1e-3.
"""
import torch
import torch.nn.functional as F

from .base import TLayer, _decode_strata


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
