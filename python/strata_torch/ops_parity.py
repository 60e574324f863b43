"""For strata's tests: the `train:` registry's entries on PyTorch, on the cases
test/torch/train-ops.test.ts writes (cases.json and raw float32 arrays in DIR),
answered as raw float32 arrays (DIR/out-N.bin) and out.json.

    python3 -m strata_torch.ops_parity DIR
"""
import json
import sys

import numpy as np
import torch

from .train_ops import LOSSES, METRICS, OPTIMIZERS, make_optimizer


def main(d):
    with open(f"{d}/cases.json", encoding="utf-8") as f:
        cases = json.load(f)

    def arr(a):
        return torch.from_numpy(np.fromfile(f"{d}/{a['file']}", dtype=np.float32).reshape(a["shape"]).copy())

    for i, c in enumerate(cases):
        if c["kind"] == "loss":
            out = LOSSES[c["name"]](arr(c["y"]), arr(c["p"]), c["smoothing"])
        elif c["kind"] == "metric":
            out = METRICS[c["name"]](arr(c["y"]), arr(c["p"]), c["context"])
        else:
            w = torch.nn.Parameter(arr(c["w"]))
            opt, _ = make_optimizer(c["name"], c["settings"], [w])
            grads = arr(c["grads"])
            for g in grads:
                w.grad = g.clone()
                opt.step()
            out = w.detach()
        np.ascontiguousarray(out.detach().double().numpy().astype(np.float32)).tofile(f"{d}/out-{i}.bin")
    with open(f"{d}/out.json", "w", encoding="utf-8") as f:
        json.dump({"losses": sorted(LOSSES), "metrics": sorted(METRICS), "optimizers": sorted(OPTIMIZERS)}, f)


if __name__ == "__main__":
    main(sys.argv[1])
