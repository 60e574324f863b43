/**
 * CSV as RFC 4180 writes it, read by csv-parse: a header row, comma-separated
 * fields, fields in double quotes may hold commas, quotes ("") and line
 * breaks. Also accepted: a byte-order mark, LF, CRLF or CR line ends (mixed),
 * no final newline, and lines with nothing on them (skipped). Every row keeps
 * the physical line it starts on, so errors point at it.
 */
import { CsvError, parse } from 'csv-parse/sync';
import { didYouMean } from '../document/suggest.js';
import { dataError } from './problem.js';

export interface CsvTable {
  header: string[];
  /** Rows of fields, each row as long as the header. */
  rows: string[][];
  /** The file line where each row starts (1-based). */
  lines: number[];
}

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

export function parseCsv(file: string, text: string, delimiter = ','): CsvTable {
  if (text.trim() === '') throw dataError(file, 'is empty; a CSV file needs a header row and at least one data row', { line: 1 });
  const bytes = Buffer.from(text, 'utf8');
  let records: string[][];
  try {
    records = parse(bytes, { bom: true, delimiter, record_delimiter: ['\r\n', '\n', '\r'], skip_empty_lines: true, relax_column_count: true });
  } catch (e) {
    if (e instanceof CsvError) throw syntaxError(file, bytes, delimiter, e);
    throw e;
  }
  // csv-parse's own line count (info.lines) counts a CRLF inside a quoted field twice, so the lines come from the bytes.
  const starts = recordLines(bytes);
  if (starts.length !== records.length) throw new Error(`${file}: found ${starts.length} row starts for ${records.length} CSV records`);
  if (records.length === 0) throw dataError(file, 'is empty; a CSV file needs a header row and at least one data row', { line: 1 });
  const header = records[0]!.map((h) => h.trim());
  checkHeader(file, header, starts[0]!);
  if (records.length === 1) throw dataError(file, 'has a header but no data rows', { line: starts[0]! });
  const rows = records.slice(1);
  const lines = starts.slice(1);
  rows.forEach((r, k) => {
    if (r.length !== header.length) {
      throw dataError(file, `row has ${r.length} fields but the header has ${header.length} (${header.join(', ')}); every row needs one value per column`, { line: lines[k]! });
    }
  });
  return { header, rows, lines };
}

/** Columns are found by name, so two with one name would leave the second unread. */
function checkHeader(file: string, header: string[], line: number): void {
  const seen = new Map<string, number>();
  header.forEach((name, i) => {
    const first = seen.get(name);
    if (first === undefined) {
      seen.set(name, i);
      return;
    }
    const which = `columns ${first + 1} and ${i + 1}`;
    throw dataError(file, name === '' ? `${which} both have no name; name them in the header row` : `${which} are both named '${name}'; rename one`, { line });
  });
}

function bomLength(bytes: Buffer): number {
  return bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
}

/**
 * Where each record is, in bytes csv-parse has accepted: the line (1-based)
 * it starts on and its bytes without the line break that ends it. A line
 * break inside quotes belongs to its field (a doubled quote toggles twice, so
 * quote parity is the quoting state), and a line with nothing on it holds no
 * record. CRLF, LF and CR each end one line.
 */
function recordSpans(bytes: Buffer): { line: number; start: number; end: number }[] {
  const spans: { line: number; start: number; end: number }[] = [];
  let open: { line: number; start: number; end: number } | undefined;
  let line = 1;
  let quoted = false;
  for (let i = bomLength(bytes); i < bytes.length; i++) {
    const c = bytes[i]!;
    if (c === LF || c === CR) {
      if (!quoted && open) {
        open.end = i;
        open = undefined;
      }
      if (c === CR && bytes[i + 1] === LF) i++;
      line++;
      continue;
    }
    if (!open) {
      open = { line, start: i, end: bytes.length };
      spans.push(open);
    }
    if (c === QUOTE) quoted = !quoted;
  }
  return spans;
}

/** The line (1-based) on which each record starts. */
function recordLines(bytes: Buffer): number[] {
  return recordSpans(bytes).map((s) => s.line);
}

/**
 * The text of each record of a CSV file `parseCsv` has accepted, as written
 * (quotes and line breaks inside quoted fields kept, the line end that closes
 * it left off), by the line it starts on; the header is the first.
 */
export function csvRecordTexts(text: string): { line: number; text: string }[] {
  const bytes = Buffer.from(text, 'utf8');
  return recordSpans(bytes).map((s) => ({ line: s.line, text: bytes.toString('utf8', s.start, s.end) }));
}

/** The line and column (1-based, in characters) of a byte offset. */
function placeOf(bytes: Buffer, at: number): { line: number; col: number } {
  let line = 1;
  let lineStart = bomLength(bytes);
  for (let i = lineStart; i < at; i++) {
    const c = bytes[i]!;
    if (c === LF || (c === CR && bytes[i + 1] !== LF)) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, col: bytes.toString('utf8', lineStart, at).length + 1 };
}

/** The end of a field's text: the next delimiter or line end at or after `from`. */
function fieldEnd(bytes: Buffer, from: number, delimiter: Buffer): number {
  let end = from;
  while (end < bytes.length && bytes[end] !== LF && bytes[end] !== CR && !(bytes[end] === delimiter[0] && bytes.subarray(end, end + delimiter.length).equals(delimiter))) end++;
  return end;
}

const quoteRule = 'quote the whole field and write each " inside it as ""';

function asQuoted(inner: string): string {
  return `"${inner.replaceAll('"', '""')}"`;
}

/** A field as written, to quote in a message; undefined when it spans lines or is too long to help. */
function shown(bytes: Buffer, start: number, end: number): string | undefined {
  const text = bytes.toString('utf8', start, end);
  return text.length <= 60 && !/[\r\n]/.test(text) ? text : undefined;
}

/**
 * A csv-parse syntax error as a data error at its place. csv-parse reports
 * the byte where the failing field's record or field begins (`bytes`: the end
 * of the previous record, or the delimiter before the field) and which field
 * it is (`column`); the place of the quote at fault is found from there.
 */
function syntaxError(file: string, bytes: Buffer, delimiterText: string, e: CsvError) {
  const delimiter = Buffer.from(delimiterText, 'utf8');
  const column = typeof e.column === 'number' ? e.column : 0;
  let start = Math.max(typeof e.bytes === 'number' ? e.bytes : 0, bomLength(bytes));
  if (column > 0) start += delimiter.length;
  else while (bytes[start] === LF || bytes[start] === CR) start++;
  switch (e.code) {
    case 'CSV_INVALID_CLOSING_QUOTE': {
      // The first quote that is not doubled closes the field; what follows it is the fault.
      let at = start + 1;
      while (at < bytes.length && !(bytes[at] === QUOTE && bytes[at + 1] !== QUOTE)) at += bytes[at] === QUOTE ? 2 : 1;
      const field = shown(bytes, start, fieldEnd(bytes, at + 1, delimiter));
      const message =
        field === undefined
          ? `a quoted field goes on after its closing quote; ${quoteRule}`
          : `the quoted field ${field} goes on after its closing quote; ${quoteRule} (here: ${asQuoted(field.slice(1).replace(/"$/, ''))})`;
      return dataError(file, message, placeOf(bytes, at + 1));
    }
    case 'INVALID_OPENING_QUOTE': {
      const at = bytes.indexOf(QUOTE, start);
      const field = shown(bytes, start, fieldEnd(bytes, start, delimiter));
      const message =
        field === undefined
          ? `a " is inside an unquoted field; ${quoteRule}`
          : `the unquoted field ${field} holds a "; ${quoteRule} (here: ${asQuoted(field)})`;
      return dataError(file, message, placeOf(bytes, at < 0 ? start : at));
    }
    case 'CSV_QUOTE_NOT_CLOSED':
      return dataError(file, 'a quoted field is never closed (a " is missing); end it with a ", and write each " inside it as ""', placeOf(bytes, start));
    default:
      return dataError(file, `is not valid CSV: ${e.message}`, placeOf(bytes, start));
  }
}

/** The column of each name, or an error naming the file and the columns there are. */
export function columnIndex(file: string, table: CsvTable, name: string, what: string, hint = ''): number {
  const i = table.header.indexOf(name);
  if (i < 0) throw dataError(file, `has no column '${name}' (the ${what})${didYouMean(name, table.header)}; its columns are: ${table.header.join(', ')}${hint}`, { line: 1 });
  return i;
}

/** Read a numeric field; empty fields are missing values (NaN) when `allowMissing`. */
export function numberAt(file: string, table: CsvTable, row: number, col: number, allowMissing: boolean): number {
  const raw = table.rows[row]![col]!.trim();
  if (raw === '' || raw === 'NA' || raw === 'NaN') {
    if (allowMissing) return Number.NaN;
    throw dataError(file, `column '${table.header[col]}' is empty in this row; fill it in, or set missing: mean in the dataset descriptor`, { line: table.lines[row]! });
  }
  const v = Number(raw);
  if (!Number.isFinite(v)) throw dataError(file, `column '${table.header[col]}' holds '${raw}', which is not a number`, { line: table.lines[row]! });
  return v;
}
