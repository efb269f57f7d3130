// The flavor registry: each flavor is found by name, waits only for Deployments it installs, and names its components.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { faultHooks } from '../faults/testing/fault-hooks.ts';
import { noHooks } from '../hooks.ts';
import { flavorFor, flavorNamed, flavorNames, isFlavorName, registeredFlavors } from './index.ts';
import { flavorFlags, flavorNameFor, meshAndShapeOf } from './names.ts';

void test('flavors are registered by name, kind first (the default), each a mesh on a cluster shape', () => {
  assert.deepEqual(registeredFlavors().map((f) => f.name), [...flavorNames]);
  for (const name of flavorNames) {
    const flavor = flavorNamed(name);
    assert.equal(flavor.name, name);
    assert.deepEqual({ mesh: flavor.mesh, shape: flavor.shape }, meshAndShapeOf(name));
    assert.equal(flavorFor(flavor.mesh, flavor.shape), flavor);
  }
  assert.equal(flavorNameFor('osm', 'kind'), 'kind');
  assert.equal(flavorFlags('aks'), '--flavor aks');
  assert.equal(isFlavorName('istio'), false);
});

void test('every awaited workload is a Deployment the flavor installs; components have distinct names', () => {
  for (const name of flavorNames) {
    const flavor = flavorNamed(name);
    for (const hooks of [noHooks, faultHooks('ingressbackend-no-status')]) {
      const deployments = flavor.objects(hooks).filter((o) => o.kind === 'Deployment').map((o) => `${o.metadata.namespace}/${o.metadata.name}`);
      for (const w of flavor.awaited(hooks)) assert.ok(deployments.includes(`${w.namespace}/${w.name}`), `${name}: ${w.namespace}/${w.name}`);
    }
    const components = flavor.components.map((c) => c.name);
    assert.equal(new Set(components).size, components.length, name);
  }
  assert.deepEqual(flavorNamed('kind').components.map((c) => c.name), ['osm-control-plane', 'dapr-sidecar-injector', 'dapr-demo', 'flagger', 'cert-manager-issuers']);
  assert.deepEqual(flavorNamed('aks').components.map((c) => c.name), ['osm-control-plane', 'azure-application-gateway', 'application-gateway-for-containers', 'azure-monitor']);
  assert.deepEqual(flavorNamed('istio-kind').components.map((c) => c.name), ['istiod', 'metallb', 'prometheus-addon']);
  assert.deepEqual(flavorNamed('istio-aks').components.map((c) => c.name), ['istiod', 'azure-load-balancer', 'azure-monitor-managed-prometheus']);
  assert.equal(flavorFor('istio', 'aks').kubernetesVersion, 'v1.35.0');
  assert.equal(flavorFor('osm', 'kind').kubernetesVersion, 'v1.27.3', 'kind-up pins kindest/node v1.27.3');
});
