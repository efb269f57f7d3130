import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { arr } from './kube-objects.ts';
import { EndpointsController } from './endpoints-controller.ts';
import { typeFor } from './resource-lookup.ts';
import { markPodRunning, podManifest, storeWithNamespaces, waitForStore } from './testing/cluster-fixture.ts';

void describe('endpoints controller', () => {
  void it('lists ready pods in addresses and the others in notReadyAddresses, with the target port', async () => {
    const store = await storeWithNamespaces('demo');
    const controller = new EndpointsController(store).start();
    try {
      await store.create(typeFor(store, 'Service'), {
        apiVersion: 'v1', kind: 'Service', metadata: { name: 'httpbin', namespace: 'demo' },
        spec: { selector: { app: 'httpbin' }, ports: [{ name: 'http', port: 14001 }] },
      });
      const a = await store.create(typeFor(store, 'Pod'), podManifest('a', 'demo', { app: 'httpbin' }));
      const b = await store.create(typeFor(store, 'Pod'), podManifest('b', 'demo', { app: 'httpbin' }));
      await store.create(typeFor(store, 'Pod'), podManifest('other', 'demo', { app: 'other' }));
      await markPodRunning(store, a, '127.0.20.1', true);
      await markPodRunning(store, b, '127.0.20.2', false);
      const ep = await waitForStore(store, 'endpoints with one ready and one not-ready address', () => {
        const e = store.get(typeFor(store, 'Endpoints'), 'demo', 'httpbin');
        const subset = arr(e?.['subsets'])[0];
        return subset && arr(subset['addresses']).length === 1 && arr(subset['notReadyAddresses']).length === 1 ? subset : undefined;
      });
      assert.equal(arr(ep['addresses'])[0]?.['ip'], '127.0.20.1');
      assert.deepEqual((arr(ep['addresses'])[0]?.['targetRef'] as Record<string, unknown>)['name'], 'a');
      assert.equal(arr(ep['notReadyAddresses'])[0]?.['ip'], '127.0.20.2');
      assert.deepEqual(arr(ep['ports']), [{ name: 'http', port: 14001, protocol: 'TCP' }]);
    } finally {
      controller.stop();
    }
  });

  void it('keeps a suppressed Service without endpoints', async () => {
    const store = await storeWithNamespaces('demo');
    const controller = new EndpointsController(store, { suppress: (svc) => svc.metadata.name === 'hidden' }).start();
    try {
      await store.create(typeFor(store, 'Service'), { apiVersion: 'v1', kind: 'Service', metadata: { name: 'hidden', namespace: 'demo' }, spec: { selector: { app: 'x' }, ports: [{ port: 80 }] } });
      const pod = await store.create(typeFor(store, 'Pod'), podManifest('x', 'demo', { app: 'x' }));
      await markPodRunning(store, pod, '127.0.20.3');
      const ep = await waitForStore(store, 'endpoints object', () => store.get(typeFor(store, 'Endpoints'), 'demo', 'hidden'));
      await controller.whenIdle();
      assert.equal(store.get(typeFor(store, 'Endpoints'), 'demo', 'hidden')?.['subsets'], undefined, JSON.stringify(ep));
    } finally {
      controller.stop();
    }
  });
});
