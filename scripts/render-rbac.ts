#!/usr/bin/env -S node --import tsx
// Writes the RBAC a run needs, generated from the list pre-flight reviews (harness/rbac/), to deploy/rbac.yaml and
// into docs/preflight.md's generated block.
// Usage: node --import tsx scripts/render-rbac.ts [--check]   (--check: exit 1 when either file is stale)
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { preflightDocPath, rbacManifestPath, renderRbacManifest, withPreflightBlock } from '../harness/rbac/render-rbac.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const check = process.argv.includes('--check');
const targets = [
  { path: rbacManifestPath, render: (): string => renderRbacManifest() },
  { path: preflightDocPath, render: (): string => withPreflightBlock(readFileSync(join(root, preflightDocPath), 'utf8')) },
];
let stale = 0;
for (const t of targets) {
  const file = join(root, t.path);
  const text = t.render();
  let current: string | undefined;
  try {
    current = readFileSync(file, 'utf8');
  } catch {
    current = undefined;
  }
  if (check) {
    if (current !== text) {
      stale += 1;
      process.stderr.write(`${t.path} is stale: run node --import tsx scripts/render-rbac.ts\n`);
    }
  } else if (current !== text) {
    writeFileSync(file, text);
    process.stdout.write(`wrote ${t.path}\n`);
  } else {
    process.stdout.write(`${t.path} is up to date\n`);
  }
}
process.exitCode = stale ? 1 : 0;
