#!/usr/bin/env -S node --import tsx
// Rewrites docs/faults.md from `mesh-conformance sim --list-faults` (every simulated cluster) and selftest/fault-expectations.ts.
// Usage: node --import tsx scripts/render-faults-doc.ts [--check]   (--check: exit 1 when the file is stale)
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { $, argv } from 'zx';
import { packageRoot, simTargets } from '../selftest/conformance-run.ts';
import type { Fault, SimTarget } from '../selftest/conformance-run.ts';
import { faultExpectations } from '../selftest/fault-expectations.ts';
import { faultsDocPath, renderFaultsDoc } from '../selftest/faults-doc.ts';

$.verbose = false;
$.cwd = packageRoot;

async function catalogue(t: SimTarget): Promise<Fault[]> {
  const out = await $`node bin/mesh-conformance.js sim --list-faults --mesh ${t.mesh} --flavor ${t.flavor}`;
  return out.stdout.split('\n').filter((l) => l.trim() !== '').map((line) => {
    const [name = '', outcome = '', description = ''] = line.split('\t');
    return { name, outcome: outcome as Fault['outcome'], description };
  });
}

const file = join(packageRoot, faultsDocPath);
const text = renderFaultsDoc(new Map(await Promise.all(simTargets.map(async (t) => [t.name, await catalogue(t)] as const))), faultExpectations);
if (argv.check) {
  const current = readFileSync(file, 'utf8');
  if (current !== text) {
    process.stderr.write(`${faultsDocPath} is stale: run node --import tsx scripts/render-faults-doc.ts\n`);
    process.exit(1);
  }
  process.stdout.write(`${faultsDocPath} is up to date\n`);
} else {
  writeFileSync(file, text);
  process.stdout.write(`wrote ${faultsDocPath}\n`);
}
