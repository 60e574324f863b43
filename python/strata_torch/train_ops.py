"""The `train:` section's entries on PyTorch: losses, metric statistics and
optimizers, each under its name in strata's training registry
(src/train-registry/), computed as TensorFlow.js computes them there.

Learning-rate schedules are not here: strata (Node) computes the rate of
every step from the registry and sends them, so a schedule exists once.
Metrics are sums of sufficient statistics, in the layout of the registry's
`stats` functions; Node turns the sums into the metric with the registry's
`result`, so only the per-batch statistics are written twice (and the parity
test holds the two to each other).
"""
import math

import torch

EPS = 1e-7
AUC_BUCKETS = 200


# ---------------------------------------------------------------- losses

def _cross_entropy(target, p, smooth):
    k = p.shape[-1]
    if smooth > 0:
        target = target * (1 - smooth) + smooth / k
    return -(target * torch.log(p.clamp(EPS, 1 - EPS))).sum(-1)


def _sparse_ce(y, p, smooth):
    k = p.shape[-1]
    ids = y.reshape(p.shape[:-1]).long()
    if smooth > 0:
        return _cross_entropy(torch.nn.functional.one_hot(ids, k).to(p.dtype), p, smooth)
    # The same value as the one-hot form without building it.
    return -torch.log(p.gather(-1, ids.unsqueeze(-1)).squeeze(-1).clamp(EPS, 1 - EPS))


def _binary_ce(y, p, smooth):
    target = y * (1 - smooth) + smooth / 2 if smooth > 0 else y
    q = p.clamp(EPS, 1 - EPS)
    return -(target * torch.log(q) + (1 - target) * torch.log(1 - q)).mean(-1)


def _huber(y, p):
    e = (p - y).abs()
    quad = e.clamp(max=1)
    return (0.5 * quad * quad + (e - quad)).mean(-1)


LOSSES = {
    "categorical_crossentropy": lambda y, p, s: _cross_entropy(y, p, s),
    "sparse_categorical_crossentropy": _sparse_ce,
    "binary_crossentropy": _binary_ce,
    "mean_squared_error": lambda y, p, s: ((p - y) ** 2).mean(-1),
    "mean_absolute_error": lambda y, p, s: (p - y).abs().mean(-1),
    "huber": lambda y, p, s: _huber(y, p),
}


# ---------------------------------------------------------------- metrics

def _class_ids(y, p, ctx):
    if ctx["kind"] == "binary":
        return (y.reshape(-1) >= 0.5).long(), (p.reshape(-1) > 0.5).long()
    q = p.argmax(-1).reshape(-1)
    t = y.reshape(-1).long() if ctx["kind"] == "sparse" else y.argmax(-1).reshape(-1)
    return t, q


def _k(ctx):
    return 2 if ctx["kind"] == "binary" else ctx["classes"]


def confusion_stats(y, p, ctx):
    k = _k(ctx)
    t, q = _class_ids(y, p, ctx)
    return torch.bincount(t * k + q, minlength=k * k)[: k * k].double()


def _accuracy(y, p, ctx):
    t, q = _class_ids(y, p, ctx)
    return torch.stack([(t == q).sum().double(), torch.tensor(float(t.numel()), dtype=torch.float64)])


def _top_k(y, p, ctx):
    k = ctx["classes"]
    flat = p.reshape(-1, k)
    t = y.reshape(-1).long() if ctx["kind"] == "sparse" else y.reshape(-1, k).argmax(-1)
    target_score = flat.gather(-1, t.unsqueeze(-1))
    higher = (flat > target_score).sum(-1)
    return torch.stack([(higher < min(ctx["topK"], k)).sum().double(), torch.tensor(float(t.numel()), dtype=torch.float64)])


def _auc(y, p, ctx):
    c = ctx["classes"]
    if ctx["kind"] == "binary":
        score, label = p.reshape(-1), y.reshape(-1).to(p.dtype)
    else:
        score = p.reshape(-1, c)[:, c - 1]
        label = (y.reshape(-1) == c - 1).to(p.dtype) if ctx["kind"] == "sparse" else y.reshape(-1, c)[:, c - 1].to(p.dtype)
    bucket = torch.floor(score * AUC_BUCKETS).clamp(0, AUC_BUCKETS - 1).long()
    pos = torch.zeros(AUC_BUCKETS, dtype=torch.float64).index_add_(0, bucket, label.double())
    neg = torch.zeros(AUC_BUCKETS, dtype=torch.float64).index_add_(0, bucket, (1 - label).double())
    return torch.cat([pos, neg])


def _pair(total, n):
    return torch.stack([total.double(), torch.tensor(float(n), dtype=torch.float64)])


def _r2(y, p, ctx):
    c = ctx["classes"]
    t = y.float().reshape(-1, c)
    q = p.reshape(-1, c)
    return torch.cat([((q - t) ** 2).sum(0).double(), t.sum(0).double(), (t * t).sum(0).double(), torch.tensor([float(t.shape[0])], dtype=torch.float64)])


def _cross_entropy_stats(y, p, ctx):
    k = ctx["classes"]
    flat = p.reshape(-1, k)
    if ctx["kind"] == "sparse":
        picked = flat.gather(-1, y.reshape(-1, 1).long()).squeeze(-1)
        nll = -torch.log(picked.clamp(EPS, 1))
    else:
        nll = -(y.reshape(-1, k) * torch.log(flat.clamp(EPS, 1))).sum(-1)
    return _pair(nll.sum(), nll.shape[0])


METRICS = {
    "accuracy": _accuracy,
    "top_k_accuracy": _top_k,
    "precision": confusion_stats,
    "recall": confusion_stats,
    "f1": confusion_stats,
    "auc": _auc,
    "mae": lambda y, p, ctx: _pair((p - y).abs().sum(), y.numel()),
    "rmse": lambda y, p, ctx: _pair(((p - y) ** 2).sum(), y.numel()),
    "mape": lambda y, p, ctx: _pair(((p - y).abs() / y.abs().clamp(min=EPS)).sum(), y.numel()),
    "r2": _r2,
    "perplexity": _cross_entropy_stats,
    "bits_per_character": _cross_entropy_stats,
}


# ---------------------------------------------------------------- optimizers

class _Slots(torch.optim.Optimizer):
    """A TensorFlow.js optimizer written out: its slots named as TensorFlow.js names them."""

    slots = ()


class RMSprop(_Slots):
    """TensorFlow.js's RMSProp: ms ← ρ·ms + (1−ρ)·g²; mom ← μ·mom + lr·g/√(ms+ε); w ← w − mom."""

    slots = ("rms", "momentum")

    def __init__(self, params, lr, rho, momentum, eps):
        super().__init__(params, dict(lr=lr, rho=rho, momentum=momentum, eps=eps))

    @torch.no_grad()
    def step(self):
        for g in self.param_groups:
            for p in g["params"]:
                if p.grad is None:
                    continue
                st = self.state[p]
                if "rms" not in st:
                    st["rms"] = torch.zeros_like(p)
                    st["momentum"] = torch.zeros_like(p)
                ms, mom = st["rms"], st["momentum"]
                ms.mul_(g["rho"]).addcmul_(p.grad, p.grad, value=1 - g["rho"])
                mom.mul_(g["momentum"]).add_(p.grad / (ms + g["eps"]).sqrt(), alpha=g["lr"])
                p.sub_(mom)


class Adagrad(_Slots):
    """TensorFlow.js's Adagrad: acc ← acc + g²; w ← w − lr·g/√(acc+1e-7), acc starting at initial_accumulator_value."""

    slots = ("accumulator",)

    def __init__(self, params, lr, initial):
        super().__init__(params, dict(lr=lr, initial=initial))

    @torch.no_grad()
    def step(self):
        for g in self.param_groups:
            for p in g["params"]:
                if p.grad is None:
                    continue
                st = self.state[p]
                if "accumulator" not in st:
                    st["accumulator"] = torch.full_like(p, g["initial"])
                acc = st["accumulator"]
                acc.addcmul_(p.grad, p.grad)
                p.sub_(g["lr"] * p.grad / (acc + EPS).sqrt())


OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop", "adagrad")


def make_optimizer(kind, s, params):
    """The optimizer of a registry entry with its settings; and the names of its slots per weight, in TensorFlow.js's order."""
    lr = s["learning_rate"]
    if kind == "sgd":
        if s.get("momentum", 0) > 0:
            return torch.optim.SGD(params, lr=lr, momentum=s["momentum"], nesterov=bool(s.get("nesterov"))), ("momentum",)
        return torch.optim.SGD(params, lr=lr), ()
    if kind in ("adam", "adamw"):
        # TensorFlow.js's Adam is PyTorch's formula: lr·m̂/(√v̂ + ε) with bias-corrected moments.
        # AdamW decays w ← w − lr·λ·w before the step, as strata's loop does.
        betas = (s["beta_1"], s["beta_2"])
        if kind == "adamw":
            return torch.optim.AdamW(params, lr=lr, betas=betas, eps=s["epsilon"], weight_decay=s["weight_decay"]), ("m", "v")
        return torch.optim.Adam(params, lr=lr, betas=betas, eps=s["epsilon"]), ("m", "v")
    if kind == "rmsprop":
        return RMSprop(params, lr, s["rho"], s["momentum"], s["epsilon"]), ("rms", "momentum")
    if kind == "adagrad":
        return Adagrad(params, lr, s["initial_accumulator_value"]), ("accumulator",)
    raise ValueError(f"the torch engine has no optimizer {kind!r}")


# torch's own optimizers keep TensorFlow.js's slots under other names.
_TORCH_SLOT = {"m": "exp_avg", "v": "exp_avg_sq", "momentum": "momentum_buffer"}


def optimizer_slots(opt, names, p):
    """A weight's slots, in `names` order (zeros before its first step)."""
    st = opt.state.get(p, {})
    out = []
    for n in names:
        key = n if isinstance(opt, _Slots) else _TORCH_SLOT[n]
        v = st.get(key)
        if v is None:
            v = torch.full_like(p, opt.param_groups[0]["initial"]) if n == "accumulator" else torch.zeros_like(p)
        out.append(v.detach())
    return out


def set_optimizer_slots(opt, names, p, values, steps):
    st = opt.state[p]
    for n, v in zip(names, values):
        key = n if isinstance(opt, _Slots) else _TORCH_SLOT[n]
        st[key] = torch.empty_like(p).copy_(v)  # in the weight's stored order (see TLayer.add_weight)
    if isinstance(opt, (torch.optim.Adam, torch.optim.AdamW)):
        st["step"] = torch.tensor(float(steps))


def clip_gradients(params, clip_norm, clip_value):
    """By global norm (scale = c / max(‖g‖, c), as strata's loop), then by value."""
    grads = [p.grad for p in params if p.grad is not None]
    if clip_norm is not None and grads:
        norm = torch.sqrt(sum((g * g).sum() for g in grads))
        scale = clip_norm / torch.clamp(norm, min=clip_norm)
        for g in grads:
            g.mul_(scale)
    if clip_value is not None:
        for g in grads:
            g.clamp_(-clip_value, clip_value)


def is_finite(x):
    return math.isfinite(x)
