/** Markdown tables of registry keys, shared by the generated references. */
import type { JsonSchema } from '../document/json-schema.js';

export const KEY_TABLE_HEAD = ['| key | type | default | meaning |', '| --- | --- | --- | --- |'];

function typeText(s: JsonSchema): string {
  if (s.$ref) return String(s.$ref).replace('#/$defs/', '').replace(/^nested\..*/, 'layer');
  if (s.enum) return (s.enum as unknown[]).map((v) => `\`${String(v)}\``).join(', ');
  const t = Array.isArray(s.type) ? s.type.join(' or ') : String(s.type ?? '');
  return t === 'array' ? 'list' : t;
}

function defaultText(s: JsonSchema, required: boolean): string {
  if (required) return 'required';
  if (s.default === undefined) return '—';
  return `\`${typeof s.default === 'string' ? s.default : JSON.stringify(s.default)}\``;
}

/** One key of a registry entry as a table row: name, type, default, meaning. */
export function keyRow(key: string, s: JsonSchema, required: boolean): string {
  const desc = String(s.description ?? '').replace(/\|/g, '\\|');
  return `| \`${key}\` | ${typeText(s)} | ${defaultText(s, required)} | ${desc} |`;
}
