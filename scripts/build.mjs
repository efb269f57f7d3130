#!/usr/bin/env node
// `npm run build` (also run by `npm ci` and `npm install`, as the `prepare` script): bundles the CLI ahead of time
// into dist/mesh-conformance.mjs with esbuild (our code only; packages stay external), so `mesh-conformance` runs as
// plain JavaScript with no TypeScript loader in memory. Writes beside it the source map, the module loader hook that
// harness/config/config-file.ts registers by a path relative to itself, and dist/build-inputs.json: the files the
// bundle was made from, which bin/prebuilt.js compares with the bundle's time to tell a stale build from a fresh one.
import { copyFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import process from 'node:process';
import { build } from 'esbuild';
import { bundleFile, inputsFile } from '../bin/prebuilt.js';

const root = resolve(import.meta.dirname, '..');
const dist = join(root, 'dist');
/** Files the bundle needs at run time beside it (resolved from its own URL), with the sources they come from. */
const companions = [{ from: 'harness/config/esm-config-hooks.mjs', to: 'esm-config-hooks.mjs' }];

mkdirSync(dist, { recursive: true });
// Built under a temporary name and renamed last: a CLI starting meanwhile sees the old bundle or the new one, whole.
const tmp = join(dist, `.mesh-conformance.${process.pid}.mjs`);
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
  const inputs = [...Object.keys(result.metafile.inputs), ...companions.map((c) => c.from)].map((p) => relative(root, resolve(root, p))).sort();
  for (const c of companions) copyFileSync(join(root, c.from), join(dist, c.to));
  const bundle = join(dist, bundleFile);
  renameSync(`${tmp}.map`, `${bundle}.map`);
  // The map keeps pointing at its final name: esbuild wrote the temporary one into the bundle's last line.
  writeFileSync(tmp, readFileSync(tmp, 'utf8').replace(/\/\/# sourceMappingURL=\S+\s*$/, `//# sourceMappingURL=${bundleFile}.map\n`));
  renameSync(tmp, bundle);
  // The inputs list is written after the bundle, so the bundle is never younger than the list that vouches for it.
  writeFileSync(join(dist, inputsFile), `${JSON.stringify({ bundle: bundleFile, inputs }, null, 2)}\n`);
  process.stdout.write(`build: ${relative(process.cwd(), bundle) || bundle} from ${inputs.length} files\n`);
} catch (err) {
  process.stderr.write(`build: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
