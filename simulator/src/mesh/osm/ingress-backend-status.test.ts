import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject, ObjectStore } from '../../cluster/types.ts';
import { obj } from '../../controllers/kube-objects.ts';
import { typeFor } from '../../controllers/resource-lookup.ts';
import { markPodRunning, podManifest, waitForStore } from '../../controllers/testing/cluster-fixture.ts';
import { service } from '../../flavors/workloads.ts';
import { addMeshNamespace, httpbinIngressBackend, startOsmFixture, testIp } from './testing/osm-fixture.ts';

const nginxSource = { kind: 'Service', name: 'ingress-nginx-controller', namespace: 'ingress-nginx' };

async function deployHttpbin(store: ObjectStore): Promise<KubeObject> {
  await store.create(typeFor(store, 'Service'), service({ name: 'httpbin', namespace: 'httpbin', labels: { app: 'httpbin' }, selector: { app: 'httpbin' }, ports: [{ name: 'http', port: 14001 }] }));
  return store.create(typeFor(store, 'Pod'), podManifest('httpbin-0', 'httpbin', { app: 'httpbin' }));
}

async function deployNginx(store: ObjectStore, monitored: boolean): Promise<void> {
  if (monitored) await addMeshNamespace(store, 'ingress-nginx', { injection: 'disabled' });
  else await store.create(typeFor(store, 'Namespace'), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ingress-nginx' } });
  await store.create(typeFor(store, 'Service'), service({ name: 'ingress-nginx-controller', namespace: 'ingress-nginx', labels: {}, selector: { app: 'nginx' }, ports: [{ name: 'http', port: 80 }] }));
  const pod = await store.create(typeFor(store, 'Pod'), podManifest('nginx-0', 'ingress-nginx', { app: 'nginx' }));
  await markPodRunning(store, pod, testIp());
}

function statusOf(store: ObjectStore): Record<string, unknown> {
  return obj(store.get(typeFor(store, 'IngressBackend'), 'httpbin', 'httpbin')?.['status']);
}

void describe('IngressBackend status (osm-controller)', () => {
  void it('stays empty until an injected backend pod is Ready, then becomes committed', async () => {
    const fx = await startOsmFixture();
    try {
      await addMeshNamespace(fx.store, 'httpbin');
      await deployNginx(fx.store, true);
      const pod = await deployHttpbin(fx.store);
      await fx.store.create(typeFor(fx.store, 'IngressBackend'), httpbinIngressBackend([nginxSource]));
      await fx.osm.whenIdle();
      assert.deepEqual(statusOf(fx.store), {}, 'no status before the backend pod is Ready');
      await markPodRunning(fx.store, pod, testIp());
      const status = await waitForStore(fx.store, 'IngressBackend committed', () => (statusOf(fx.store)['currentStatus'] === 'committed' ? statusOf(fx.store) : undefined), { describe: () => JSON.stringify(statusOf(fx.store)) });
      assert.deepEqual(status, { currentStatus: 'committed', reason: 'successfully committed by the system' });
    } finally {
      fx.stop();
    }
  });

  void it('commits with a Service source in a namespace the mesh does not monitor, as OSM v1.2.4\'s code does (the docs ask to monitor it)', async () => {
    const fx = await startOsmFixture();
    try {
      await addMeshNamespace(fx.store, 'httpbin');
      await deployNginx(fx.store, false);
      const pod = await deployHttpbin(fx.store);
      await markPodRunning(fx.store, pod, testIp());
      await fx.store.create(typeFor(fx.store, 'IngressBackend'), httpbinIngressBackend([nginxSource]));
      const status = await waitForStore(fx.store, 'IngressBackend committed', () => (statusOf(fx.store)['currentStatus'] === 'committed' ? statusOf(fx.store) : undefined), { describe: () => JSON.stringify(statusOf(fx.store)) });
      assert.equal(status['reason'], 'successfully committed by the system');
    } finally {
      fx.stop();
    }
  });

  void it('never writes a status with fault ingressbackend-no-status', async () => {
    const fx = await startOsmFixture({ faults: ['ingressbackend-no-status'] });
    try {
      await addMeshNamespace(fx.store, 'httpbin');
      await deployNginx(fx.store, true);
      const pod = await deployHttpbin(fx.store);
      await markPodRunning(fx.store, pod, testIp());
      await fx.store.create(typeFor(fx.store, 'IngressBackend'), httpbinIngressBackend([nginxSource]));
      await fx.osm.whenIdle();
      assert.deepEqual(statusOf(fx.store), {});
    } finally {
      fx.stop();
    }
  });
});
