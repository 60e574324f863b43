"""
Merges: Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate. They
take 4-D inputs channels-first or channels-last alike and pass masks on (the
inputs' masks and-ed).

Concatenate with a negative axis other than -1: TF.js 4.22 joins along the last
axis whatever the axis (its declared output shape disagrees); torch joins along
the axis given.
"""
import torch

from .base import TLayer


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
