import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { bundleFile, inputsFile, prebuiltCli, recordInput } from './prebuilt.js';

/** @type {string[]} */
const roots = [];
after(() => { for (const r of roots) rmSync(r, { recursive: true, force: true }); });

/** A package root with cli/main.ts and, unless told otherwise, a build of it that recorded it. */
function checkout(/** @type {{ built?: boolean, inputs?: (root: string) => unknown }} */ o = {}) {
  const root = mkdtempSync(join(tmpdir(), 'prebuilt-'));
  roots.push(root);
  mkdirSync(join(root, 'cli'));
  mkdirSync(join(root, 'dist'));
  writeFileSync(join(root, 'cli', 'main.ts'), 'export const answer = 42;\n');
  utimesSync(join(root, 'cli', 'main.ts'), 1000, 1000);
  if (o.built !== false) {
    writeFileSync(join(root, 'dist', bundleFile), '');
    writeFileSync(join(root, 'dist', inputsFile), JSON.stringify({ inputs: o.inputs ? o.inputs(root) : [recordInput(root, 'cli/main.ts')] }));
  }
  return root;
}

describe('prebuiltCli', () => {
  it('runs the bundle when every input is as recorded', () => {
    const root = checkout();
    assert.deepEqual(prebuiltCli(root), { bundle: join(root, 'dist', bundleFile) });
  });

  it('runs the bundle when an input was only touched (a branch switched there and back): same content', () => {
    const root = checkout();
    utimesSync(join(root, 'cli', 'main.ts'), 3000, 3000);
    assert.deepEqual(prebuiltCli(root), { bundle: join(root, 'dist', bundleFile) });
  });

  it('runs the sources when an input changed, whatever its time says (a copy that kept an older time included)', () => {
    const edited = checkout();
    writeFileSync(join(edited, 'cli', 'main.ts'), 'export const answer = 43;\n');
    assert.deepEqual(prebuiltCli(edited), { stale: 'cli/main.ts changed since the build' });
    const copied = checkout();
    writeFileSync(join(copied, 'cli', 'main.ts'), 'export const answer = 41;\n');
    utimesSync(join(copied, 'cli', 'main.ts'), 500, 500);
    assert.deepEqual(prebuiltCli(copied), { stale: 'cli/main.ts changed since the build' });
    const grown = checkout();
    writeFileSync(join(grown, 'cli', 'main.ts'), 'export const answer = 42; // and more\n');
    utimesSync(join(grown, 'cli', 'main.ts'), 1000, 1000);
    assert.deepEqual(prebuiltCli(grown), { stale: 'cli/main.ts changed since the build' });
  });

  it('runs the sources when an input is gone', () => {
    const root = checkout({ inputs: (r) => [recordInput(r, 'cli/main.ts'), { path: 'cli/removed.ts', size: 1, mtimeMs: 1, sha1: 'x' }] });
    assert.deepEqual(prebuiltCli(root), { stale: 'cli/removed.ts is gone since the build' });
  });

  it('runs the sources when there is no build, or its input list is unreadable or empty', () => {
    assert.match(/** @type {{ stale: string }} */ (prebuiltCli(checkout({ built: false }))).stale, /not built/);
    assert.match(/** @type {{ stale: string }} */ (prebuiltCli(checkout({ inputs: () => [] }))).stale, /lists no inputs/);
    assert.match(/** @type {{ stale: string }} */ (prebuiltCli(checkout({ inputs: () => ['cli/main.ts'] }))).stale, /lists no inputs/);
  });
});
