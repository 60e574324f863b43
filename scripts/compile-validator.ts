/**
 * Compile the spec schema's validator ahead of time (ajv standalone code), so
 * `strata validate` does not spend a second compiling the schema at every
 * start. Run by `npm run build`; the output lives only in dist/. spec/validator.ts
 * uses it when its schema hash matches, and compiles at run time otherwise.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import standaloneCode from 'ajv/dist/standalone/index.js';
import { AJV_OPTIONS } from '../src/document/check-schema.js';
import { COMPILED_VALIDATOR } from '../src/spec/validator.js';
import { specSchema } from '../src/spec/read.js';

const schema = specSchema();
const ajv = new Ajv2020({ ...AJV_OPTIONS, code: { source: true } });
const validate = ajv.compile(schema);
const hash = createHash('sha256').update(JSON.stringify(schema)).digest('hex');
type Generate = (ajv: Ajv2020, validate: unknown) => string;
const generate = ((standaloneCode as unknown as { default?: Generate }).default ?? standaloneCode) as unknown as Generate;
writeFileSync(new URL(COMPILED_VALIDATOR, import.meta.resolve('../src/spec/validator.js')), `${generate(ajv, validate)}\nmodule.exports.schemaHash = ${JSON.stringify(hash)};\n`);
