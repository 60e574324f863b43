/**
 * From a Keras layer config to a layer's spec keys. Most layer types need
 * nothing of their own: the generic mapping reads each of the layer's spec
 * keys from the config (snake_case or camelCase), turns Keras initializer,
 * regularizer and activation objects into their spec forms, and lists every
 * config field it cannot carry over. A registry entry with `fromKeras` can
 * call `ctx.generic` and adjust the result.
 */
import { ACTIVATIONS } from './params.js';
import type { Param } from './params.js';
import { INITIALIZERS } from './initializers.js';
import type { FromKerasContext, FromKerasResult, KerasConfig, LayerDef, LossyField } from './registry.js';
import type { Shape } from './shape.js';

const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
const snake = (s: string) => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();

export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isRecord(a) && isRecord(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}

const show = (v: unknown) => JSON.stringify(v);

/** A Keras 3 dtype policy (`{class_name: DTypePolicy, config: {name}}`) or a plain dtype, as a dtype name. */
export function dtypeName(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (isRecord(v) && isRecord(v.config) && typeof v.config.name === 'string') return v.config.name;
  return undefined;
}

/** VarianceScaling settings that are one of the named initializers. */
const VARIANCE_SCALING: [number, string, string[], string][] = [
  [1, 'fan_avg', ['uniform'], 'glorot_uniform'],
  [1, 'fan_avg', ['normal', 'truncated_normal', 'untruncated_normal'], 'glorot_normal'],
  [2, 'fan_in', ['uniform'], 'he_uniform'],
  [2, 'fan_in', ['normal', 'truncated_normal', 'untruncated_normal'], 'he_normal'],
  [1, 'fan_in', ['uniform'], 'lecun_uniform'],
  [1, 'fan_in', ['normal', 'truncated_normal', 'untruncated_normal'], 'lecun_normal'],
];

/** A Keras initializer (`{class_name, config}` or a name) in its spec form, or why it has none. */
export function initializerFromKeras(v: unknown): { value: unknown } | { why: string } {
  const cls = typeof v === 'string' ? v : isRecord(v) && typeof v.class_name === 'string' ? v.class_name : undefined;
  if (cls === undefined) return { why: `${show(v)} is not a Keras initializer` };
  const config = isRecord(v) && isRecord(v.config) ? v.config : {};
  const name = snake(cls).replace(/_initializer$/, '').replace(/^(zero|one)$/, '$1s');
  if (name === 'variance_scaling') {
    // Missing or null settings take the defaults (old TensorFlow.js versions wrote nulls).
    const scale = (config.scale as number | null | undefined) ?? 1;
    const mode = snake(String((config.mode as string | null | undefined) ?? 'fan_in'));
    const distribution = snake(String((config.distribution as string | null | undefined) ?? 'truncated_normal'));
    const hit = VARIANCE_SCALING.find(([s, m, d]) => s === scale && m === mode && d.includes(distribution));
    if (hit) return { value: hit[3] };
    return { why: `VarianceScaling(scale=${scale}, mode=${mode}, distribution=${distribution}) is none of strata's initializers` };
  }
  // Own entries only: a class name such as 'constructor' must not find Object's.
  const def = Object.hasOwn(INITIALIZERS, name) ? INITIALIZERS[name] : undefined;
  if (!def) return { why: `initializer ${cls} has no strata equivalent (strata has ${Object.keys(INITIALIZERS).join(', ')})` };
  const args: Record<string, unknown> = {};
  for (const arg of Object.keys(def.args)) {
    const given = config[arg];
    if (typeof given === 'number' && given !== def.args[arg]) args[arg] = given;
  }
  for (const [k, given] of Object.entries(config)) {
    if (k in def.args || k === 'seed' || k === 'dtype' || given === null) continue;
    return { why: `initializer ${cls} argument ${k}=${show(given)} has no strata equivalent` };
  }
  return { value: Object.keys(args).length === 0 ? name : { type: name, ...args } };
}

/** A Keras regularizer (`L1L2`, `L1`, `L2`) as `{l1, l2}`; null for none. */
export function regularizerFromKeras(v: unknown): { value: unknown } | { why: string } {
  if (v === null || v === undefined) return { value: undefined };
  const cls = isRecord(v) && typeof v.class_name === 'string' ? v.class_name.toLowerCase() : typeof v === 'string' ? v.toLowerCase() : '';
  const config = isRecord(v) && isRecord(v.config) ? v.config : {};
  if (!['l1l2', 'l1', 'l2', 'l1_l2'].includes(cls)) return { why: `regularizer ${show(v)} has no strata equivalent (strata has L1 and L2 penalties)` };
  const out: Record<string, number> = {};
  for (const k of ['l1', 'l2'] as const) {
    const n = config[k];
    if (typeof n === 'number' && n !== 0) out[k] = n;
  }
  return { value: Object.keys(out).length === 0 ? undefined : out };
}

/** A Keras activation name (`hard_sigmoid`, `hardSigmoid`, `silu`, ...) as a spec activation. */
export function activationFromKeras(v: unknown): { value: unknown } | { why: string } {
  // A name, or Keras 3's form for a function: {class_name: 'function', config: 'relu'}.
  const name = typeof v === 'string' ? v : isRecord(v) && typeof v.config === 'string' ? v.config : undefined;
  if (name === undefined) return { why: `activation ${show(v)} is not a plain activation name` };
  const key = snake(name);
  if (key in ACTIVATIONS) return { value: key };
  // The name TensorFlow.js saves, such as that of one of strata's own activations (`strata.leakyrelu`).
  const registered = Object.entries(ACTIVATIONS).find(([, tfName]) => tfName === name);
  if (registered) return { value: registered[0] };
  return { why: `activation '${name}' has no strata equivalent (strata has ${Object.keys(ACTIVATIONS).join(', ')})` };
}

const rankOf = (ctx: FromKerasContext) => (ctx.inputShapes[0]?.length ?? 0) + 1;

/**
 * Config fields that carry nothing strata models differently when they hold
 * these values (Keras defaults, or settings that only affect speed or
 * randomness). Any other field that no spec key takes is reported.
 */
const NEUTRAL: Record<string, (v: unknown, ctx: FromKerasContext, config: KerasConfig) => boolean> = {
  name: () => true,
  trainable: () => true,
  dtype: (v) => dtypeName(v) === undefined || dtypeName(v) === 'float32',
  batch_input_shape: () => true,
  batch_shape: () => true,
  input_shape: () => true,
  input_dtype: () => true,
  input_length: () => true,
  seed: () => true,
  implementation: () => true,
  use_cudnn: () => true,
  data_format: (v) => v === 'channels_last',
  stateful: (v) => v === false,
  return_state: (v) => v === false,
  unroll: (v) => v === false,
  time_major: (v) => v === false,
  zero_output_for_mask: () => true,
  lora_rank: (v) => v === null,
  lora_alpha: () => true,
  quantization_config: (v) => v === null,
  sparse: (v) => v === false,
  optional: (v) => v === false,
  ragged: (v) => v === false,
  groups: (v) => v === 1,
  renorm: (v) => v === false,
  synchronized: (v) => v === false,
  rms_scaling: (v) => v === false,
  keepdims: (v) => v === false,
  noise_shape: (v) => v === null,
  // Keras 3 writes a Bidirectional's backward layer out: the forward one read backwards.
  backward_layer: (v, _ctx, config) => {
    const f = config.layer;
    if (!isRecord(v) || !isRecord(f) || !isRecord(v.config) || !isRecord(f.config)) return false;
    const strip = (c: Record<string, unknown>) => Object.fromEntries(Object.entries(c).filter(([k]) => !['name', 'go_backwards', 'seed'].includes(k)));
    return v.class_name === f.class_name && v.config.go_backwards !== f.config.go_backwards && deepEqual(strip(v.config), strip(f.config));
  },
  axis: (v, ctx) => {
    const axes = Array.isArray(v) ? v : [v];
    return axes.length === 1 && (axes[0] === -1 || axes[0] === rankOf(ctx) - 1);
  },
};

const NOT_CARRIED: Record<string, string> = {
  stateful: 'strata layers are stateless; for a state carried from window to window while training, set train.carry_state: true',
  return_state: 'strata layers have one output',
  groups: 'strata convolutions are not grouped',
  dtype: 'strata layers compute in float32',
  data_format: 'strata layers are channels-last',
  axis: 'strata normalizes over the last axis',
};

type ParamKind = 'initializer' | 'regularizer' | 'activation' | 'nested' | 'plain';

function kindOf(key: string, p: Param, def: LayerDef): ParamKind {
  if (def.nested?.key === key) return 'nested';
  const ref = p.schema.$ref;
  if (ref === '#/$defs/initializer') return 'initializer';
  if (ref === '#/$defs/regularizer') return 'regularizer';
  const e = p.schema.enum;
  if (Array.isArray(e) && e.includes('relu') && e.includes('sigmoid')) return 'activation';
  return 'plain';
}

/** A value in the form the schema allows: `[3, 3]` becomes `3` where a size may be one integer. */
function simplify(value: unknown, p: Param): unknown {
  const t = p.schema.type;
  if (!Array.isArray(t) || !t.includes('integer')) return value;
  let v = value;
  // [[1, 1], [1, 1]] → [1, 1] → 1, as long as every entry is the same.
  while (Array.isArray(v) && v.length > 0 && v.every((x) => deepEqual(x, v && (v as unknown[])[0]))) v = v[0];
  return typeof v === 'number' ? v : value;
}

/**
 * The spec keys a strata custom layer saved in its config: `strata`, the keys
 * (with `type`) as hex-encoded JSON, which TensorFlow.js's renaming of config
 * keys leaves alone.
 */
export function savedSpecKeys(config: KerasConfig): { type: string; params: Record<string, unknown> } | undefined {
  const hex = config.strata;
  if (typeof hex !== 'string' || !/^(?:[0-9a-f]{2})+$/i.test(hex)) return undefined;
  try {
    const value = JSON.parse(Buffer.from(hex, 'hex').toString('utf8')) as unknown;
    if (!isRecord(value) || typeof value.type !== 'string') return undefined;
    const { type, ...params } = value;
    return { type, params };
  } catch {
    return undefined;
  }
}

/** The generic Keras config → spec keys mapping, driven by the entry's own parameter list. */
export function genericFromKeras(def: LayerDef, config: KerasConfig, ctx: FromKerasContext): FromKerasResult {
  const params: Record<string, unknown> = {};
  const lossy: LossyField[] = [];
  const used = new Set<string>();
  const saved = savedSpecKeys(config);
  if (saved && saved.type === def.type) {
    // A strata custom layer: its spec keys as saved, defaults left out. Saved keys that are not
    // spec keys are the builder's own (such as which kind of pooling), not settings of the model.
    for (const [key, value] of Object.entries(saved.params)) {
      const p = def.params[key];
      if (p && (p.default === undefined || !deepEqual(value, p.default))) params[key] = value;
    }
    used.add('strata');
    for (const key of Object.keys(def.params)) if (key in config) used.add(key);
  }
  for (const [key, p] of Object.entries(saved?.type === def.type ? {} : def.params)) {
    const ck = key in config ? key : camel(key) in config ? camel(key) : undefined;
    if (ck === undefined) continue;
    used.add(ck);
    let value = config[ck];
    if (value === null || value === undefined) continue;
    const kind = kindOf(key, p, def);
    if (kind === 'nested') {
      const inner = ctx.nested(value);
      lossy.push(...inner.lossy.map((l) => ({ field: `${key}.${l.field}`, why: l.why })));
      params[key] = inner.spec;
      continue;
    }
    if (kind !== 'plain') {
      const r = kind === 'initializer' ? initializerFromKeras(value) : kind === 'regularizer' ? regularizerFromKeras(value) : activationFromKeras(value);
      if ('why' in r) {
        lossy.push({ field: ck, why: r.why });
        continue;
      }
      value = r.value;
      if (value === undefined) continue;
    }
    value = simplify(value, p);
    const allowed = p.schema.enum;
    if (Array.isArray(allowed) && !allowed.includes(value)) {
      lossy.push({ field: ck, why: `${show(value)} is not supported; strata's ${def.type} takes ${allowed.join(', ')}` });
      continue;
    }
    if (p.default !== undefined && deepEqual(value, p.default)) continue;
    params[key] = value;
  }
  for (const [ck, value] of Object.entries(config)) {
    if (used.has(ck) || value === null || value === undefined) continue;
    const key = snake(ck);
    if (/_constraint$/.test(key)) {
      lossy.push({ field: ck, why: 'strata has no weight constraints' });
      continue;
    }
    // Own entries only: a field named __proto__ or constructor is just an unknown field.
    if (Object.hasOwn(NEUTRAL, key) && NEUTRAL[key]!(value, ctx, config)) continue;
    const why = Object.hasOwn(NOT_CARRIED, key) ? NOT_CARRIED[key] : `strata's ${def.type} has no such setting`;
    lossy.push({ field: ck, why: `${why} (value ${show(value)})` });
  }
  return { params, lossy };
}
