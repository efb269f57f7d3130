// Whether the CLI bundled ahead of time (`npm run build`, scripts/build.mjs) is current: bin/mesh-conformance.js
// runs it with plain Node when it is, and the TypeScript sources through tsx when it is not (a checkout edited,
// pulled or switched to another branch since the build), so a developer never runs stale code.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The bundle in dist/ (also the container image's entry point). */
export const bundleFile = 'mesh-conformance.mjs';
/** The files the bundle was built from, with their size, time and content hash, written by scripts/build.mjs beside it. */
export const inputsFile = 'build-inputs.json';
/** Set to 1 to run the TypeScript sources through tsx even when the bundle is current. */
export const forceTsxEnv = 'MESH_CONFORMANCE_TSX';

/**
 * @typedef {{ path: string, size: number, mtimeMs: number, sha1: string }} BuildInput a file the bundle was built from,
 *   its path relative to the package root
 */

/** @param {Buffer | string} content */
export function sha1(content) {
  return createHash('sha1').update(content).digest('hex');
}

/**
 * What scripts/build.mjs records of one input.
 * @param {string} root the package root
 * @param {string} path relative to it
 * @returns {BuildInput}
 */
export function recordInput(root, path) {
  const file = join(root, path);
  const { size, mtimeMs } = statSync(file);
  return { path, size, mtimeMs, sha1: sha1(readFileSync(file)) };
}

/**
 * The bundle to run, or why the sources must run instead: no build, a build whose input list cannot be read, or a
 * source file changed or gone since the build. A file with the recorded size and time is taken as unchanged
 * (a stat each: under a millisecond for the CLI's 120 files); one whose time differs (edited, checked out, pulled,
 * copied) is read and compared by content, so a branch switched back and forth still runs the bundle. A file that
 * no input imported before the change is covered too, because the file that now imports it changed.
 * @param {string} root the package root
 * @param {{ statSync: (p: string) => { size: number, mtimeMs: number }, readFileSync: (p: string) => Buffer | string }} [fs]
 * @returns {{ bundle: string } | { stale: string }}
 */
export function prebuiltCli(root, fs = { statSync, readFileSync }) {
  const dist = join(root, 'dist');
  const bundle = join(dist, bundleFile);
  /** @type {unknown} */
  let list;
  try {
    fs.statSync(bundle);
    list = JSON.parse(String(fs.readFileSync(join(dist, inputsFile))));
  } catch {
    return { stale: 'not built (npm run build)' };
  }
  const inputs = /** @type {{ inputs?: unknown }} */ (list ?? {}).inputs;
  const valid = (/** @type {any} */ i) => typeof i?.path === 'string' && typeof i.size === 'number' && typeof i.mtimeMs === 'number' && typeof i.sha1 === 'string';
  if (!Array.isArray(inputs) || !inputs.length || !inputs.every(valid)) return { stale: `dist/${inputsFile} lists no inputs` };
  for (const input of /** @type {BuildInput[]} */ (inputs)) {
    const file = join(root, input.path);
    let now;
    try {
      now = fs.statSync(file);
    } catch {
      return { stale: `${input.path} is gone since the build` };
    }
    if (now.size === input.size && now.mtimeMs === input.mtimeMs) continue;
    if (now.size !== input.size || sha1(fs.readFileSync(file)) !== input.sha1) return { stale: `${input.path} changed since the build` };
  }
  return { bundle };
}
