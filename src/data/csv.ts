/**
 * CSV as RFC 4180 writes it: a header row, comma-separated fields, fields in
 * double quotes may hold commas, quotes ("") and line breaks. Every field
 * keeps its line and column, so errors point at it.
 */
import { dataError } from './problem.js';

export interface CsvTable {
  header: string[];
  /** Rows of fields, each row as long as the header. */
  rows: string[][];
  /** The file line where each row starts (1-based). */
  lines: number[];
}

export function parseCsv(file: string, text: string, delimiter = ','): CsvTable {
  if (text.trim() === '') throw dataError(file, 'is empty; a CSV file needs a header row and at least one data row', { line: 1 });
  const records: { fields: string[]; line: number }[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let recordLine = 1;
  let i = 0;
  let quoted = false;
  const n = text.length;
  if (text.charCodeAt(0) === 0xfeff) i = 1;
  while (i < n) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        continue;
      }
      if (c === '\n') line++;
      field += c;
      i++;
      continue;
    }
    if (c === '"' && field === '') {
      quoted = true;
      i++;
      continue;
    }
    if (c === delimiter) {
      fields.push(field);
      field = '';
      i++;
      continue;
    }
    if (c === '\n' || c === '\r') {
      fields.push(field);
      field = '';
      if (!(fields.length === 1 && fields[0] === '')) records.push({ fields, line: recordLine });
      fields = [];
      if (c === '\r' && text[i + 1] === '\n') i++;
      i++;
      line++;
      recordLine = line;
      continue;
    }
    field += c;
    i++;
  }
  if (quoted) throw dataError(file, 'a quoted field is never closed (a " is missing)', { line: recordLine });
  if (field !== '' || fields.length > 0) {
    fields.push(field);
    records.push({ fields, line: recordLine });
  }
  const [head, ...body] = records;
  const header = head!.fields.map((h) => h.trim());
  if (body.length === 0) throw dataError(file, 'has a header but no data rows', { line: 1 });
  for (const r of body) {
    if (r.fields.length !== header.length) {
      throw dataError(file, `row has ${r.fields.length} fields but the header has ${header.length} (${header.join(', ')}); every row needs one value per column`, { line: r.line });
    }
  }
  return { header, rows: body.map((r) => r.fields), lines: body.map((r) => r.line) };
}

/** The column of each name, or an error naming the file and the columns there are. */
export function columnIndex(file: string, table: CsvTable, name: string, what: string): number {
  const i = table.header.indexOf(name);
  if (i < 0) throw dataError(file, `has no column '${name}' (the ${what}); its columns are: ${table.header.join(', ')}`, { line: 1 });
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
