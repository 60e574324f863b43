"""
Wrappers: Bidirectional (over SimpleRNN, LSTM or GRU; a forward and a
backward copy of the inner layer, weights named as TF.js names them, outputs
merged by merge_mode) and TimeDistributed (any other layer in the class table,
applied to every step with the time axis folded into the batch).
"""
import torch

from .base import TLayer, _to_cl
from .recurrent import _RNN_CLASSES


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
        from . import LAYER_CLASSES  # the class table imports this module

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
