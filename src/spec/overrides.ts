/**
 * `--set key=value` overrides: a dotted path with list indices
 * (`model.layers[2].units=64`) and a value read as YAML, so `64` is a number,
 * `true` a boolean and `[3, 3]` a list. They are applied to the parsed spec
 * before validation, so a bad override is reported like a bad line in the file.
 */
import { parse as parseYaml } from 'yaml';
import type { Diagnostic } from '../errors.js';
import { pathKey } from '../document/source.js';
import type { SpecPath } from '../document/source.js';

export interface Override {
  /** The argument as typed, used as the place of errors it causes. */
  arg: string;
  path: SpecPath;
  value: unknown;
}

const SEGMENT = /^([A-Za-z_][A-Za-z0-9_-]*)((?:\[\d+\])*)$/;

export function parseOverride(raw: string): Override | Diagnostic {
  const arg = `--set ${raw}`;
  const eq = raw.indexOf('=');
  if (eq <= 0) {
    return { arg, code: 'bad-override', message: `expected KEY=VALUE, such as train.epochs=1 or model.layers[2].units=64` };
  }
  const key = raw.slice(0, eq).trim();
  const text = raw.slice(eq + 1);
  const path: (string | number)[] = [];
  for (const part of key.split('.')) {
    const m = SEGMENT.exec(part);
    if (!m) {
      return { arg, code: 'bad-override', message: `'${key}' is not a key path; write keys separated by dots, with list indices in brackets, such as model.layers[2].units` };
    }
    path.push(m[1]!);
    for (const idx of m[2]!.matchAll(/\[(\d+)\]/g)) path.push(Number(idx[1]));
  }
  let value: unknown;
  try {
    value = text.trim() === '' ? '' : parseYaml(text, { strict: true, maxAliasCount: 0, logLevel: 'error' });
  } catch (e) {
    return { arg, code: 'bad-override', message: `the value '${text}' cannot be read: ${(e as Error).message.split('\n')[0]}` };
  }
  return { arg, path, value };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Set an own property: `target['__proto__'] = v` would replace the object's
 * prototype instead, and the key would then vanish from the spec (and its
 * error be placed in the file, not at the argument).
 */
const setOwn = (target: Record<string, unknown> | unknown[], key: string | number, value: unknown) =>
  Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });

/**
 * Apply overrides to a parsed spec in place. Missing mapping keys are created;
 * list indices must exist. Returns the diagnostics of overrides that could not
 * be applied and records the applied paths in `applied`.
 */
export function applyOverrides(spec: Record<string, unknown>, overrides: readonly Override[], applied: Map<string, string>): Diagnostic[] {
  const problems: Diagnostic[] = [];
  for (const o of overrides) {
    let target: unknown = spec;
    let failed = false;
    for (let i = 0; i < o.path.length - 1 && !failed; i++) {
      const seg = o.path[i]!;
      const next = o.path[i + 1]!;
      const where = pathKey(o.path.slice(0, i + 1)).replace(/^\./, '');
      if (typeof seg === 'number') {
        if (!Array.isArray(target) || seg >= target.length) {
          const len = Array.isArray(target) ? target.length : 0;
          problems.push({ arg: o.arg, code: 'bad-override', message: `index ${seg} is out of range: ${pathKey(o.path.slice(0, i)).replace(/^\./, '')} has ${len} entries` });
          failed = true;
          break;
        }
        target = target[seg];
      } else {
        if (!isObject(target)) {
          problems.push({ arg: o.arg, code: 'bad-override', message: `cannot set a key inside ${where}, which is not a mapping` });
          failed = true;
          break;
        }
        if (!Object.hasOwn(target, seg) || target[seg] === null || target[seg] === undefined) {
          if (typeof next === 'number') {
            problems.push({ arg: o.arg, code: 'bad-override', message: `${where} does not exist, so it has no index ${next}` });
            failed = true;
            break;
          }
          setOwn(target, seg, {});
        }
        target = target[seg];
      }
    }
    if (failed) continue;
    const last = o.path[o.path.length - 1]!;
    if (typeof last === 'number') {
      if (!Array.isArray(target) || last >= target.length) {
        problems.push({ arg: o.arg, code: 'bad-override', message: `index ${last} is out of range: ${pathKey(o.path.slice(0, -1)).replace(/^\./, '')} has ${Array.isArray(target) ? target.length : 0} entries` });
        continue;
      }
      setOwn(target, last, o.value);
    } else if (isObject(target)) {
      setOwn(target, last, o.value);
    } else {
      problems.push({ arg: o.arg, code: 'bad-override', message: `cannot set '${last}' inside a value that is not a mapping` });
      continue;
    }
    applied.set(pathKey(o.path), o.arg);
  }
  return problems;
}
