/**
 * A store with the OSM CRDs, the control-plane Services backed by Ready pods (so osm-injector and
 * osm-controller count as up), the endpoints controller and the OSM control plane: enough to test
 * injection, validation, status and policy without the node part.
 */
import type { KubeObject, ObjectStore } from '../../../cluster/types.ts';
import { EndpointsController } from '../../../controllers/endpoints-controller.ts';
import { typeFor } from '../../../controllers/resource-lookup.ts';
import { markPodRunning, podManifest, storeWithNamespaces, waitForStore } from '../../../controllers/testing/cluster-fixture.ts';
import type { FaultName } from '../../../faults/index.ts';
import { faultHooks } from '../../../faults/testing/fault-hooks.ts';
import { createIfMissing } from '../../../flavors/bootstrap.ts';
import { meshConfig, osmCrds } from '../../../flavors/osm-install.ts';
import { service } from '../../../flavors/workloads.ts';
import { monitoredByLabel, selfInstallLayout, sidecarInjectionAnnotation } from '../constants.ts';
import { startOsmControlPlane } from '../control-plane.ts';
import type { OsmControlPlane } from '../control-plane.ts';

export interface OsmFixture {
  store: ObjectStore;
  osm: OsmControlPlane;
  stop(): void;
}

let nextIp = 1;
/** A unique fake pod IP for tests. */
export function testIp(): string {
  nextIp++;
  return `127.0.${Math.floor(nextIp / 250) + 50}.${(nextIp % 250) + 1}`;
}

/** Starts the fixture; `upComponents` are the control-plane apps that get a Ready pod. */
export async function startOsmFixture(opts: { faults?: FaultName[]; upComponents?: ('osm-controller' | 'osm-injector')[] } = {}): Promise<OsmFixture> {
  const layout = selfInstallLayout();
  const store = await storeWithNamespaces(layout.osmNamespace, 'kube-system');
  for (const crd of osmCrds()) await createIfMissing(store, crd);
  await createIfMissing(store, meshConfig(layout));
  const endpoints = new EndpointsController(store).start();
  const osm = startOsmControlPlane({ store, hooks: faultHooks(...(opts.faults ?? [])).mesh, layout, caPem: 'test-ca' });
  const ns = layout.osmNamespace;
  await store.create(typeFor(store, 'Service'), service({ name: 'osm-controller', namespace: ns, labels: {}, selector: { app: 'osm-controller' }, ports: [{ name: 'ads', port: 15128 }] }));
  await store.create(typeFor(store, 'Service'), service({ name: 'osm-validator', namespace: ns, labels: {}, selector: { app: 'osm-controller' }, ports: [{ name: 'v', port: 9093 }] }));
  await store.create(typeFor(store, 'Service'), service({ name: 'osm-injector', namespace: ns, labels: {}, selector: { app: 'osm-injector' }, ports: [{ name: 'i', port: 9090 }] }));
  for (const app of opts.upComponents ?? ['osm-controller', 'osm-injector']) {
    const pod = await store.create(typeFor(store, 'Pod'), podManifest(`${app}-0`, ns, { app }));
    await markPodRunning(store, pod, testIp());
  }
  if ((opts.upComponents ?? ['osm-controller', 'osm-injector']).includes('osm-injector')) {
    await waitForStore(store, 'the injector webhook configuration', () => store.get(typeFor(store, 'MutatingWebhookConfiguration'), undefined, layout.injectorWebhookConfigName));
  }
  if ((opts.upComponents ?? ['osm-controller', 'osm-injector']).includes('osm-controller')) {
    await waitForStore(store, 'the validator webhook configuration', () => store.get(typeFor(store, 'ValidatingWebhookConfiguration'), undefined, layout.validatorWebhookConfigName));
  }
  return {
    store,
    osm,
    stop() {
      osm.stop();
      endpoints.stop();
    },
  };
}

/** Creates a namespace joined to the mesh like `osm namespace add` (optionally with injection disabled). */
export async function addMeshNamespace(store: ObjectStore, name: string, opts: { injection?: string; metrics?: boolean; labels?: Record<string, string> } = {}): Promise<KubeObject> {
  return store.create(typeFor(store, 'Namespace'), {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name,
      labels: { [monitoredByLabel]: 'osm', ...(opts.labels ?? {}) },
      annotations: { [sidecarInjectionAnnotation]: opts.injection ?? 'enabled', ...(opts.metrics ? { 'openservicemesh.io/metrics': 'enabled' } : {}) },
    },
  });
}

/** The httpbin sample's IngressBackend with a Service source (osm.md §5a step 4). */
export function httpbinIngressBackend(sources: Record<string, unknown>[], name = 'httpbin'): KubeObject {
  return {
    apiVersion: 'policy.openservicemesh.io/v1alpha1',
    kind: 'IngressBackend',
    metadata: { name, namespace: 'httpbin' },
    spec: { backends: [{ name: 'httpbin', port: { number: 14001, protocol: 'http' } }], sources },
  };
}
