"""One training session on PyTorch, driven by strata (Node) command by command.

init      build the model from the TensorFlow.js topology, load the weights
          strata initialized (or resumed), read the splits, make the optimizer
epoch     train over the batches Node lists (its order, its learning rates),
          reporting losses a few times a second; Node may send `stop`
evaluate  a split's loss and metric statistics, training behaviour off
save      write the weights (and optimizer slots, carried states) for a checkpoint
"""
import base64
import json
import math
import os
import random
import time

import numpy as np
import torch

from .distributed import World
from .graph import build_model
from .train_ops import LOSSES, METRICS, clip_gradients, confusion_stats, make_optimizer, optimizer_slots, set_optimizer_slots

REPORT_EVERY = 0.15  # seconds between progress events, as the tfjs engine reads its losses

DTYPES = {"float32": np.float32, "int32": np.int32}


def read_array(spec):
    """A raw little-endian array file described as {file, dtype, shape}."""
    a = np.fromfile(spec["file"], dtype=DTYPES[spec["dtype"]])
    return torch.from_numpy(a.reshape(spec["shape"]))


def states_snapshot(states):
    """Carried recurrent states as a checkpoint's meta.json keeps them (src/train/carry-state.ts's
    CarriedSnapshot): per carrying layer null, or its tensors as shape and float32 bytes in base64."""
    return [None if s is None else [{"shape": list(a.shape), "data": base64.b64encode(np.ascontiguousarray(a, dtype="<f4").tobytes()).decode()} for a in s] for s in states]


def snapshot_states(snapshot):
    return [None if s is None else [np.frombuffer(base64.b64decode(t["data"]), dtype="<f4").reshape(t["shape"]) for t in s] for s in snapshot]


def write_arrays(path, tensors):
    with open(path, "wb") as f:
        for t in tensors:
            f.write(np.ascontiguousarray(t.detach().cpu().numpy().astype(np.float32, copy=False)).tobytes())


def part_of_mean(per, n, rows):
    """This worker's share of a global batch's mean loss: the sum of its `rows` examples' losses
    (`per`, one or more values each) over the n examples of the batch; summed over the workers,
    the batch's mean."""
    return per.sum() / (n * (per.numel() // rows))


class UsageProblem(Exception):
    """A problem of the user's (exit 2 in strata), at a place such as an option."""

    def __init__(self, place, message):
        super().__init__(message)
        self.place = place


class ThreadChoice:
    """The faster of one thread and every core, timed on the first training steps
    (real steps, nothing wasted): on a small model a second thread can cost more
    in synchronization than it gives, more so when another program is busy."""

    # After each change of the thread count, steps are not timed for at least WARM steps and
    # WARM_SECONDS (the first steps on two threads run slow: with two steps only, one thread
    # won for the bench cnn in one run of five, at 0.6 of its two-thread speed); then at least
    # TIMED_MIN steps are timed, and up to TIMED or TIMED_SECONDS, so that models with slow
    # steps (34 ms for gru_text) do not spend a short epoch choosing.
    WARM, WARM_SECONDS = 2, 0.02
    TIMED_MIN, TIMED, TIMED_SECONDS = 3, 8, 0.1
    MARGIN = 1.2

    def restart(self):
        """Time both again (the start of an epoch: the machine's load may have changed)."""
        self.__init__(self.plan[-1])

    def __init__(self, cores):
        self.plan = [1, cores]
        self.times = {t: [] for t in self.plan}
        self.phase = 0
        self.seen = 0
        self.warmed = 0.0
        self.chosen = None
        torch.set_num_threads(self.plan[0])

    def tick(self, seconds):
        """After a step of `seconds`; returns the choice once made (else None)."""
        if self.chosen is not None:
            return None
        t = self.plan[self.phase]
        self.seen += 1
        if self.seen <= self.WARM or self.warmed < self.WARM_SECONDS:
            self.warmed += seconds
            return None
        self.times[t].append(seconds)
        one = self.times[1]
        if self.phase > 0 and seconds > 2 * sorted(one)[len(one) // 2]:
            pass  # clearly slower already (a busy machine): no need to time the rest
        elif len(self.times[t]) < self.TIMED_MIN or (len(self.times[t]) < self.TIMED and sum(self.times[t]) < self.TIMED_SECONDS):
            return None
        self.phase += 1
        self.seen = 0
        self.warmed = 0.0
        if self.phase < len(self.plan):
            torch.set_num_threads(self.plan[self.phase])
            return None
        median = {k: sorted(v)[len(v) // 2] for k, v in self.times.items()}
        # More threads only when clearly faster: when another program takes a core, the
        # threads wait on each other (10x slower, measured), and a close call can flip.
        many = self.plan[-1]
        self.chosen = many if median[many] < median[1] / self.MARGIN else 1
        torch.set_num_threads(self.chosen)
        return {"threads": self.chosen, "step_seconds": median}


class StatSums:
    """A split's summed statistics in the registry's layout: loss·n and n, then each metric's (and the
    confusion matrix's). Batches are kept and their metric statistics computed several at a time, on
    the batches joined: a batch's few small tensor operations cost more than a small model's training
    step (the bench mlp with accuracy: about 60 µs of a 930 µs step, measured), and the sums are the same."""

    ELEMENTS = 1 << 20  # outputs kept before their statistics are computed (4 MB of float32)

    def __init__(self, session, confusion=False):
        self.session = session
        self.confusion = confusion
        self.loss = 0.0
        self.n = 0
        self.metric = None
        self.kept = []
        self.kept_elements = 0

    def add(self, loss_mean, n, y, p):
        """A batch of n examples (the global batch's, with several workers) and its mean loss; y and p: this worker's examples (None: none)."""
        self.loss += loss_mean * n
        self.n += n
        if y is None or not (self.session.metrics or self.confusion):
            return
        self.kept.append((y, p))
        self.kept_elements += p.numel()
        if self.kept_elements >= self.ELEMENTS:
            self._flush()

    def _flush(self):
        if not self.kept:
            return
        ys, ps = zip(*self.kept)
        self.kept, self.kept_elements = [], 0
        s = self.session._metric_stats(torch.cat(ys), torch.cat(ps), self.confusion)
        if s is not None:
            self.metric = s if self.metric is None else self.metric + s

    def tolist(self):
        """The sums; with several workers, the metrics' summed over all (the loss and count are the global batches' already)."""
        self._flush()
        metric = self.session.world.sum_lists([] if self.metric is None else self.metric.tolist())
        if self.n == 0:
            return []
        return [self.loss, float(self.n)] + metric


class Session:
    def __init__(self, emit, commands):
        self.emit = emit
        self.commands = commands
        self.model = None

    def handle(self, cmd):
        return getattr(self, "cmd_" + cmd["cmd"])(cmd)

    # ------------------------------------------------------------ init

    def cmd_init(self, c):
        device = c["device"]
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        elif device.startswith("cuda") and not torch.cuda.is_available():
            raise UsageProblem(f"--device {device}", f"PyTorch {torch.__version__} sees no CUDA device; train with --device cpu")
        self.device = torch.device(device)
        self.world = World.from_env()
        self.world.join(self.device, c.get("join_timeout", 300), c.get("fingerprint", {}), UsageProblem)
        cores = os.cpu_count() or 1
        self.threads = None
        if c.get("threads"):
            torch.set_num_threads(c["threads"])
        elif self.world.parallel:
            # The machine's cores shared among its workers.
            torch.set_num_threads(max(1, cores // self.world.local_size))
        elif cores > 1 and device == "cpu":
            self.threads = ThreadChoice(cores)
        else:
            torch.set_num_threads(cores)
        self.seed = c["seed"]
        torch.manual_seed(self.seed)
        random.seed(self.seed)
        with open(c["topology_file"], encoding="utf-8") as f:
            topology = json.load(f)
        self.model = build_model(topology, carry_state=c["carry_state"]).to(self.device)
        self.weight_names = [w["name"] for w in c["weights"]]
        self._load_weights(c["weights"], c["weights_file"])
        # What training runs through: the model, or DistributedDataParallel over it.
        self.net = self.world.wrap(self.model)
        self.trainable = [self.model.tensor_of(n) for n in c["trainable"]]
        self.splits = {}
        for name, s in c["data"].items():
            self.splits[name] = (read_array(s["x"]).to(self.device), read_array(s["y"]).to(self.device))
        self.loss_name = c["loss"]
        self.loss_fn = LOSSES[c["loss"]]
        self.smoothing = c["label_smoothing"]
        self.metrics = c["metrics"]
        self.ctx = c["context"]
        cw = c.get("class_weights")
        self.class_weights = torch.tensor(cw, dtype=torch.float32, device=self.device) if cw else None
        self.clip_norm = c.get("clip_norm")
        self.clip_value = c.get("clip_value")
        self.opt, self.slot_names = make_optimizer(c["optimizer"]["type"], c["optimizer"]["settings"], self.trainable)
        self.steps = c.get("step", 0)
        carried = "fresh"
        if c.get("optimizer_state"):
            given = c["optimizer_state"]["slots"]
            if list(given) == list(self.slot_names):
                self._load_optimizer(c["optimizer_state"])
                carried = "carried"
            else:
                carried = f"not carried: the checkpoint's optimizer keeps {', '.join(given)}, this one {', '.join(self.slot_names) or 'nothing'}"
        self.grad_norms_every = c.get("grad_norms_every") or 0
        self.trainable_names = c["trainable"]
        return {"event": "ready", "optimizer_state": carried, "torch": torch.__version__, "threads": torch.get_num_threads(), "device": str(self.device)}

    def _load_weights(self, manifest, path):
        data = np.fromfile(path, dtype=np.float32)
        values, off = {}, 0
        for w in manifest:
            n = int(np.prod(w["shape"])) if w["shape"] else 1
            values[w["name"]] = data[off : off + n].reshape(w["shape"])
            off += n
        if off != data.size:
            raise ValueError(f"the weights file holds {data.size} numbers and the manifest {off}")
        self.model.set_weights(values)

    def _load_optimizer(self, s):
        """Slots as Node sent them: for each slot name, every trainable weight's values, float32, in order."""
        data = np.fromfile(s["file"], dtype=np.float32)
        off = 0
        per_slot = []
        for _ in s["slots"]:
            vals = []
            for p in self.trainable:
                n = p.numel()
                vals.append(torch.from_numpy(data[off : off + n].copy()).reshape(p.shape).to(self.device))
                off += n
            per_slot.append(vals)
        for i, p in enumerate(self.trainable):
            set_optimizer_slots(self.opt, s["slots"], p, [vals[i] for vals in per_slot], s["iterations"])

    # ------------------------------------------------------------ batches

    def _batch(self, split, idx):
        x, y = self.splits[split]
        xb = x.index_select(0, idx)
        if xb.dtype == torch.int32:
            xb = xb.long()
        return xb, y.index_select(0, idx)

    def _metric_stats(self, y, p, confusion):
        parts = [METRICS[m](y, p, self.ctx).reshape(-1).double().cpu() for m in self.metrics]
        if confusion:
            parts.append(confusion_stats(y, p, self.ctx).cpu())
        return torch.cat(parts) if parts else None

    def _example_weights(self, y, per_example):
        cw = self.class_weights
        if cw is None:
            return per_example
        kind = self.ctx["kind"]
        if kind == "sparse":
            w = cw[y.long()]
        elif kind == "binary":
            w = (y * cw[1] + (1 - y) * cw[0]).squeeze(-1)
        else:
            w = (y * cw).sum(-1)
        while w.dim() < per_example.dim():
            w = w.unsqueeze(-1)
        return per_example * w.reshape(w.shape[: per_example.dim()])

    @staticmethod
    def _read_batches(c):
        flat = torch.from_numpy(np.fromfile(c["indices_file"], dtype=np.int32).astype(np.int64))
        offsets = np.fromfile(c["offsets_file"], dtype=np.int32).tolist()
        return flat, offsets

    def _stop_requested(self):
        try:
            while True:
                cmd = self.commands.get_nowait()
                if cmd["cmd"] in ("stop", "quit"):
                    return True
        except Exception:  # noqa: BLE001 - queue.Empty
            return False

    # ------------------------------------------------------------ epoch

    def cmd_epoch(self, c):
        # For strata's tests: fail in a given epoch, as a bug or a bad input would.
        fail = os.environ.get("STRATA_TEST_TORCH_FAIL", "")
        if fail == f"epoch:{c['epoch'] + 1}":
            raise RuntimeError(f"injected failure in epoch {c['epoch'] + 1}")
        flat, offsets = self._read_batches(c)
        # Dropout's masks from the seed, the epoch and the batch it starts at: a run resumed at an
        # epoch's end draws what the uninterrupted run would have.
        # Each worker draws its own (for its own examples).
        torch.manual_seed((self.seed * 1_000_003 + c["epoch"] * 7_919 + c["first_batch"] + self.world.rank * 104_729) % (2**63))
        lrs = np.fromfile(c["lrs_file"], dtype=np.float64).tolist()
        first = c["first_batch"]
        model, opt = self.model, self.opt
        model.train()
        if c.get("states_file"):
            with open(c["states_file"], encoding="utf-8") as f:
                self.model.set_states(snapshot_states(json.load(f)))
        elif getattr(model, "carry_state", False):
            model.reset_states()
        sums = StatSums(self)
        samples = 0
        pending = []
        last = time.perf_counter()
        norms = []
        # Augmented inputs (Node draws them, from the seed): the epoch's rows in batch order.
        x_epoch = read_array(c["x_file"]).to(self.device) if c.get("x_file") else None
        if self.threads is not None and c["epoch"] > 0 and len(offsets) - 1 - first >= 500:
            self.threads.restart()
        world = self.world
        for b in range(first, len(offsets) - 1):
            t_step = time.perf_counter()
            n = offsets[b + 1] - offsets[b]
            # This worker's shard of the batch (all of it with one worker); an empty one runs
            # one example with weight zero, since every worker takes part in every exchange.
            start, end = world.shard(n)
            weight = 1.0 if end > start else 0.0
            if end == start:
                start, end = 0, 1
            idx = flat[offsets[b] + start : offsets[b] + end].to(self.device)
            x, y = self._batch("train", idx)
            if x_epoch is not None:
                x = x_epoch[offsets[b] - offsets[first] + start : offsets[b] - offsets[first] + end]
                x = x.long() if x.dtype == torch.int32 else x
            lr = lrs[b - first]
            for g in opt.param_groups:
                g["lr"] = lr
            opt.zero_grad(set_to_none=True)
            out = self.net(x, training=True)
            per = self._example_weights(y, self.loss_fn(y, out, self.smoothing))
            if world.parallel:
                # The shard's part of the global batch's mean; the workers' average of W times it is the mean's gradient.
                data = part_of_mean(per, n, end - start) * weight
                loss = data * world.size
            else:
                loss = per.mean()
            extras = model.extra_losses()
            for extra in extras:
                loss = loss + extra
            loss.backward()
            if self.grad_norms_every and self.steps % self.grad_norms_every == 0:
                norms.append({"step": self.steps, "norms": {n: float(p.grad.norm()) if p.grad is not None else 0.0 for n, p in zip(self.trainable_names, self.trainable)}})
            if self.clip_norm is not None or self.clip_value is not None:
                clip_gradients(self.trainable, self.clip_norm, self.clip_value)
            opt.step()
            self.steps += 1
            stop = False
            if world.parallel:
                # The batch's loss, and whether any worker was asked to stop, summed over the workers:
                # every worker stops (or finds a non-finite loss) at the same batch.
                data_sum, stops = world.sum([data.item(), 1.0 if self._stop_requested() else 0.0])
                value = data_sum + sum(float(e) for e in extras)
                stop = stops > 0
            else:
                value = loss.item()
            samples += n
            if not math.isfinite(value):
                return {"event": "epoch_end", "kind": "non_finite", "batch": b, "steps": self.steps}
            sums.add(value, n, *((y, out.detach()) if weight > 0 else (None, None)))
            pending.append([b + 1, samples, value])
            now = time.perf_counter()
            if self.threads is not None:
                chosen = self.threads.tick(now - t_step)
                if chosen is not None:
                    self.emit({"event": "threads", **chosen})
            if now - last > REPORT_EVERY:
                self.emit({"event": "progress", "batches": pending, "grad_norms": norms})
                pending, norms, last = [], [], now
                if not world.parallel:
                    stop = self._stop_requested()
            if stop:
                return self._epoch_end("interrupted", b + 1, sums, samples, pending, norms)
        return self._epoch_end("done", len(offsets) - 1, sums, samples, pending, norms)

    def _epoch_end(self, kind, batch, sums, samples, pending, norms):
        return {
            "event": "epoch_end",
            "kind": kind,
            "batch": batch,
            "steps": self.steps,
            "sums": sums.tolist(),
            "samples": samples,
            "batches": pending,
            "grad_norms": norms,
        }

    # ------------------------------------------------------------ evaluate

    def cmd_evaluate(self, c):
        flat, offsets = self._read_batches(c)
        model = self.model
        model.eval()
        if getattr(model, "carry_state", False):
            model.reset_states()
        sums = StatSums(self, confusion=bool(c.get("confusion")))
        world = self.world
        with torch.no_grad():
            for b in range(len(offsets) - 1):
                n = offsets[b + 1] - offsets[b]
                start, end = world.shard(n)
                if end == start:
                    (value,) = world.sum([0.0])  # this worker's part of the batch: none
                    sums.add(value, n, None, None)
                    continue
                idx = flat[offsets[b] + start : offsets[b] + end].to(self.device)
                x, y = self._batch(c["split"], idx)
                out = model(x, training=False)
                per = self.loss_fn(y, out, 0.0)
                if world.parallel:
                    (value,) = world.sum([part_of_mean(per, n, end - start).item()])
                else:
                    value = per.mean().item()
                sums.add(value, n, y, out)
        if getattr(model, "carry_state", False):
            model.reset_states()
        return {"event": "evaluated", "sums": sums.tolist()}

    # ------------------------------------------------------------ save

    def cmd_save(self, c):
        weights = self.model.get_weights()
        write_arrays(c["weights_file"], [torch.from_numpy(np.asarray(weights[n], dtype=np.float32)) for n in self.weight_names])
        slots = []
        for name in self.slot_names:
            slots.extend(optimizer_slots(self.opt, [name], p)[0] for p in self.trainable)
        write_arrays(c["optimizer_file"], slots)
        out = {"event": "saved", "slots": list(self.slot_names), "iterations": self.steps}
        if c.get("states_file") and getattr(self.model, "carry_state", False):
            with open(c["states_file"], "w", encoding="utf-8") as f:
                json.dump(states_snapshot(self.model.get_states()), f)
            out["states"] = True
        return out
