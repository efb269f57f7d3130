// istiod's Gateway API controller (istio.md §3a): GatewayClasses, the automated deployment, Gateway and HTTPRoute
// status as 1.30 writes them, and how the gateway proxy routes (gateway-routes.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../cluster/types.ts';
import { arr, obj, spec, status } from '../../controllers/kube-objects.ts';
import { typeFor } from '../../controllers/resource-lookup.ts';
import { markPodRunning, podManifest, waitForStore } from '../../controllers/testing/cluster-fixture.ts';
import { routeGatewayRequest } from './gateway-routes.ts';
import { fixtureIp, namespaceWith, startIstioFixture } from './testing/istio-fixture.ts';
import type { IstioFixture } from './testing/istio-fixture.ts';

const gateway = (ns: string, annotations: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'httpbin-gateway', namespace: ns, annotations },
  spec: { gatewayClassName: 'istio', listeners: [{ name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'All' } } }] },
});
const route = (ns: string, backend: string, extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: `to-${backend}`, namespace: ns },
  spec: { parentRefs: [{ name: 'httpbin-gateway' }], rules: [{ backendRefs: [{ name: backend, port: 8000 }] }], ...extra },
});

async function setup(fx: IstioFixture, ns: string, labels: Record<string, string> = { 'istio.io/rev': 'asm-1-30' }): Promise<void> {
  await fx.store.create(typeFor(fx.store, 'Namespace'), namespaceWith(ns, labels));
  await fx.store.create(typeFor(fx.store, 'Service'), { apiVersion: 'v1', kind: 'Service', metadata: { name: 'httpbin', namespace: ns }, spec: { selector: { app: 'httpbin' }, ports: [{ name: 'http', port: 8000, targetPort: 8080 }] } });
}

function conditionsOf(o: KubeObject | undefined): string[] {
  return arr(status(o ?? { apiVersion: '', kind: '', metadata: {} })['conditions']).map((c) => `${String(c['type'])}=${String(c['status'])}/${String(c['reason'])}`);
}

void describe('Gateway API controller', () => {
  void it('accepts the istio classes and deploys <gw>-istio; Programmed=False AddressNotAssigned until the LoadBalancer has an address', async () => {
    const fx = await startIstioFixture();
    try {
      const classes = await waitForStore(fx.store, 'both GatewayClasses Accepted', () => {
        const all = fx.view.list('gatewayClass');
        return all.length === 2 && all.every((c) => conditionsOf(c)[0] === 'Accepted=True/Accepted') ? all : undefined;
      });
      assert.deepEqual(classes.map((c) => [c.metadata.name, spec(c)['controllerName']]), [['istio', 'istio.io/gateway-controller'], ['istio-remote', 'istio.io/unmanaged-gateway']]);
      await setup(fx, 'demo');
      const gwType = fx.view.type('k8sGateway')!;
      await fx.store.create(gwType, gateway('demo'));
      const deploy = await waitForStore(fx.store, 'the gateway Deployment', () => fx.store.get(typeFor(fx.store, 'Deployment'), 'demo', 'httpbin-gateway-istio'));
      const svc = fx.store.get(typeFor(fx.store, 'Service'), 'demo', 'httpbin-gateway-istio')!;
      assert.equal(spec(svc)['type'], 'LoadBalancer');
      assert.deepEqual(arr(spec(svc)['ports']).map((p) => [p['name'], p['port'], p['appProtocol']]), [['status-port', 15021, 'tcp'], ['http', 80, 'http']]);
      assert.deepEqual(svc.metadata.ownerReferences?.map((o) => [o.kind, o.name, o.controller]), [['Gateway', 'httpbin-gateway', undefined]], 'the kube-gateway template sets no controller flag (as the real istiod renders it)');
      assert.deepEqual(deploy.metadata.labels, { 'gateway.networking.k8s.io/gateway-name': 'httpbin-gateway', 'gateway.networking.k8s.io/gateway-class-name': 'istio', 'gateway.istio.io/managed': 'istio.io-gateway-controller' });
      const container = arr(obj(obj(spec(deploy)['template'])['spec'])['containers'])[0]!;
      assert.deepEqual((container['args'] as string[]).slice(0, 2), ['proxy', 'router']);
      assert.ok(fx.store.get(typeFor(fx.store, 'ServiceAccount'), 'demo', 'httpbin-gateway-istio'));

      const pending = await waitForStore(fx.store, 'Programmed=False', () => {
        const g = fx.store.get(gwType, 'demo', 'httpbin-gateway');
        return conditionsOf(g).includes('Programmed=False/AddressNotAssigned') ? g : undefined;
      });
      assert.deepEqual(conditionsOf(pending), ['Accepted=True/Accepted', 'Programmed=False/AddressNotAssigned']);
      const programmed = arr(status(pending)['conditions']).find((c) => c['type'] === 'Programmed')!;
      assert.equal(programmed['message'], 'Failed to assign to any requested addresses: no instances found for hostname "httpbin-gateway-istio.demo.svc.cluster.local"', 'as the real istiod words it (upstream/istiod.test.ts)');
      assert.equal(programmed['observedGeneration'], 1);
      assert.equal(status(pending)['addresses'], undefined);

      // The load balancer assigns an address and a gateway pod becomes ready.
      await fx.store.mutate(typeFor(fx.store, 'Service'), 'demo', 'httpbin-gateway-istio', (s) => { s['status'] = { loadBalancer: { ingress: [{ ip: '127.9.0.200', ipMode: 'VIP' }] } }; }, { subresource: 'status' });
      const gwPod = await fx.store.create(typeFor(fx.store, 'Pod'), podManifest('httpbin-gateway-istio-1', 'demo', { 'gateway.networking.k8s.io/gateway-name': 'httpbin-gateway', 'sidecar.istio.io/inject': 'false' }));
      await markPodRunning(fx.store, gwPod, fixtureIp());
      const ready = await waitForStore(fx.store, 'Programmed=True', () => {
        const g = fx.store.get(gwType, 'demo', 'httpbin-gateway');
        return conditionsOf(g).includes('Programmed=True/Programmed') ? g : undefined;
      });
      assert.deepEqual(status(ready)['addresses'], [{ type: 'IPAddress', value: '127.9.0.200' }]);
      assert.equal(arr(status(ready)['conditions']).find((c) => c['type'] === 'Programmed')!['message'], 'Resource programmed, assigned to service(s) httpbin-gateway-istio.demo.svc.cluster.local:80');
      const listener = arr(status(ready)['listeners'])[0]!;
      assert.deepEqual(arr(listener['conditions']).map((c) => `${String(c['type'])}=${String(c['status'])}`), ['Accepted=True', 'Conflicted=False', 'Programmed=True', 'ResolvedRefs=True']);
      assert.equal(listener['attachedRoutes'], 0);

      // Routes: a valid one and one whose backend does not exist.
      const routeType = fx.view.type('httpRoute')!;
      await fx.store.create(routeType, route('demo', 'httpbin'));
      await fx.store.create(routeType, route('demo', 'missing'));
      const bad = await waitForStore(fx.store, 'route statuses', () => {
        const r = fx.store.get(routeType, 'demo', 'to-missing');
        return arr(status(r!)['parents']).length ? r : undefined;
      });
      const parent = arr(status(bad)['parents'])[0]!;
      assert.deepEqual(parent['parentRef'], { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'httpbin-gateway' });
      assert.equal(parent['controllerName'], 'istio.io/gateway-controller');
      assert.deepEqual(arr(parent['conditions']).map((c) => [c['type'], c['status'], c['reason'], c['message']]), [
        ['Accepted', 'True', 'Accepted', 'Route was valid'],
        ['ResolvedRefs', 'False', 'BackendNotFound', 'backend(missing.demo.svc.cluster.local) not found'],
      ]);
      await waitForStore(fx.store, 'attachedRoutes 2', () => (arr(status(fx.store.get(gwType, 'demo', 'httpbin-gateway')!)['listeners'])[0]?.['attachedRoutes'] === 2 ? true : undefined));

      // The gateway pod's routing: the route to httpbin, and NC for the missing backend.
      const r = routeGatewayRequest(fx.view, gwPod, fx.revision, { podPort: 80, host: 'anything.example.com', method: 'GET', path: '/get', headers: {} }, false);
      assert.equal(r.kind, 'backend');
      assert.equal(r.kind === 'backend' ? r.backend.fqdn : '', r.kind === 'backend' && r.backend.service ? 'httpbin.demo.svc.cluster.local' : 'missing.demo.svc.cluster.local');
      assert.deepEqual(routeGatewayRequest(fx.view, gwPod, fx.revision, { podPort: 8080, host: 'x', method: 'GET', path: '/', headers: {} }, false), { kind: 'none' });
    } finally {
      fx.stop();
    }
  });

  void it('reports the Service hostname for ClusterIP gateways, ignores Gateways of other revisions, and BackendNotFound under the fault', async () => {
    const fx = await startIstioFixture({ faults: ['httproute-backend-not-found'] });
    try {
      await setup(fx, 'demo');
      await setup(fx, 'elsewhere', {});
      const gwType = fx.view.type('k8sGateway')!;
      await fx.store.create(gwType, gateway('demo', { 'networking.istio.io/service-type': 'ClusterIP' }));
      await fx.store.create(gwType, gateway('elsewhere'));
      await fx.store.create(fx.view.type('httpRoute')!, route('demo', 'httpbin'));
      const g = await waitForStore(fx.store, 'a Hostname address', () => {
        const x = fx.store.get(gwType, 'demo', 'httpbin-gateway');
        return arr(status(x!)['addresses']).length ? x : undefined;
      });
      assert.deepEqual(status(g)['addresses'], [{ type: 'Hostname', value: 'httpbin-gateway-istio.demo.svc.cluster.local' }]);
      assert.equal(spec(fx.store.get(typeFor(fx.store, 'Service'), 'demo', 'httpbin-gateway-istio')!)['type'], 'ClusterIP');
      const r = await waitForStore(fx.store, 'route status', () => {
        const x = fx.store.get(fx.view.type('httpRoute')!, 'demo', 'to-httpbin');
        return arr(status(x!)['parents']).length ? x : undefined;
      });
      assert.equal(arr(arr(status(r)['parents'])[0]!['conditions'])[1]!['reason'], 'BackendNotFound');
      assert.equal(fx.store.get(typeFor(fx.store, 'Deployment'), 'elsewhere', 'httpbin-gateway-istio'), undefined, 'not this revision\'s Gateway');
      assert.equal(status(fx.store.get(gwType, 'elsewhere', 'httpbin-gateway')!)['conditions'], undefined);
    } finally {
      fx.stop();
    }
  });
});
