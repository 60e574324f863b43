/** Options shared by several commands, declared once. */
import type { Command } from 'commander';
import { BACKENDS } from '../backend/names.js';
import { escapeControls } from '../errors.js';

export interface CommonOptions {
  json?: boolean;
  quiet?: boolean;
  set: string[];
  backend?: string;
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function withJson(cmd: Command): Command {
  return cmd.option('--json', 'print one JSON document on stdout instead of text');
}

export function withOverrides(cmd: Command): Command {
  return cmd.option('--set <key=value>', 'override a spec value, such as train.epochs=1 or model.layers[2].units=64 (repeatable)', collect, []);
}

export function withBackend(cmd: Command): Command {
  return cmd.option('--backend <name>', `force a TensorFlow.js backend: ${BACKENDS.join(', ')} (default: the best that loads)`);
}

/** Write a JSON document to stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Write a warning from below the CLI (such as a damaged checkpoint passed over) to stderr. */
export function warnOnStderr(line: string): void {
  process.stderr.write(`${escapeControls(line)}\n`);
}
