// Whether the CLI bundled ahead of time (`npm run build`, scripts/build.mjs) is current: bin/mesh-conformance.js
// runs it with plain Node when it is, and the TypeScript sources through tsx when it is not (a checkout edited,
// pulled or switched to another branch since the build), so a developer never runs stale code.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The bundle in dist/ (also the container image's entry point). */
export const bundleFile = 'mesh-conformance.mjs';
/** The list of files the bundle was built from, written by scripts/build.mjs beside it. */
export const inputsFile = 'build-inputs.json';
/** Set to 1 to run the TypeScript sources through tsx even when the bundle is current. */
export const forceTsxEnv = 'MESH_CONFORMANCE_TSX';

/**
 * The bundle to run, or why the sources must run instead: no build, a build that cannot be read, or a source file
 * changed (or gone) since the build. Compares modification times: a file edited, checked out or pulled after the
 * build is newer than the bundle. A file that no input imported before the change is covered too, because the file
 * that now imports it changed.
 * @param {string} root the package root
 * @param {{ statSync: (p: string) => { mtimeMs: number }, readFileSync: (p: string, e: 'utf8') => string }} [fs]
 * @returns {{ bundle: string } | { stale: string }}
 */
export function prebuiltCli(root, fs = { statSync, readFileSync }) {
  const dist = join(root, 'dist');
  const bundle = join(dist, bundleFile);
  let builtAt;
  /** @type {unknown} */
  let list;
  try {
    builtAt = fs.statSync(bundle).mtimeMs;
    list = JSON.parse(fs.readFileSync(join(dist, inputsFile), 'utf8'));
  } catch {
    return { stale: 'not built (npm run build)' };
  }
  const inputs = /** @type {{ inputs?: unknown }} */ (list ?? {}).inputs;
  if (!Array.isArray(inputs) || !inputs.length || inputs.some((p) => typeof p !== 'string')) return { stale: `dist/${inputsFile} lists no inputs` };
  for (const input of /** @type {string[]} */ (inputs)) {
    let changedAt;
    try {
      changedAt = fs.statSync(join(root, input)).mtimeMs;
    } catch {
      return { stale: `${input} is gone since the build` };
    }
    if (changedAt > builtAt) return { stale: `${input} changed since the build` };
  }
  return { bundle };
}
