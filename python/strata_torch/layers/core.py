"""
TF.js's core layers: InputLayer, Dense, Activation, Dropout, Flatten, Reshape,
Permute, RepeatVector, and the activation layers LeakyReLU, ELU, ReLU, Softmax,
PReLU. Dense computes x·kernel with the kernel in TF.js's [in, out] layout;
softmax activations run over the last axis (so a softmax Activation takes
channels-last tensors only).
"""
import torch
import torch.nn.functional as F

from .base import _SOFTMAX, TLayer, _act_key, activate


class InputLayer(TLayer):
    def call(self, xs, training, cf):
        return xs[0]


class Dense(TLayer):
    passes_mask = True

    def build(self, shapes):
        c = self.cfg
        d = shapes[0][-1]
        self.kernel = self.add_weight('kernel', [d, c['units']], reg=c.get('kernel_regularizer'), layout=(1, 0))
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
