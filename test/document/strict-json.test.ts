import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkStrictJson } from '../../src/document/strict-json.js';

test('valid JSON passes', () => {
  assert.equal(checkStrictJson('{"a": [1, 2.5e3, -0, true, null, "x\\n\\u00e9"], "b": {}}'), undefined);
});

test('each JSON mistake is found at its offset', () => {
  const cases: [string, number, RegExp][] = [
    ['{"a": 1,}', 7, /trailing comma before '}'/],
    ['[1, 2,]', 5, /trailing comma before '\]'/],
    ['{"a": 1 // no\n}', 8, /comments/],
    ["{'a': 1}", 1, /key in double quotes/],
    ['{"a": \'x\'}', 6, /double quotes/],
    ['{"a" 1}', 5, /expected ':'/],
    ['{"a": 1} x', 9, /after the end/],
    ['{"a": "b', 6, /unterminated string/],
    ['{"a": 01}', 7, /expected ',' or '}'/],
    ['', 0, /expected a value/],
  ];
  for (const [text, offset, message] of cases) {
    const e = checkStrictJson(text);
    assert.ok(e, text);
    assert.equal(e.offset, offset, text);
    assert.match(e.message, message, text);
  }
});
