"""
Attention and transformer blocks: strata's custom layers (strata>MultiHeadAttention,
strata>Attention, strata>TransformerEncoder, strata>TransformerDecoder,
strata>MixtureOfExperts), with weights in Keras layouts (a query kernel
[d, heads, key_dim], an output kernel [heads, value_dim, d]) and the math of
src/layers/custom/math.ts: scaled dot products, a causal bias of -1e9, dropout
on the attention probabilities, pre- or post-norm residual blocks. The mixture
of experts adds its load-balancing loss of the last training call to losses().
"""
import math

import torch
import torch.nn.functional as F

from .base import TLayer, _decode_strata, activate


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
