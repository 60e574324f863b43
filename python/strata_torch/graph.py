"""
A TensorFlow.js layers model (the `modelTopology` of the model.json strata
writes: a Keras functional-model config) as a torch.nn.Module that computes
what TensorFlow.js computes, with the same weights.

Weights are stored in TensorFlow.js's layouts (a Dense kernel [in, out], a
Conv2D kernel [kh, kw, in, out], an LSTM kernel [in, 4·units] in Keras gate
order), so `set_weights`/`get_weights`/`tensor_of` need no transposition
bookkeeping: the layers view them in torch's layout when they compute.

Images are channels-last (NHWC) at the model's inputs and outputs, as in
TensorFlow.js; inside, every 4-D tensor carries a flag saying whether it is
held channels-first (NCHW). Convolutions and pooling want NCHW; element-wise
layers and batch/group normalization take either; everything else gets NHWC.
So a run of conv/pool/norm/activation layers permutes once at each end.

    model = build_model(topology, carry_state=False)
    model.set_weights({name: np.ndarray})      # TF.js layouts, names as in the weights manifest
    y = model(x, training=True)                # x: tensor, or a list for several inputs
    loss = loss + sum(model.extra_losses())    # regularizers, mixture-of-experts balancing

TF.js behaviours matched on purpose (each checked by test/torch/parity.test.ts):
- masks (embedding mask_zero): TF.js's executor keeps kwargs.mask for every later
  layer once some layer's inputs carry one, so a mask reaches recurrent layers
  even through layers that do not support masking.
The layers' own (recurrent regularizers, batch normalization's moving variance,
'same' average pooling, resizing, Concatenate's axis) are told in the docs of
their modules under layers/, one module per layer family; layers/__init__.py
holds the class table (TF.js class name → implementation).
"""
import numpy as np
import torch
import torch.nn as nn

from .layers import LAYER_CLASSES, SUPPORTED_CLASSES
from .layers.base import _to_cl
from .layers.recurrent import _RNN

__all__ = ['StrataModel', 'build_model', 'SUPPORTED_CLASSES']


def _node_inputs(node):
    """One inbound node ([[name, node_index, tensor_index, kwargs], ...], or Keras 3's dict form) as (name, node, tensor) triples."""
    out = []
    for entry in node:
        if isinstance(entry, dict):
            raise NotImplementedError('Keras 3 inbound node format is not supported')
        out.append((entry[0], int(entry[1]), int(entry[2])))
    return out


class StrataModel(nn.Module):
    """A TF.js functional model as a torch module; see the module's doc."""

    def __init__(self, topology, carry_state=False):
        super().__init__()
        t = topology
        if 'model_config' in t:
            t = t['model_config']
        cfg = t['config'] if 'config' in t and isinstance(t['config'], dict) and 'layers' in t['config'] else t
        if t.get('class_name') == 'Sequential':
            raise NotImplementedError('Sequential topologies are not supported; strata writes functional models')
        self.layers_by_name = nn.ModuleDict()
        self.order = []  # layer names, config order (= TF.js model.layers order)
        self.inbound = {}  # name -> list of nodes (each a list of (name, node, tensor))
        for lc in cfg['layers']:
            cls = LAYER_CLASSES.get(lc['class_name'])
            if cls is None:
                raise NotImplementedError(f"layer {lc['name']}: TensorFlow.js class {lc['class_name']} is not supported by the torch engine")
            name = lc['name']
            self.layers_by_name[_key(name)] = cls(lc.get('config', {}), name)
            self.order.append(name)
            self.inbound[name] = [_node_inputs(n) for n in lc.get('inbound_nodes', [])]
        self.input_refs = [(e[0], int(e[1]), int(e[2])) for e in cfg['input_layers']]
        outs = cfg['output_layers']
        if len(outs) != 1:
            raise NotImplementedError(f'the model has {len(outs)} outputs; the torch engine supports one')
        self.output_ref = (outs[0][0], int(outs[0][1]), int(outs[0][2]))
        self.calls = self._schedule()
        self.carry_state = carry_state
        self.carrying = [self.layer(n) for n in self.order if isinstance(self.layer(n), _RNN) and self.layer(n).carries]
        for l in self.carrying:
            l.carry = carry_state
        self._dry_run(cfg)
        self._names = []
        self._where = {}  # weight name -> (layer module, attribute)
        trainable, frozen = [], []
        for n in self.order:
            for wname, module, attr, tr in self.layer(n).weight_slots():
                (trainable if tr else frozen).append(wname)
                self._where[wname] = (module, attr)
        self._names = trainable + frozen
        self._trainable = trainable

    def layer(self, name):
        return self.layers_by_name[_key(name)]

    def _schedule(self):
        """The (layer, node) calls in an order where every input is computed first."""
        done, calls = set(), []

        def visit(ref, stack):
            name, node = ref
            if ref in done:
                return
            if ref in stack:
                raise ValueError(f'the topology has a cycle through {name}')
            stack.add(ref)
            if name not in self.inbound:
                raise ValueError(f'the topology refers to an unknown layer {name}')
            nodes = self.inbound[name]
            ins = nodes[node] if node < len(nodes) else []
            for n, k, _ in ins:
                visit((n, k), stack)
            stack.discard(ref)
            done.add(ref)
            calls.append((name, node, ins))

        for n, k, _ in self.input_refs:
            visit((n, k), set())
        visit(self.output_ref[:2], set())
        return calls

    def _dry_run(self, cfg):
        """Build every layer's weights by running a small batch (weight shapes follow from input shapes)."""
        specs = []
        for n, _, _ in self.input_refs:
            lc = next(l for l in cfg['layers'] if l['name'] == n)
            c = lc['config']
            shape = c.get('batch_input_shape') or c.get('batch_shape')
            dtype = c.get('dtype', 'float32')
            specs.append((shape[1:], dtype))
        last = None
        for fill in (1, 8, 32):
            xs = []
            for shape, dtype in specs:
                dims = [2] + [fill if d is None else d for d in shape]
                xs.append(torch.zeros(dims, dtype=torch.long) if dtype.startswith('int') else torch.zeros(dims))
            try:
                with torch.no_grad():
                    saved = [(l, l.state) for l in self.carrying]
                    self.forward(xs if len(xs) > 1 else xs[0], training=False)
                    for l, s in saved:
                        l.state = s
                return
            except NotImplementedError:
                raise
            except Exception as e:  # a free dimension too small for a window: try a longer one
                last = e
                if all(None not in s for s, _ in specs):
                    raise
        raise last

    # -- forward

    def forward(self, x, training=False):
        xs = list(x) if isinstance(x, (list, tuple)) else [x]
        if len(xs) != len(self.input_refs):
            raise ValueError(f'the model takes {len(self.input_refs)} inputs, given {len(xs)}')
        values = {}  # (layer, node) -> [(tensor, channels_first, mask)]
        for (n, k, _), t in zip(self.input_refs, xs):
            values[(n, k)] = [(t, False, None)]
        # TF.js's executor (tfjs-layers engine/executor.js) passes masks in one kwargs object shared by every
        # layer of the pass: once a layer's inputs carry a mask, kwargs.mask keeps it for every later layer
        # until another layer's inputs carry one, whether or not the layers between support masking.
        sticky = None
        for name, node, ins in self.calls:
            if (name, node) in values:
                continue
            layer = self.layer(name)
            got = [values[(n, k)][i] for n, k, i in ins]
            masks = [g[2] for g in got]
            if any(m is not None for m in masks):
                sticky = masks[0]
            y, cf = layer.run([(g[0], g[1]) for g in got], training, sticky)
            mask = layer.compute_mask([g[0] for g in got], masks)
            values[(name, node)] = [(y, cf, mask)]
        y, cf, _ = values[self.output_ref[:2]][self.output_ref[2]]
        return _to_cl(y) if cf else y

    # -- weights

    def weight_names(self):
        """Every TF.js weight, trainable and not, in the order of model.json's weights manifest."""
        return list(self._names)

    def trainable_names(self):
        return list(self._trainable)

    def tensor_of(self, name):
        """The Parameter (trainable) or buffer holding weight `name`, in TF.js's layout."""
        module, attr = self._where[name]
        return getattr(module, attr)

    def set_weights(self, weights):
        """Set weights by name from arrays in TF.js layouts (every weight must be given)."""
        missing = [n for n in self._names if n not in weights]
        if missing:
            raise ValueError(f'weights missing: {", ".join(missing)}')
        extra = [n for n in weights if n not in self._where]
        if extra:
            raise ValueError(f'unknown weights: {", ".join(extra)}')
        with torch.no_grad():
            for n in self._names:
                t = self.tensor_of(n)
                a = np.asarray(weights[n], dtype=np.float32)
                if tuple(a.shape) != tuple(t.shape):
                    if a.size != t.numel():
                        raise ValueError(f'weight {n}: shape {list(a.shape)}, the model has {list(t.shape)}')
                    a = a.reshape(tuple(t.shape))
                t.copy_(torch.from_numpy(a))

    def get_weights(self):
        return {n: self.tensor_of(n).detach().cpu().numpy().copy() for n in self._names}

    def extra_losses(self):
        """What TF.js's model.calculateLosses() adds: weight regularizers, and the mixture-of-experts balancing loss of the last training call."""
        out = []
        for n in self.order:
            out.extend(self.layer(n).losses())
        return out

    # -- carried recurrent state

    def set_carry_state(self, enabled):
        """Turn carrying on or off (the states held are kept; reset_states() drops them)."""
        self.carry_state = bool(enabled)
        for l in self.carrying:
            l.carry = self.carry_state

    def reset_states(self):
        """Start the next batch from zero states."""
        for l in self.carrying:
            l.state = None

    def get_states(self):
        """Each carrying layer's state (None, or [h] / [h, c] as float32 arrays), in model order."""
        return [None if l.state is None else [t.detach().cpu().numpy().copy() for t in l.state] for l in self.carrying]

    def set_states(self, states):
        if len(states) != len(self.carrying):
            raise ValueError(f'{len(states)} states given for {len(self.carrying)} recurrent layers')
        dev = self.tensor_of(self._names[0]).device if self._names else torch.device('cpu')
        for l, s in zip(self.carrying, states):
            l.state = None if s is None else [torch.as_tensor(np.asarray(a, dtype=np.float32), device=dev) for a in s]


def _key(name):
    """A layer name as a ModuleDict key (no dots)."""
    return name.replace('.', '_dot_')


def build_model(topology, carry_state=False):
    """The TF.js layers-model topology (model.json's modelTopology) as a StrataModel."""
    return StrataModel(topology, carry_state)
