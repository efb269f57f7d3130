/** The address an ingress controller publishes: at once, after a delay, or on its status sync period as ingress-nginx. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../cluster/types.ts';
import { noHooks } from '../hooks.ts';
import { nodeKinds } from '../node/kinds.ts';
import { FakeStore, fakeTypes } from '../node/testing/fake-store.ts';
import { publishIngressStatus } from './publish-status.ts';
import { httpbinIngress } from './testing/ingress-objects.ts';

const addressOf = (i: KubeObject | undefined): unknown => (i?.status as { loadBalancer?: { ingress?: unknown[] } } | undefined)?.loadBalancer?.ingress?.[0];

describe('publishIngressStatus', () => {
  it('on a status sync period, writes a new Ingress\'s address at the next tick, not on the change', async () => {
    const store = new FakeStore();
    const publisher = publishIngressStatus({ store, kinds: nodeKinds(store), hooks: noHooks.ingress, matches: () => true, address: { ip: '127.0.0.9', port: 80 }, periodMs: 600 });
    try {
      await store.create(fakeTypes.ingress, httpbinIngress({}, 'nginx'));
      assert.equal(addressOf(store.get(fakeTypes.ingress, 'httpbin', 'httpbin')), undefined, 'no address on the change itself');
      const published = await store.waitFor(fakeTypes.ingress, 'httpbin', 'httpbin', 'to have an address', (i) => !!addressOf(i), 5_000);
      assert.deepEqual(addressOf(published), { ip: '127.0.0.9' });
    } finally {
      publisher.stop();
    }
  });

  it('stops its pending writes when stopped', async () => {
    const store = new FakeStore();
    const publisher = publishIngressStatus({ store, kinds: nodeKinds(store), hooks: noHooks.ingress, matches: () => true, address: { ip: '127.0.0.9', port: 8080 }, periodMs: 60_000 });
    await store.create(fakeTypes.ingress, httpbinIngress({}, 'nginx'));
    publisher.stop(); // a pending 60 s timer would keep this test's process alive
    assert.equal(addressOf(store.get(fakeTypes.ingress, 'httpbin', 'httpbin')), undefined);
  });
});
