// docs/faults.md is the fault → failing check → message table: it must say what the matrix asserts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { listFaults, packageRoot, simTargets } from './conformance-run.ts';
import { faultExpectations } from './fault-expectations.ts';
import { faultsDocPath, renderFaultsDoc } from './faults-doc.ts';

test('docs/faults.md matches the catalogue and the expectations (regenerate: node --import tsx scripts/render-faults-doc.ts)', async () => {
  const expected = renderFaultsDoc(new Map(await Promise.all(simTargets.map(async (t) => [t.name, await listFaults(t)] as const))), faultExpectations);
  const committed = readFileSync(join(packageRoot, faultsDocPath), 'utf8');
  expect(committed, `${faultsDocPath} is stale: run node --import tsx scripts/render-faults-doc.ts`).toBe(expected);
});
