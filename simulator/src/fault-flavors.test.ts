// A fault limited to some flavors is left out of the others' --list-faults and refused there (exit 2, one line),
// so a `fail` fault never runs as a no-op (issue 4: ingressbackend-error has no equivalent on aks).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { describeFault, faultAppliesTo, faultNamed, faults } from './faults/index.ts';
import { flavorNameFor } from './flavors/names.ts';
import type { ClusterShape } from './flavors/names.ts';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));
const sim = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', main, ...args], { encoding: 'utf8', timeout: 60_000 });

void test('faultAppliesTo: faults without flavors apply everywhere; ingressbackend-error only to kind', () => {
  assert.equal(faultAppliesTo(faultNamed('ingressbackend-error'), 'kind'), true);
  assert.equal(faultAppliesTo(faultNamed('ingressbackend-error'), 'aks'), false);
  assert.equal(faultAppliesTo(faultNamed('app-503'), 'aks'), true);
});

void test('--list-faults lists one flavor\'s faults as NAME<TAB>fail|pass<TAB>description', () => {
  const lines = (flavor: string) => sim('--list-faults', '--flavor', flavor).stdout.trim().split('\n');
  for (const shape of ['kind', 'aks'] as ClusterShape[]) {
    const flavor = flavorNameFor('osm', shape);
    assert.deepEqual(lines(shape), faults.filter((f) => faultAppliesTo(f, flavor)).map((f) => `${f.name}\t${f.outcome}\t${describeFault(f, flavor)}`));
  }
  assert.ok(!lines('aks').some((l) => l.startsWith('ingressbackend-error\t')));
});

void test('a fault that has no effect on the flavor is refused with exit 2 and one line', () => {
  const r = sim('--flavor', 'aks', '--fault', 'ingressbackend-error', '--kubeconfig', '/nonexistent/never-written');
  assert.equal(r.status, 2);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, /fault "ingressbackend-error" has no effect on flavor aks \(it applies to kind\)/);
});

void test('--mesh istio: the Istio flavors list their own faults, not OSM\'s; refusals name the mesh and flavor flags', () => {
  for (const shape of ['kind', 'aks'] as ClusterShape[]) {
    const flavor = flavorNameFor('istio', shape);
    const out = sim('--list-faults', '--mesh', 'istio', '--flavor', shape).stdout.trim().split('\n');
    assert.deepEqual(out, faults.filter((f) => faultAppliesTo(f, flavor)).map((f) => `${f.name}\t${f.outcome}\t${describeFault(f, flavor)}`));
    assert.ok(out.some((l) => l.startsWith('mtls-disabled\tfail\t')));
    assert.ok(!out.some((l) => l.startsWith('sidecar-not-injected\t') || l.startsWith('ingressbackend-no-status\t')));
  }
  const r = sim('--mesh', 'istio', '--flavor', 'kind', '--fault', 'sidecar-not-injected', '--kubeconfig', '/nonexistent/never-written');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /fault "sidecar-not-injected" has no effect on flavor istio-kind \(it applies to kind, aks\); choose --flavor kind or another fault \(--list-faults --mesh istio --flavor kind\)/);
  assert.equal(faultAppliesTo(faultNamed('prometheus-unreachable'), 'istio-kind'), true);
  assert.equal(faultAppliesTo(faultNamed('prometheus-unreachable'), 'istio-aks'), false);
});
