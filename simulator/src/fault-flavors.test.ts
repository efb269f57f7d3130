// A fault limited to some flavors is left out of the others' --list-faults and refused there (exit 2, one line),
// so a `fail` fault never runs as a no-op (issue 4: ingressbackend-error has no equivalent on aks).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { faultAppliesTo, faultCatalog } from './faults.ts';
import type { FaultName } from './faults.ts';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));
const sim = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', main, ...args], { encoding: 'utf8', timeout: 60_000 });

void test('faultAppliesTo: catalogue entries without flavors apply everywhere; ingressbackend-error only to kind', () => {
  assert.equal(faultAppliesTo('ingressbackend-error', 'kind'), true);
  assert.equal(faultAppliesTo('ingressbackend-error', 'aks'), false);
  assert.equal(faultAppliesTo('app-503', 'aks'), true);
});

void test('--list-faults lists one flavor\'s faults as NAME<TAB>fail|pass<TAB>description', () => {
  const names = (flavor: string) => sim('--list-faults', '--flavor', flavor).stdout.trim().split('\n').map((l) => l.split('\t')[0]);
  const all = Object.keys(faultCatalog) as FaultName[];
  assert.deepEqual(names('kind'), all.filter((f) => faultAppliesTo(f, 'kind')));
  assert.deepEqual(names('aks'), all.filter((f) => faultAppliesTo(f, 'aks')));
  assert.ok(!names('aks').includes('ingressbackend-error'));
});

void test('a fault that has no effect on the flavor is refused with exit 2 and one line', () => {
  const r = sim('--flavor', 'aks', '--fault', 'ingressbackend-error', '--kubeconfig', '/nonexistent/never-written');
  assert.equal(r.status, 2);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, /fault "ingressbackend-error" has no effect on flavor aks \(it applies to kind\)/);
});
