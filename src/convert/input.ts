/**
 * Reading what `strata convert` and `strata summary` are given, and telling
 * from its content what it is: a strata spec (YAML or JSON), a Keras model
 * config, a TensorFlow.js model.json, or a checkpoint directory (read through
 * its model.json).
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { UsageError } from '../errors.js';
import { isRecord } from '../layers/keras.js';
import { checkFileSize, DEPTH_MESSAGE, tooDeep } from '../document/limits.js';
import { formatPath } from '../document/source.js';

export type InputKind = 'yaml' | 'json' | 'keras' | 'tfjs';

export interface ModelInput {
  kind: InputKind;
  /** The file read (for a checkpoint directory, its model.json). */
  file: string;
  text: string;
  /** The parsed document (for specs, parsed without positions). */
  value: unknown;
  /** Set when the input was a checkpoint directory. */
  checkpoint?: string;
}

const looksKeras = (v: unknown): boolean =>
  (isRecord(v) && (('class_name' in v && 'config' in v) || 'modelTopology' in v || 'model_config' in v || v.format === 'layers-model')) ||
  (Array.isArray(v) && v.length > 0 && v.every((x) => isRecord(x) && 'class_name' in x));

/** What a parsed document is, from its content alone. */
export function detectKind(value: unknown, text: string): InputKind | undefined {
  if (isRecord(value) && ('modelTopology' in value || value.format === 'layers-model')) return 'tfjs';
  if (looksKeras(value)) return 'keras';
  if (isRecord(value) && ('model' in value || 'version' in value)) return /^\s*[{[]/.test(text) ? 'json' : 'yaml';
  return undefined;
}

function readText(file: string): string {
  try {
    checkFileSize(file, statSync(file).size);
    return readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError({ file, code: 'unreadable', message: `cannot read it: ${code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}` });
  }
}

/** Read a spec, model JSON or checkpoint directory and say what it is. */
export function readModelInput(path: string): ModelInput {
  let file = path;
  let checkpoint: string | undefined;
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    // readText reports a missing file.
  }
  if (isDir) {
    checkpoint = path;
    file = join(path, 'model.json');
    try {
      statSync(file);
    } catch {
      throw new UsageError({ file: path, code: 'not-a-checkpoint', message: 'this directory has no model.json, so it is not a checkpoint; give a checkpoint directory, a spec or a model JSON file' });
    }
  }
  const text = readText(file);
  let value: unknown;
  try {
    value = /^\s*[{[]/.test(text) ? JSON.parse(text) : parse(text, { maxAliasCount: 100, logLevel: 'error' });
  } catch (e) {
    const message = (e as Error).message.split('\n')[0];
    // A spec with a syntax error is reported with its position by the spec reader.
    if (!/\.json$/i.test(file) || !/"(class_name|modelTopology)"/.test(text)) return { kind: /^\s*[{[]/.test(text) ? 'json' : 'yaml', file, text, value: undefined };
    throw new UsageError({ file, code: 'syntax', message: `invalid JSON: ${message}` });
  }
  const deep = tooDeep(value);
  if (deep) throw new UsageError({ file, code: 'too-deep', message: `at ${formatPath(deep)}: ${DEPTH_MESSAGE}` });
  const kind = detectKind(value, text);
  if (!kind) {
    throw new UsageError({
      file,
      code: 'unknown-format',
      message: 'cannot tell what this is: a strata spec has `version` and `model`, a Keras model config has `class_name` and `config`, and a TensorFlow.js model.json has `modelTopology`',
    });
  }
  return { kind, file, text, value, ...(checkpoint ? { checkpoint } : {}) };
}
