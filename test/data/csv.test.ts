/**
 * The CSV reader on its own: what it accepts (RFC 4180 plus BOM, CRLF, CR,
 * blank lines), the line each row starts on, and what it refuses, always
 * with the file and the physical line in it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCsv } from '../../src/data/csv.js';
import { UsageError } from '../../src/errors.js';

/** The one diagnostic line a user would see for a refused file. */
function refusal(text: string): { message: string; line: number | undefined; col: number | undefined } {
  try {
    parseCsv('q.csv', text);
  } catch (e) {
    assert.ok(e instanceof UsageError, String(e));
    assert.equal(e.exitCode, 2);
    assert.equal(e.diagnostics.length, 1);
    const d = e.diagnostics[0]!;
    return { message: e.message, line: d.line, col: d.col };
  }
  assert.fail(`q.csv was accepted: ${JSON.stringify(text)}`);
}

test('a byte-order mark, CRLF or CR line ends, and a missing final newline read the same as plain LF', () => {
  const plain = parseCsv('q.csv', 'a,b\n1,2\n3,4\n');
  assert.deepEqual(plain, { header: ['a', 'b'], rows: [['1', '2'], ['3', '4']], lines: [2, 3] });
  for (const text of ['\ufeffa,b\n1,2\n3,4\n', 'a,b\r\n1,2\r\n3,4\r\n', 'a,b\r1,2\r3,4\r', 'a,b\n1,2\n3,4', 'a,b\r\n1,2\n3,4\r']) {
    assert.deepEqual(parseCsv('q.csv', text), plain, JSON.stringify(text));
  }
});

test('header names are trimmed; fields are kept as written', () => {
  const t = parseCsv('q.csv', ' a , b\n 1 ,x \n');
  assert.deepEqual(t.header, ['a', 'b']);
  assert.deepEqual(t.rows, [[' 1 ', 'x ']]);
});

test('blank lines are skipped and the rows after them keep their own line numbers', () => {
  const t = parseCsv('q.csv', '\na,b\n\n1,2\n\n\n3,4\n\n');
  assert.deepEqual(t.header, ['a', 'b']);
  assert.deepEqual(t.rows, [['1', '2'], ['3', '4']]);
  assert.deepEqual(t.lines, [4, 7]);
});

test('quoted fields hold delimiters, doubled quotes and line breaks; rows after them keep their physical line', () => {
  for (const nl of ['\n', '\r\n']) {
    const t = parseCsv('q.csv', `a,b${nl}"x, y","say ""hi"""${nl}"two${nl}lines",3${nl}"",""${nl}5,6${nl}`);
    assert.deepEqual(t.rows, [['x, y', 'say "hi"'], [`two${nl}lines`, '3'], ['', ''], ['5', '6']], JSON.stringify(nl));
    assert.deepEqual(t.lines, [2, 3, 5, 6], JSON.stringify(nl));
  }
});

test('another delimiter can be asked for', () => {
  assert.deepEqual(parseCsv('q.csv', 'a;b\n"1;5";2\n', ';').rows, [['1;5', '2']]);
});

test('an empty file, or one with a header and no rows, is refused on line 1', () => {
  assert.match(refusal('').message, /^q\.csv:1:1: error: is empty; a CSV file needs a header row and at least one data row$/);
  assert.match(refusal(' \n\n').message, /^q\.csv:1:1: error: is empty/);
  assert.match(refusal('a,b\n').message, /^q\.csv:1:1: error: has a header but no data rows$/);
});

test('a row with too few or too many fields is refused on the line where it starts', () => {
  assert.match(refusal('a,b,label\n1,2,x\n3,4\n').message, /^q\.csv:3:1: error: row has 2 fields but the header has 3 \(a, b, label\); every row needs one value per column$/);
  assert.equal(refusal('a,b\n1,2,3\n').line, 2);
  // After a field that spans lines, the count is of lines in the file, not rows.
  assert.equal(refusal('a,b\n"one\ntwo\nthree",1\n4\n').line, 5);
  assert.equal(refusal('a,b\r\n"one\r\ntwo\r\nthree",1\r\n4\r\n').line, 5);
  assert.equal(refusal('a,b\n"one\ntwo",1,2\n').line, 2);
});

test('a quoted field that is never closed is refused where its quote opens', () => {
  assert.match(refusal('a,b\n1,2\n"abc,3\n4,5\n').message, /^q\.csv:3:1: error: a quoted field is never closed/);
});

test('text after the closing quote of a field is refused at that text, with the fix', () => {
  const r = refusal('a,b\n1,2\n"ab"cd,3\n');
  assert.equal(r.message, 'q.csv:3:5: error: the quoted field "ab"cd goes on after its closing quote; quote the whole field and write each " inside it as "" (here: "ab""cd")');
  assert.match(refusal('a,b\n1,"say "hi" now"\n').message, /^q\.csv:2:9: error: the quoted field "say "hi" now" goes on after its closing quote; .* \(here: "say ""hi"" now"\)$/);
});

test('a quote inside an unquoted field is refused at the quote, with the fix', () => {
  const r = refusal('a,b\n1,2\n3,ab"cd\n');
  assert.equal(r.message, 'q.csv:3:5: error: the unquoted field ab"cd holds a "; quote the whole field and write each " inside it as "" (here: "ab""cd")');
  assert.match(refusal('a,b"\n1,2\n').message, /^q\.csv:1:4: error: the unquoted field b" holds a "/);
});

test('quote errors after a field that spans lines name the physical line, with LF and with CRLF', () => {
  for (const nl of ['\n', '\r\n']) {
    const text = ['a,b', '"one', 'two",1', '', '"ab"cd,2', ''].join(nl);
    assert.deepEqual([refusal(text).line, refusal(text).col], [5, 5], JSON.stringify(nl));
    const stray = ['a,b', '1,"x', 'y', 'z"', 'é,ab"cd', ''].join(nl);
    assert.deepEqual([refusal(stray).line, refusal(stray).col], [5, 5], JSON.stringify(nl));
    const inside = ['a,b', '"one', 'two"x,1', ''].join(nl);
    assert.deepEqual([refusal(inside).line, refusal(inside).col], [3, 5], JSON.stringify(nl));
    // A field over several lines is not quoted back in the message, only the rule.
    assert.match(refusal(inside).message, /error: a quoted field goes on after its closing quote; quote the whole field and write each " inside it as ""$/);
  }
});

test('a quoted field never closed is refused on the line of its opening quote, not where the row starts', () => {
  assert.match(refusal('a,b\n"x\ny","c\n1,2\n').message, /^q\.csv:3:4: error: a quoted field is never closed \(a " is missing\); /);
});

test('a one-column row holding an empty quoted field is a row, not a blank line', () => {
  const t = parseCsv('q.csv', 'a\n""\n\nx\n""');
  assert.deepEqual(t.rows, [[''], ['x'], ['']]);
  assert.deepEqual(t.lines, [2, 4, 5]);
});

test('two columns with the same name are refused on the header line', () => {
  assert.match(refusal('a,price,b,c,price\n1,2,3,4,5\n').message, /^q\.csv:1:1: error: columns 2 and 5 are both named 'price'; rename one$/);
  assert.match(refusal('\nx, y ,y\n1,2,3\n').message, /^q\.csv:2:1: error: columns 2 and 3 are both named 'y'; rename one$/);
  assert.match(refusal('x,,\n1,2,3\n').message, /^q\.csv:1:1: error: columns 2 and 3 both have no name; name them in the header row$/);
  assert.deepEqual(parseCsv('q.csv', 'x,\n1,2\n').header, ['x', '']);
});
