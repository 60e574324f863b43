"""Data-parallel training across processes and machines (`strata train --workers N`,
`--nodes N --node-rank R --master HOST:PORT`), on torch.distributed.

strata (Node) starts every worker process itself, as torchrun would, with
MASTER_ADDR, MASTER_PORT, RANK, LOCAL_RANK, WORLD_SIZE and LOCAL_WORLD_SIZE in
its environment, and sends every worker the same commands. Each worker holds
the whole model and trains on its shard of every global batch (consecutive
slices, sizes differing by one at most); DistributedDataParallel averages the
gradients (gloo on the CPU, NCCL on GPUs). A worker's data loss is its shard's
sum over the global batch's count, times the worker count, so the average is
the gradient of the global batch's mean loss whatever the shards' sizes; layer
losses (regularizers) are added whole on every worker. The batch's loss, the
stop request and the metric statistics are summed across workers, so every
worker, and every node's strata, sees the same figures and decides alike.

A worker with nothing in its shard (a last batch smaller than the worker count)
runs one example of the batch with weight zero: every worker must take part in
every gradient exchange.
"""
import datetime
import os

import torch
import torch.distributed as dist


class JoinProblem(Exception):
    """The workers could not meet: exit 1 with this sentence, no traceback."""

    plain = True


class World:
    """This worker's place among the others (one worker: size 1, nothing exchanged)."""

    def __init__(self, rank=0, size=1, local_size=1):
        self.rank = rank
        self.size = size
        self.local_size = local_size

    @classmethod
    def from_env(cls):
        size = int(os.environ.get("WORLD_SIZE", "1"))
        if size <= 1:
            return cls()
        return cls(int(os.environ["RANK"]), size, int(os.environ.get("LOCAL_WORLD_SIZE", "1")))

    @property
    def parallel(self):
        return self.size > 1

    def join(self, device, timeout_seconds, fingerprint, usage_problem):
        """Meet the other workers (rendezvous at MASTER_ADDR:MASTER_PORT), and check that all run the same strata, spec and data."""
        if not self.parallel:
            return
        host, port = os.environ["MASTER_ADDR"], os.environ["MASTER_PORT"]
        backend = "nccl" if device.type == "cuda" else "gloo"
        try:
            dist.init_process_group(backend, rank=self.rank, world_size=self.size, timeout=datetime.timedelta(seconds=timeout_seconds))
        except RuntimeError as e:
            text = str(e)
            if "ddress already in use" in text or "EADDRINUSE" in text:
                raise usage_problem("--master", f"port {port} on {host} is already in use; choose another port: --master {host}:PORT") from e
            if "imed out" in text or "imeout" in text:
                raise JoinProblem(
                    f"the {self.size} workers did not all join at {host}:{port} within {timeout_seconds:g} s: start the same command on every node "
                    f"(--node-rank 0 to N-1, the same --master), or wait longer with --join-timeout"
                ) from e
            raise
        if device.type == "cuda":
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        everyone = [None] * self.size
        dist.all_gather_object(everyone, fingerprint)
        for rank, theirs in enumerate(everyone):
            for key, mine in everyone[0].items():
                if theirs.get(key) != mine:
                    raise usage_problem(
                        "--nodes",
                        f"worker {rank} runs a different {key} than worker 0 ({theirs.get(key)} against {mine}): start the same strata with the same spec, data and --seed on every node",
                    )

    def shard(self, n):
        """This worker's slice [start, end) of a batch of n examples."""
        base, extra = divmod(n, self.size)
        start = self.rank * base + min(self.rank, extra)
        return start, start + base + (1 if self.rank < extra else 0)

    def wrap(self, model):
        """The module training runs through: DistributedDataParallel over the model when there are several workers."""
        if not self.parallel:
            return model
        if os.environ.get("STRATA_TEST_NO_GRADIENT_AVERAGE") == "1":
            # For strata's tests (a mutation): train each worker on its shard alone.
            return model
        return torch.nn.parallel.DistributedDataParallel(model, broadcast_buffers=True)

    def sum(self, values):
        """Floats summed over the workers (float64)."""
        t = torch.tensor(values, dtype=torch.float64)
        if self.parallel:
            dist.all_reduce(t)
        return t.tolist()

    def sum_lists(self, values):
        """Lists of floats summed element by element over the workers; an empty list counts as nothing."""
        if not self.parallel:
            return values
        everyone = [None] * self.size
        dist.all_gather_object(everyone, values)
        present = [v for v in everyone if v]
        if not present:
            return []
        return [sum(col) for col in zip(*present)]
