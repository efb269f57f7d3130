#!/usr/bin/env node
// The `mesh-conformance` command. Runs the CLI bundled ahead of time (dist/, `npm run build`, which `npm ci` runs)
// with plain Node when that bundle is current; otherwise (sources changed since the build, or no build) registers
// tsx and runs the TypeScript sources as they are. bin/prebuilt.js decides; MESH_CONFORMANCE_TSX=1 forces the sources.
import { join } from 'node:path';
import process from 'node:process';
import { pathToFileURL } from 'node:url';
import { forceTsxEnv, prebuiltCli } from './prebuilt.js';

const built = process.env[forceTsxEnv] === '1' ? { stale: `${forceTsxEnv}=1` } : prebuiltCli(join(import.meta.dirname, '..'));
if (process.env.MESH_CONFORMANCE_DEBUG) process.stderr.write(`mesh-conformance: ${'bundle' in built ? `running ${built.bundle}` : `running the sources with tsx: ${built.stale}`}\n`);
let entry;
if ('bundle' in built) {
  // The stack traces MESH_CONFORMANCE_DEBUG prints name the TypeScript sources, through the bundle's source map.
  if (process.env.MESH_CONFORMANCE_DEBUG) process.setSourceMapsEnabled(true);
  entry = built.bundle;
} else {
  const { register } = await import('tsx/esm/api');
  register();
  entry = join(import.meta.dirname, '..', 'cli', 'entrypoint.ts');
}
// The entry point runs the CLI with this process's arguments and exits with its code.
await import(pathToFileURL(entry).href);
