/**
 * `--only PATTERN`: which weights to compress, by name (`dense_1/kernel`).
 * Shell-style patterns matched against the whole name, as tfjs-converter's
 * `--quantize_uint8 PATTERN` matches them (Python's fnmatch): `*` any run of
 * characters, `/` included; `?` one character; `[abc]`, `[a-z]` one of a set,
 * `[!abc]` one not in it. Several patterns are separated by commas; a weight
 * matching any of them is chosen.
 */

const special = /[\\^$.|+(){}]/g;

/** One shell-style pattern as an anchored regular expression. */
export function globRegExp(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else if (c === '[') {
      // A set runs to the next ']' (a ']' right after '[' or '[!' belongs to the set); without one, '[' is itself.
      let j = i + 1;
      if (pattern[j] === '!') j++;
      if (pattern[j] === ']') j++;
      while (j < pattern.length && pattern[j] !== ']') j++;
      if (j >= pattern.length) {
        out += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, j).replace(/\\/g, '\\\\');
      if (body.startsWith('!')) body = `^${body.slice(1)}`;
      else if (body.startsWith('^')) body = `\\${body}`;
      out += `[${body.replace(/\[/g, '\\[').replace(/\]/g, '\\]')}]`;
      i = j;
    } else out += c.replace(special, '\\$&').replace(']', '\\]');
  }
  return new RegExp(`^${out}$`, 's');
}

/** The patterns of an `--only` value (comma-separated, blanks around each ignored), each as a RegExp. */
export function parsePatterns(value: string): RegExp[] {
  return value
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .map(globRegExp);
}

/** Whether `name` matches any of `patterns`. */
export function matchesAny(name: string, patterns: readonly RegExp[]): boolean {
  return patterns.some((p) => p.test(name));
}
