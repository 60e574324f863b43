/** Reading a dataset descriptor, checked against its schema with errors at the line. */
import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { checkSchema } from '../document/check-schema.js';
import { parseSpecText } from '../document/source.js';
import { descriptorSchema } from './descriptor.js';
import type { Descriptor } from './descriptor.js';

export function readDescriptor(file: string): Descriptor {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new UsageError({ file, code: 'no-descriptor', message: 'the dataset descriptor cannot be read' });
  }
  const parsed = parseSpecText(file, text);
  if (parsed.diagnostics.length > 0) throw new UsageError(parsed.diagnostics);
  const problems = checkSchema(parsed.value, parsed.source!, descriptorSchema, 'the dataset descriptor');
  if (problems.length > 0) throw new UsageError(problems);
  return parsed.value as Descriptor;
}
