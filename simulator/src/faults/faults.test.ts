// The fault registry: one module per fault, named after it, each supplying at least one hook.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { kindFlavor } from '../flavors/kind.ts';
import { faults, isFaultName } from './index.ts';

void test('every registered fault lives in faults/<name>.ts, and names are unique', () => {
  const names = faults.map((f) => f.name);
  assert.equal(new Set(names).size, names.length);
  for (const name of names) assert.ok(existsSync(fileURLToPath(new URL(`./${name}.ts`, import.meta.url))), `faults/${name}.ts`);
  assert.equal(isFaultName('app-503'), true);
  assert.equal(isFaultName('no-such-fault'), false);
});

void test('every fault supplies at least one hook', () => {
  for (const fault of faults) {
    const fields = Object.values(fault.hooks({ flavor: kindFlavor })).flatMap((group) => Object.keys(group ?? {}));
    assert.ok(fields.length > 0, `${fault.name} supplies no hook`);
  }
});
