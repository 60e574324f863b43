"""
The Python half of test/torch/parity.test.ts: `python -m strata_torch.parity DIR`.

DIR/cases.json lists case folders. Each holds meta.json (the TF.js topology,
the weights' names and shapes, the inputs' shapes and dtypes, the mode) and
float32/int32 binaries: weights.bin (the weights concatenated in manifest
order), input_<i>.bin, r.bin. For each case this builds the model, loads the
weights and writes, next to them:
- mode 'grad': out.bin (the forward pass, training False) and grads.bin (the
  gradients of sum(output · R) for every trainable weight, in
  trainable_names() order);
- mode 'losses': out.bin (the sum of extra_losses() after a training-mode
  pass) and grads.bin (its gradients);
- mode 'train': after.bin (every weight after one training-mode forward pass,
  in manifest order: batch-norm moving statistics).
and result.json ({ok, error, output_shape, trainable, weights}). DIR/supported.json
lists the TF.js classes build_model implements.
"""
import json
import os
import sys
import traceback

import numpy as np
import torch

from .graph import SUPPORTED_CLASSES, build_model


def _read(path, dtype, shape):
    return np.fromfile(path, dtype=dtype).reshape(shape)


def run_case(folder):
    with open(os.path.join(folder, 'meta.json')) as f:
        meta = json.load(f)
    model = build_model(meta['topology'])
    flat = np.fromfile(os.path.join(folder, 'weights.bin'), dtype=np.float32)
    weights, at = {}, 0
    for w in meta['weights']:
        n = int(np.prod(w['shape'])) if w['shape'] else 1
        weights[w['name']] = flat[at:at + n].reshape(w['shape'])
        at += n
    names = model.weight_names()
    if names != [w['name'] for w in meta['weights']]:
        raise AssertionError(f"weight names/order differ: torch {names}, TF.js {[w['name'] for w in meta['weights']]}")
    model.set_weights(weights)
    xs = []
    for i, inp in enumerate(meta['inputs']):
        a = _read(os.path.join(folder, f'input_{i}.bin'), np.int32 if inp['dtype'] == 'int32' else np.float32, inp['shape'])
        xs.append(torch.from_numpy(a.astype(np.int64)) if inp['dtype'] == 'int32' else torch.from_numpy(a.copy()))
    x = xs if len(xs) > 1 else xs[0]
    result = {'ok': True, 'weights': names, 'trainable': model.trainable_names()}
    if meta['mode'] == 'carry':
        # Consecutive batches of one input, the LSTM/GRU states carried (a batch with fewer rows continues the first rows).
        model = build_model(meta['topology'], carry_state=True)
        model.set_weights(weights)
        outs = []
        snapshot = None
        with torch.no_grad():
            for i, xb in enumerate(xs):
                if i == 2:
                    snapshot = model.get_states()
                outs.append(model(xb, training=False).numpy().reshape(-1))
            # get_states/set_states: back to the states before batch 2, which then gives the same output.
            model.set_states(snapshot)
            again = model(xs[2], training=False).numpy().reshape(-1)
            if not np.array_equal(again, outs[2]):
                raise AssertionError('set_states(get_states()) does not give the same output')
            model.reset_states()
            first = model(xs[0], training=False).numpy().reshape(-1)
            if not np.array_equal(first, outs[0]):
                raise AssertionError('after reset_states the first batch gives another output')
        np.concatenate(outs).astype(np.float32).tofile(os.path.join(folder, 'out.bin'))
    elif meta['mode'] == 'train':
        with torch.no_grad():
            model(x, training=True)
        after = model.get_weights()
        np.concatenate([after[n].reshape(-1) for n in names]).astype(np.float32).tofile(os.path.join(folder, 'after.bin'))
    else:
        if meta['mode'] == 'losses':
            # The layer losses TF.js's calculateLosses() gives after a training pass (no dropout in these models).
            model(x, training=True)
            y = torch.stack([l.reshape(()) for l in model.extra_losses()]).sum()
            loss = y
        else:
            for t in xs:
                if t.dtype == torch.float32:
                    t.requires_grad_(True)
            y = model(x, training=False)
            r = torch.from_numpy(_read(os.path.join(folder, 'r.bin'), np.float32, list(y.shape)).copy())
            loss = (y * r).sum()
        result['output_shape'] = list(y.shape)
        params = [model.tensor_of(n) for n in model.trainable_names()]
        grads = torch.autograd.grad(loss, params, allow_unused=True, retain_graph=True) if params else []
        y.detach().numpy().astype(np.float32).tofile(os.path.join(folder, 'out.bin'))
        g = [(torch.zeros_like(p) if gr is None else gr).detach().reshape(-1).numpy() for p, gr in zip(params, grads)]
        (np.concatenate(g) if g else np.zeros(0, np.float32)).astype(np.float32).tofile(os.path.join(folder, 'grads.bin'))
        if meta['mode'] == 'grad' and all(t.dtype == torch.float32 for t in xs):
            gx = torch.autograd.grad((y * r).sum(), xs, allow_unused=True)
            np.concatenate([(torch.zeros_like(t) if g is None else g).detach().reshape(-1).numpy() for t, g in zip(xs, gx)]).astype(np.float32).tofile(
                os.path.join(folder, 'xgrads.bin'))
    return result


def gru_reset_after_selfcheck():
    """GRU reset_after=True through torch's fused GRU (gates permuted) against the step-by-step Keras formulas: max errors."""
    topology = {'class_name': 'Model', 'config': {
        'layers': [
            {'name': 'x', 'class_name': 'InputLayer', 'config': {'batch_input_shape': [None, 6, 3], 'dtype': 'float32'}, 'inbound_nodes': []},
            {'name': 'g', 'class_name': 'GRU', 'config': {'units': 4, 'reset_after': True, 'return_sequences': True, 'activation': 'tanh',
                                                           'recurrent_activation': 'sigmoid', 'use_bias': True},
             'inbound_nodes': [[['x', 0, 0, {}]]]},
        ],
        'input_layers': [['x', 0, 0]], 'output_layers': [['g', 0, 0]]}}
    rng = np.random.default_rng(5)
    x = torch.from_numpy(rng.standard_normal((3, 6, 3)).astype(np.float32))
    r = torch.from_numpy(rng.standard_normal((3, 6, 4)).astype(np.float32))
    results = []
    for loop in (False, True):
        model = build_model(topology)
        model.set_weights({n: rng.standard_normal(tuple(model.tensor_of(n).shape)).astype(np.float32) * 0.5 for n in model.weight_names()} if not results else results[0][2])
        model.layer('g').force_loop = loop
        y = model(x, training=False)
        params = [model.tensor_of(n) for n in model.trainable_names()]
        grads = torch.autograd.grad((y * r).sum(), params)
        results.append((y.detach(), [g.detach() for g in grads], model.get_weights()))
    (y0, g0, _), (y1, g1, _) = results
    scale = lambda t: max(1.0, float(t.abs().max()))
    out = {'forward': float((y0 - y1).abs().max()) / scale(y1)}
    for n, a, b in zip(model.trainable_names(), g0, g1):
        out[f'gradient {n}'] = float((a - b).abs().max()) / scale(b)
    return out


def main(argv):
    root = argv[1]
    torch.manual_seed(0)
    with open(os.path.join(root, 'supported.json'), 'w') as f:
        json.dump(sorted(SUPPORTED_CLASSES), f)
    with open(os.path.join(root, 'selfcheck.json'), 'w') as f:
        json.dump(gru_reset_after_selfcheck(), f)
    with open(os.path.join(root, 'cases.json')) as f:
        cases = json.load(f)
    for case in cases:
        folder = os.path.join(root, case)
        try:
            result = run_case(folder)
        except Exception as e:  # reported per case by the test
            result = {'ok': False, 'error': f'{type(e).__name__}: {e}\n{traceback.format_exc()}'}
        with open(os.path.join(folder, 'result.json'), 'w') as f:
            json.dump(result, f)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
