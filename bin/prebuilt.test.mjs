import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { bundleFile, inputsFile, prebuiltCli } from './prebuilt.js';

/** A package root with one source file and, unless told otherwise, a build of it; times in seconds since the epoch. */
function checkout(/** @type {{ sourceAt?: number, bundleAt?: number, inputs?: unknown, built?: boolean }} */ o = {}) {
  const root = mkdtempSync(join(tmpdir(), 'prebuilt-'));
  mkdirSync(join(root, 'cli'));
  mkdirSync(join(root, 'dist'));
  writeFileSync(join(root, 'cli', 'main.ts'), 'export {};\n');
  utimesSync(join(root, 'cli', 'main.ts'), o.sourceAt ?? 1000, o.sourceAt ?? 1000);
  if (o.built !== false) {
    writeFileSync(join(root, 'dist', bundleFile), '');
    utimesSync(join(root, 'dist', bundleFile), o.bundleAt ?? 2000, o.bundleAt ?? 2000);
    writeFileSync(join(root, 'dist', inputsFile), JSON.stringify({ inputs: o.inputs ?? ['cli/main.ts'] }));
  }
  roots.push(root);
  return root;
}
/** @type {string[]} */
const roots = [];
after(() => { for (const r of roots) rmSync(r, { recursive: true, force: true }); });

describe('prebuiltCli', () => {
  it('runs the bundle when no input changed since the build', () => {
    const root = checkout();
    assert.deepEqual(prebuiltCli(root), { bundle: join(root, 'dist', bundleFile) });
  });

  it('runs the sources when an input is newer than the bundle (edited, pulled, another branch)', () => {
    assert.deepEqual(prebuiltCli(checkout({ sourceAt: 3000 })), { stale: 'cli/main.ts changed since the build' });
  });

  it('runs the sources when an input is gone', () => {
    assert.deepEqual(prebuiltCli(checkout({ inputs: ['cli/main.ts', 'cli/removed.ts'] })), { stale: 'cli/removed.ts is gone since the build' });
  });

  it('runs the sources when there is no build, or its input list is unreadable or empty', () => {
    assert.match(/** @type {{ stale: string }} */ (prebuiltCli(checkout({ built: false }))).stale, /not built/);
    assert.match(/** @type {{ stale: string }} */ (prebuiltCli(checkout({ inputs: [] }))).stale, /lists no inputs/);
    assert.match(/** @type {{ stale: string }} */ (prebuiltCli(checkout({ inputs: 'cli/main.ts' }))).stale, /lists no inputs/);
  });
});
