/**
 * Writing a spec as YAML or JSON with its keys in the order the schema lists
 * them (version, name, ..., model, train; in a layer: type, name, inputs,
 * then the layer's own keys). Keys the schema does not know keep their place
 * after the known ones. A YAML document can be reordered in place, which
 * keeps its comments.
 */
import { Document, isMap, isScalar, isSeq } from 'yaml';
import type { Node, Pair } from 'yaml';
import { isRecord } from '../layers/keras.js';
import type { JsonSchema } from '../layers/params.js';

type Schema = JsonSchema | undefined;

function deref(schema: Schema, root: JsonSchema): Schema {
  let s = schema;
  for (let i = 0; i < 8 && s && typeof s.$ref === 'string'; i++) {
    const name = (s.$ref as string).replace('#/$defs/', '');
    s = (root.$defs as Record<string, JsonSchema>)[name];
  }
  return s;
}

/** The schemas that apply to `value`: the schema itself and the `then`/`else` branches it selects. */
function applicable(schema: Schema, value: unknown, root: JsonSchema): JsonSchema[] {
  const s = deref(schema, root);
  if (!s) return [];
  const out = [s];
  if (s.if !== undefined && isRecord(value)) {
    const cond = s.if as JsonSchema;
    if (cond.type === 'string') out.push(...applicable(s.else as Schema, value, root));
  }
  for (const branch of (s.allOf as JsonSchema[] | undefined) ?? []) {
    const cond = (branch.if as JsonSchema | undefined)?.properties as Record<string, JsonSchema> | undefined;
    const want = cond?.type?.const;
    if (want !== undefined && isRecord(value) && value.type === want) out.push(...applicable(branch.then as Schema, value, root));
  }
  return out;
}

interface Keys {
  rank(key: string): number;
  child(key: string): Schema;
}

function keysOf(schema: Schema, value: unknown, root: JsonSchema): Keys {
  const order: string[] = [];
  const children = new Map<string, JsonSchema>();
  for (const s of applicable(schema, value, root)) {
    for (const [k, v] of Object.entries((s.properties as Record<string, JsonSchema> | undefined) ?? {})) {
      if (!order.includes(k)) order.push(k);
      // The most specific schema for a key is the last one that lists it.
      children.set(k, v);
    }
  }
  const items = (deref(schema, root)?.items as JsonSchema | undefined) ?? undefined;
  return {
    rank: (k) => (order.includes(k) ? order.indexOf(k) : order.length),
    child: (k) => children.get(k) ?? (k === '[]' ? items : undefined),
  };
}

/** A copy of `value` with every mapping's keys in schema order. */
export function orderKeys(value: unknown, schema: Schema, root: JsonSchema): unknown {
  if (Array.isArray(value)) {
    const item = deref(schema, root)?.items as Schema;
    return value.map((v) => orderKeys(v, item, root));
  }
  if (!isRecord(value)) return value;
  const keys = keysOf(schema, value, root);
  const entries = Object.entries(value).map(([k, v], i) => ({ k, v, i, r: keys.rank(k) }));
  entries.sort((a, b) => a.r - b.r || a.i - b.i);
  return Object.fromEntries(entries.map(({ k, v }) => [k, orderKeys(v, keys.child(k), root)]));
}

/** Reorder a parsed YAML document's mappings in place (comments stay with their keys). */
export function orderDocument(doc: Document, schema: JsonSchema): void {
  const walk = (node: unknown, s: Schema) => {
    if (isSeq(node)) {
      const item = deref(s, schema)?.items as Schema;
      for (const x of node.items) walk(x, item);
    } else if (isMap(node)) {
      const value = node.toJSON() as unknown;
      const keys = keysOf(s, value, schema);
      const key = (p: Pair<unknown, unknown>) => (isScalar(p.key) ? String(p.key.value) : String(p.key));
      const items = node.items.map((p, i) => ({ p, i, r: keys.rank(key(p)) }));
      items.sort((a, b) => a.r - b.r || a.i - b.i);
      // A comment before the first key belongs to the mapping's position, not to that key.
      const firstBefore = (node.items[0]?.key as Node | undefined)?.commentBefore;
      if (items[0] && items[0].i !== 0 && firstBefore !== undefined) {
        (node.items[0]!.key as Node).commentBefore = undefined;
        const k = items[0].p.key as Node;
        k.commentBefore = [firstBefore, k.commentBefore].filter(Boolean).join('\n');
      }
      node.items = items.map((x) => x.p);
      for (const p of node.items) walk(p.value, keys.child(key(p)));
    }
  };
  walk(doc.contents, schema);
}

const scalarList = (v: unknown[]) => v.every((x) => x === null || typeof x !== 'object');

/** A spec value as YAML: block style, short lists of scalars and small flat mappings in flow style. */
export function toYaml(value: unknown): string {
  const doc = new Document(value);
  const flow = (node: unknown, top: boolean) => {
    if (isSeq(node)) {
      const plain = node.items.every((x) => isScalar(x));
      if (plain && node.items.length > 0) node.flow = true;
      else for (const x of node.items) flow(x, false);
    } else if (isMap(node)) {
      for (const p of node.items) {
        const v = p.value;
        // Small settings mappings inside a section, such as {type: adam, learning_rate: 0.001}, on one line.
        if (!top && isMap(v) && v.items.length <= 3 && v.items.every((q) => isScalar(q.value))) v.flow = true;
        else flow(v, false);
      }
    }
  };
  flow(doc.contents, true);
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

/** A spec value as JSON, two-space indented, with short lists of scalars on one line. */
export function toJson(value: unknown): string {
  const text = JSON.stringify(value, null, 2);
  // Put lists of numbers, strings and nulls on one line, as a person writes them.
  return `${text.replace(/\[\n\s+([^[\]{}]*?)\n\s*\]/g, (all, body: string) => {
    const items = body.split(/,\n\s*/);
    return items.length <= 8 && scalarList(items) ? `[${items.join(', ')}]` : all;
  })}\n`;
}
