/** `strata report`: gather a run's results and write them as one HTML file. */
import { writeFileSync } from 'node:fs';
import type { Engine } from '../backend/select.js';
import { osFailure } from '../errors.js';
import { collectReport } from './collect.js';
import type { CollectOptions, ReportData } from './collect.js';
import { renderReport } from './html.js';

export type { ReportData } from './collect.js';

/** Write the report of `runDir` to `file`; returns what it showed and the file's size in bytes. */
export async function writeReport(engine: Engine, runDir: string, file: string, o: CollectOptions = {}): Promise<{ data: ReportData; bytes: number }> {
  const data = await collectReport(engine, runDir, o);
  const html = await renderReport(data);
  try {
    writeFileSync(file, html);
  } catch (e) {
    throw osFailure(e, `cannot write the report ${file}`, { ENOENT: 'the folder it goes in does not exist' });
  }
  return { data, bytes: Buffer.byteLength(html) };
}
