import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject, ObjectStore } from '../../cluster/types.ts';
import { obj } from '../../controllers/kube-objects.ts';
import { typeFor } from '../../controllers/resource-lookup.ts';
import { markPodRunning, podManifest, waitForStore } from '../../controllers/testing/cluster-fixture.ts';
import { service } from '../../flavors/workloads.ts';
import { isInjected } from './mesh-view.ts';
import type { OsmInboundPolicy } from './inbound-policy.ts';
import { fullMatch, headerMatches, splitBackend } from './smi-policy.ts';
import { addMeshNamespace, startOsmFixture, testIp } from './testing/osm-fixture.ts';
import type { OsmFixture } from './testing/osm-fixture.ts';

/** An injected pod of a ServiceAccount, Running and Ready. */
async function meshedPod(store: ObjectStore, ns: string, name: string, sa: string, labels: Record<string, string>): Promise<{ pod: KubeObject; ip: string }> {
  const created = await store.create(typeFor(store, 'Pod'), podManifest(name, ns, labels, { spec: { serviceAccountName: sa } }));
  assert.ok(isInjected(created), `${ns}/${name} was injected`);
  const ip = testIp();
  return { pod: await markPodRunning(store, created, ip), ip };
}

const get = (path: string, host: string, headers: Record<string, string> = {}) => ({ method: 'GET', path, headers: { host, ...headers } });

async function bookstore(): Promise<{ fx: OsmFixture; store: ObjectStore; policy: OsmInboundPolicy; store1: KubeObject; buyer: string; thief: string }> {
  const fx = await startOsmFixture();
  const store = fx.store;
  await store.mutate(typeFor(store, 'MeshConfig'), 'osm-system', 'osm-mesh-config', (mc) => {
    const spec = obj(mc['spec']);
    spec['traffic'] = { ...obj(spec['traffic']), enablePermissiveTrafficPolicyMode: false };
  });
  for (const ns of ['bookstore', 'bookbuyer', 'bookthief']) await addMeshNamespace(store, ns);
  await store.create(typeFor(store, 'Service'), service({ name: 'bookstore', namespace: 'bookstore', labels: {}, selector: { app: 'bookstore' }, ports: [{ name: 'web', port: 14001 }] }));
  const { pod: store1 } = await meshedPod(store, 'bookstore', 'bookstore-1', 'bookstore', { app: 'bookstore' });
  const { ip: buyer } = await meshedPod(store, 'bookbuyer', 'bookbuyer-1', 'bookbuyer', { app: 'bookbuyer' });
  const { ip: thief } = await meshedPod(store, 'bookthief', 'bookthief-1', 'bookthief', { app: 'bookthief' });
  await store.create(typeFor(store, 'HTTPRouteGroup'), {
    apiVersion: 'specs.smi-spec.io/v1alpha4', kind: 'HTTPRouteGroup', metadata: { name: 'routes', namespace: 'bookstore' },
    spec: { matches: [
      { name: 'books-bought', pathRegex: '/books-bought', methods: ['GET'], headers: [{ 'client-app': 'bookbuyer' }] },
      { name: 'buy', pathRegex: '.*a-book.*new', methods: ['GET'] },
      { name: 'unused', pathRegex: '/.*' },
    ] },
  });
  await store.create(typeFor(store, 'TrafficTarget'), {
    apiVersion: 'access.smi-spec.io/v1alpha3', kind: 'TrafficTarget', metadata: { name: 'bookstore', namespace: 'bookstore' },
    spec: {
      destination: { kind: 'ServiceAccount', name: 'bookstore', namespace: 'bookstore' },
      rules: [{ kind: 'HTTPRouteGroup', name: 'routes', matches: ['books-bought', 'buy'] }],
      sources: [{ kind: 'ServiceAccount', name: 'bookbuyer', namespace: 'bookbuyer' }],
    },
  });
  await waitForStore(store, 'the controller endpoints', () => (fx.osm.view.componentReachable('osm-controller') ? true : undefined));
  return { fx, store, policy: fx.osm.policy, store1, buyer, thief };
}

void describe('SMI access control in non-permissive mode (OSM v1.2)', () => {
  void it('admits a TrafficTarget source at L4, routes by HTTPRouteGroup match and answers 404 or 403 otherwise', async () => {
    const { fx, policy, store1, buyer, thief } = await bookstore();
    try {
      assert.equal(policy.decide(store1, 14001, buyer), 'allowed-by-traffic-target');
      assert.equal(policy.decide(store1, 14001, thief), 'denied-by-traffic-target', 'no TrafficTarget names bookthief');
      const host = 'bookstore.bookstore.svc.cluster.local:14001';
      assert.equal(policy.inboundRequest(store1, 14001, buyer, get('/books-bought', host, { 'client-app': 'bookbuyer' })), undefined);
      assert.equal(policy.inboundRequest(store1, 14001, buyer, get('/books-bought', host))?.status, 404, 'header missing: no route');
      assert.equal(policy.inboundRequest(store1, 14001, buyer, get('/buy-a-book/new', host)), undefined, 'regex matched in full');
      assert.equal(policy.inboundRequest(store1, 14001, buyer, get('/buy-a-book/newer', host))?.status, 404);
      assert.equal(policy.inboundRequest(store1, 14001, buyer, get('/anything', host))?.status, 404, 'the unused match is not a route');
      assert.equal(policy.inboundRequest(store1, 14001, buyer, { ...get('/books-bought', host, { 'client-app': 'bookbuyer' }), method: 'POST' })?.status, 404);
      assert.equal(policy.inboundRequest(store1, 14001, buyer, get('/books-bought', 'other.example:14001', { 'client-app': 'bookbuyer' }))?.status, 404, 'no virtual host');
    } finally {
      fx.stop();
    }
  });

  void it('ignores a TrafficTarget whose destination namespace differs, and one whose TCPRoute is missing', async () => {
    const { fx, store, policy, store1, thief } = await bookstore();
    try {
      await store.create(typeFor(store, 'TrafficTarget'), {
        apiVersion: 'access.smi-spec.io/v1alpha3', kind: 'TrafficTarget', metadata: { name: 'elsewhere', namespace: 'bookthief' },
        spec: { destination: { kind: 'ServiceAccount', name: 'bookstore', namespace: 'bookstore' }, rules: [{ kind: 'HTTPRouteGroup', name: 'routes', matches: ['buy'] }], sources: [{ kind: 'ServiceAccount', name: 'bookthief', namespace: 'bookthief' }] },
      });
      assert.equal(policy.decide(store1, 14001, thief), 'denied-by-traffic-target');
      await store.create(typeFor(store, 'TrafficTarget'), {
        apiVersion: 'access.smi-spec.io/v1alpha3', kind: 'TrafficTarget', metadata: { name: 'tcp', namespace: 'bookstore' },
        spec: { destination: { kind: 'ServiceAccount', name: 'bookstore', namespace: 'bookstore' }, rules: [{ kind: 'TCPRoute', name: 'missing' }], sources: [{ kind: 'ServiceAccount', name: 'bookthief', namespace: 'bookthief' }] },
      });
      assert.equal(policy.decide(store1, 14001, thief), 'denied-by-traffic-target');
      await store.create(typeFor(store, 'TCPRoute'), { apiVersion: 'specs.smi-spec.io/v1alpha4', kind: 'TCPRoute', metadata: { name: 'missing', namespace: 'bookstore' }, spec: { matches: { ports: [14001] } } });
      assert.equal(policy.decide(store1, 14001, thief), 'allowed-by-traffic-target');
      assert.equal(policy.decide(store1, 8080, thief), 'denied-by-traffic-target', 'another port');
    } finally {
      fx.stop();
    }
  });

  void it('keeps the last configuration once osm-controller is gone; pods that start later get none', async () => {
    const { fx, store, policy, store1, buyer, thief } = await bookstore();
    try {
      await store.delete(typeFor(store, 'Pod'), 'osm-system', 'osm-controller-0');
      await waitForStore(store, 'osm-controller without endpoints', () => (fx.osm.view.componentReachable('osm-controller') ? undefined : true));
      assert.equal(policy.decide(store1, 14001, buyer), 'allowed-by-traffic-target');
      assert.equal(policy.decide(store1, 14001, thief), 'denied-by-traffic-target');
      // A policy change is not pushed any more.
      await store.delete(typeFor(store, 'TrafficTarget'), 'bookstore', 'bookstore');
      assert.equal(policy.decide(store1, 14001, buyer), 'allowed-by-traffic-target', 'the sidecar still serves the old configuration');
      const late = await store.create(typeFor(store, 'Pod'), podManifest('bookstore-2', 'bookstore', { app: 'bookstore' }, { spec: { serviceAccountName: 'bookstore' } }));
      await markPodRunning(store, late, testIp());
      assert.equal(policy.decide(late, 14001, buyer), 'denied-no-config');
      assert.equal(policy.outbound(late, 'bookstore.bookstore', 14001).kind, 'refused');
    } finally {
      fx.stop();
    }
  });

  void it('picks TrafficSplit backends by weight, and matches RE2 patterns and header lists as Envoy does', () => {
    const view = { trafficSplits: () => [{ apiVersion: 'split.smi-spec.io/v1alpha2', kind: 'TrafficSplit', metadata: { name: 's', namespace: 'ns' }, spec: { service: 'apex.ns', backends: [{ service: 'v1', weight: 75 }, { service: 'v2', weight: 25 }] } }] };
    const apex = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'apex', namespace: 'ns' } };
    const pick = (r: number) => splitBackend(view as never, apex, r).service;
    assert.deepEqual([pick(0), pick(0.74), pick(0.75), pick(0.99)], ['v1', 'v1', 'v2', 'v2']);
    assert.equal(splitBackend(view as never, { ...apex, metadata: { name: 'other', namespace: 'ns' } }, 0.5).service, 'other');
    assert.ok(fullMatch('/status/.*', '/status/200'));
    assert.ok(!fullMatch('/status', '/status/200'), 'full match, not a prefix');
    assert.ok(!fullMatch('([', '/'), 'an invalid pattern matches nothing');
    assert.deepEqual(headerMatches([{ 'User-Agent': '.*' }, { 'client-app': 'x' }]), { 'user-agent': '.*', 'client-app': 'x' });
  });
});
