#!/usr/bin/env -S node --import tsx
// Writes docs/conformance-report.schema.json from the ConformanceReport's zod schema (harness/report/conformance-report.ts).
// Usage: node --import tsx scripts/render-report-schema.ts [--check]   (--check: exit 1 when the file is stale)
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { reportJsonSchema } from '../harness/report/conformance-report.ts';

export const schemaPath = 'docs/conformance-report.schema.json';
const file = join(fileURLToPath(new URL('..', import.meta.url)), schemaPath);
const text = `${JSON.stringify(reportJsonSchema(), null, 2)}\n`;
let current: string | undefined;
try {
  current = readFileSync(file, 'utf8');
} catch {
  current = undefined;
}
if (process.argv.includes('--check')) {
  if (current !== text) {
    process.stderr.write(`${schemaPath} is stale: run node --import tsx scripts/render-report-schema.ts\n`);
    process.exitCode = 1;
  }
} else {
  writeFileSync(file, text);
  process.stdout.write(`wrote ${schemaPath}\n`);
}
