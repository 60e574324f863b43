"""
Embeddings and positions: Embedding (with mask_zero: the mask it starts, see
graph.py for how TF.js passes it on), and strata's PositionalEmbedding (a
learned table added to the input) and PositionalEncoding (the fixed sinusoids,
sin on even channels and cos on odd ones, as strata computes them).
"""
import torch
import torch.nn.functional as F

from .base import TLayer, _decode_strata


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
