#!/usr/bin/env node
// `npm run build` (also run by `npm ci` and `npm install`, as the `prepare` script): bundles the CLI ahead of time
// into dist/mesh-conformance.mjs with esbuild (our code only; packages stay external), so `mesh-conformance` runs as
// plain JavaScript with no TypeScript loader in memory. Writes beside it the source map, the module loader hook that
// harness/config/config-file.ts registers by a path relative to itself, and dist/build-inputs.json: the files the
// bundle was made from (size, time, content hash), which bin/prebuilt.js checks to tell a stale build from a fresh one.
import { copyFileSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import process from 'node:process';
import { build } from 'esbuild';
import { bundleFile, inputsFile, recordInput } from '../bin/prebuilt.js';

const root = resolve(import.meta.dirname, '..');
const dist = join(root, 'dist');
/** Files the bundle needs at run time beside it (resolved from its own URL), with the sources they come from. */
const companions = [{ from: 'harness/config/esm-config-hooks.mjs', to: 'esm-config-hooks.mjs' }];

mkdirSync(dist, { recursive: true });
// Built under a temporary name and renamed last: a CLI starting meanwhile sees the old bundle or the new one, whole.
const tmp = join(dist, `.mesh-conformance.${process.pid}.mjs`);
const startedAt = Date.now();
try {
  const result = await build({
    entryPoints: [join(root, 'cli', 'entrypoint.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    packages: 'external',
    outfile: tmp,
    sourcemap: 'linked',
    // Stack traces (MESH_CONFORMANCE_DEBUG) name the TypeScript sources: the map's paths are relative to dist/.
    sourceRoot: '',
    metafile: true,
    logLevel: 'warning',
  });
  const paths = [...Object.keys(result.metafile.inputs), ...companions.map((c) => c.from)].map((p) => relative(root, resolve(root, p))).sort();
  const inputs = paths.map((p) => recordInput(root, p));
  for (const c of companions) copyFileSync(join(root, c.from), join(dist, c.to));
  const bundle = join(dist, bundleFile);
  renameSync(`${tmp}.map`, `${bundle}.map`);
  // The map keeps pointing at its final name: esbuild wrote the temporary one into the bundle's last line.
  writeFileSync(tmp, readFileSync(tmp, 'utf8').replace(/\/\/# sourceMappingURL=\S+\s*$/, `//# sourceMappingURL=${bundleFile}.map\n`));
  renameSync(tmp, bundle);
  // A source saved while esbuild ran may be in the list with content the bundle lacks: then no list, and the CLI
  // runs the sources until the next build.
  const changed = inputs.filter((i) => i.mtimeMs >= startedAt).map((i) => i.path);
  if (changed.length) {
    rmSync(join(dist, inputsFile), { force: true });
    process.stderr.write(`build: ${changed.join(', ')} changed during the build: run npm run build again (until then the CLI runs the sources)\n`);
  } else {
    writeFileSync(join(dist, inputsFile), `${JSON.stringify({ bundle: bundleFile, inputs }, null, 2)}\n`);
    process.stdout.write(`build: ${relative(process.cwd(), bundle) || bundle} from ${inputs.length} files\n`);
  }
} catch (err) {
  process.stderr.write(`build: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
