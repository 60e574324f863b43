/**
 * A strict JSON syntax check that says where the first error is. The spec's
 * values are read through the `yaml` package (for positions), which accepts
 * more than JSON does — trailing commas, comments, single quotes — so JSON
 * files are checked here first. `JSON.parse` is no help: in Node 20 its
 * messages often carry no position.
 */

export interface JsonSyntaxError {
  offset: number;
  message: string;
  /** Set when the JSON is well formed but nests deeper than `maxDepth`. */
  tooDeep?: true;
}

const WS = new Set([' ', '\t', '\n', '\r']);

export function checkStrictJson(text: string, maxDepth = Infinity): JsonSyntaxError | undefined {
  let i = 0;
  /** How many mappings and lists the reader is inside: the reader recurses, so it stops past `maxDepth`. */
  let depth = 0;
  const enter = () => {
    if (++depth > maxDepth) throw { offset: i, message: `nested deeper than ${maxDepth} levels`, tooDeep: true } satisfies JsonSyntaxError;
  };
  const fail = (message: string, at = i): never => {
    throw { offset: at, message } satisfies JsonSyntaxError;
  };
  const ws = () => {
    while (i < text.length && WS.has(text[i]!)) i++;
    if (text.startsWith('//', i) || text.startsWith('/*', i)) fail('comments are not allowed in JSON');
  };
  const describe = () => (i >= text.length ? 'the end of the file' : `'${text[i]}'`);
  const string = () => {
    const start = i++;
    while (i < text.length && text[i] !== '"') {
      const c = text.charCodeAt(i);
      if (c < 0x20) fail('unescaped control character in a string (write \\n, \\t, ...)');
      if (text[i] === '\\') {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail('bad \\u escape: it needs four hex digits');
          i += 6;
          continue;
        }
        if (!e || !'"\\/bfnrt'.includes(e)) fail(`bad escape '\\${e ?? ''}' in a string`);
        i += 2;
        continue;
      }
      i++;
    }
    if (i >= text.length) fail('unterminated string', start);
    i++;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      enter();
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        depth--;
        return;
      }
      for (let comma = -1; ; ) {
        ws();
        if (text[i] === '}') fail("trailing comma before '}' (JSON allows none)", comma);
        if (text[i] !== '"') fail(`expected a key in double quotes, found ${describe()}`);
        string();
        ws();
        if (text[i] !== ':') fail(`expected ':' after the key, found ${describe()}`);
        i++;
        value();
        ws();
        if (text[i] === ',') {
          comma = i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          depth--;
          return;
        }
        fail(`expected ',' or '}' after a value, found ${describe()}`);
      }
    }
    if (c === '[') {
      enter();
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        depth--;
        return;
      }
      for (let comma = -1; ; ) {
        ws();
        if (text[i] === ']') fail("trailing comma before ']' (JSON allows none)", comma);
        value();
        ws();
        if (text[i] === ',') {
          comma = i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          depth--;
          return;
        }
        fail(`expected ',' or ']' after a value, found ${describe()}`);
      }
    }
    if (c === '"') return string();
    const lit = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(i, i + 400));
    if (lit) {
      i += lit[0].length;
      return;
    }
    if (c === "'") fail('strings must use double quotes in JSON');
    fail(`expected a value, found ${describe()}`);
  };
  try {
    value();
    ws();
    if (i < text.length) fail(`unexpected ${describe()} after the end of the JSON value`);
    return undefined;
  } catch (e) {
    if (typeof e === 'object' && e !== null && 'offset' in e) return e as JsonSyntaxError;
    throw e;
  }
}
