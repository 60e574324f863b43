/** `strata report`: gather a run's results and write them as one HTML file. */
import { writeFileSync } from 'node:fs';
import type { Engine } from '../backend/select.js';
import { collectReport } from './collect.js';
import type { CollectOptions, ReportData } from './collect.js';
import { renderReport } from './html.js';

export type { ReportData } from './collect.js';

/** Write the report of `runDir` to `file`; returns what it showed and the file's size in bytes. */
export async function writeReport(engine: Engine, runDir: string, file: string, o: CollectOptions = {}): Promise<{ data: ReportData; bytes: number }> {
  const data = await collectReport(engine, runDir, o);
  const html = await renderReport(data);
  writeFileSync(file, html);
  return { data, bytes: Buffer.byteLength(html) };
}
