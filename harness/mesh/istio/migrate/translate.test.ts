// The OSM → Istio translation (the AKS mapping): onboarding by revision, STRICT mTLS and allow-nothing for
// non-permissive mode, one ALLOW policy per access rule with its sources' principals and its routes, a route whose
// pattern cannot be expressed listed (never approximated), TrafficSplit as VirtualService + DestinationRule, and the
// translation faults.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { MeshInventory } from '../../../migrate/model.ts';
import { istioPlan } from './translate.ts';
import { istioStringMatch } from './string-match.ts';

const inventory = (): MeshInventory => ({
  kind: 'MeshMigrationInventory', version: 1,
  mesh: { profile: 'osm', title: 'OSM', namespace: 'kube-system', version: 'v1.2.5', controlPlane: 'x' },
  settings: { permissiveTraffic: false, egress: true, externalAuthorization: undefined, certificateProvider: 'tresor', trustDomain: 'cluster.local', ingressAdmissionEnforced: true },
  namespaces: [
    { name: 'shop', injection: true, metrics: true, labels: ['openservicemesh.io/monitored-by'], annotations: ['openservicemesh.io/sidecar-injection'] },
    { name: 'buyer', injection: true, metrics: false, labels: ['openservicemesh.io/monitored-by'], annotations: [] },
  ],
  accessRules: [{
    ref: { kind: 'TrafficTarget', namespace: 'shop', name: 'shop' }, destination: { namespace: 'shop', serviceAccount: 'shop' }, sources: [{ namespace: 'buyer', serviceAccount: 'buyer' }],
    http: [
      { name: 'r/buy', pathRegex: '/buy/.*', methods: ['GET'], headers: { 'client-app': 'buyer' } },
      { name: 'r/odd', pathRegex: '/item/[0-9]+', methods: ['*'], headers: {} },
    ],
    tcpPorts: undefined, ignored: [],
  }],
  trafficSplits: [{ ref: { kind: 'TrafficSplit', namespace: 'shop', name: 'split' }, namespace: 'shop', apex: 'shop', backends: [{ service: 'shop-v1', weight: 3 }, { service: 'shop-v2', weight: 1 }] }],
  ingress: [], unmodelled: [], items: [],
  cluster: {
    services: [
      { namespace: 'shop', name: 'shop', selector: { app: 'shop' }, ports: [{ port: 80, targetPort: 8080 }] },
      { namespace: 'shop', name: 'shop-v1', selector: { app: 'shop', version: 'v1' }, ports: [{ port: 80, targetPort: 8080 }] },
      { namespace: 'shop', name: 'shop-v2', selector: { app: 'shop', version: 'v2' }, ports: [{ port: 80, targetPort: 8080 }] },
    ],
    workloads: [
      { kind: 'Deployment', namespace: 'shop', name: 'shop-v1', serviceAccount: 'shop', podLabels: { app: 'shop', version: 'v1' } },
      { kind: 'Deployment', namespace: 'shop', name: 'shop-v2', serviceAccount: 'shop', podLabels: { app: 'shop', version: 'v2' } },
      { kind: 'Deployment', namespace: 'buyer', name: 'buyer', serviceAccount: 'buyer', podLabels: { app: 'buyer' } },
    ],
    ingressRoutes: [],
  },
});

const spec = (o: KubernetesObject | undefined): Record<string, unknown> => (o as { spec?: Record<string, unknown> } | undefined)?.spec ?? {};
const find = (objects: KubernetesObject[], kind: string, name: string): KubernetesObject | undefined => objects.find((o) => o.kind === kind && o.metadata?.name === name);

void describe('OSM → Istio translation', () => {
  void it('string matches: exact, prefix, suffix, any; an inner pattern is untranslatable', () => {
    assert.deepEqual(istioStringMatch('/buy/.*'), { value: '/buy/*' });
    assert.deepEqual(istioStringMatch('^/exact$'), { value: '/exact' });
    assert.deepEqual(istioStringMatch('.*\\.css'), { value: '*.css' });
    assert.deepEqual(istioStringMatch('.*'), { value: '*' });
    assert.ok('untranslatable' in istioStringMatch('/item/[0-9]+'));
  });

  void it('onboards by revision, keeps mTLS strict and closes every namespace; the access rule becomes an ALLOW for its source', () => {
    const plan = istioPlan(inventory(), { revision: 'asm-1-30', gatewayNamespace: '' });
    const shop = plan.files.find((f) => f.namespace === 'shop')?.objects ?? [];
    assert.deepEqual(find(shop, 'Namespace', 'shop')?.metadata?.labels, { 'istio.io/rev': 'asm-1-30' });
    assert.deepEqual(spec(find(shop, 'PeerAuthentication', 'default')), { mtls: { mode: 'STRICT' } });
    assert.deepEqual(spec(find(shop, 'AuthorizationPolicy', 'allow-nothing')), {});
    const allow = spec(find(shop, 'AuthorizationPolicy', 'shop'));
    assert.deepEqual(allow['selector'], { matchLabels: { app: 'shop' } });
    assert.deepEqual(allow['rules'], [{
      from: [{ source: { principals: ['cluster.local/ns/buyer/sa/buyer'] } }],
      to: [{ operation: { methods: ['GET'], paths: ['/buy/*'] } }],
      when: [{ key: 'request.headers[client-app]', values: ['buyer'] }],
    }]);
    assert.ok(plan.untranslatable.some((u) => u.ref === 'TrafficTarget shop/shop route r/odd' && /not an exact value, a prefix/.test(u.reason)));
    assert.ok(plan.steps.includes('kubectl label namespace shop istio.io/rev=asm-1-30 --overwrite'));
  });

  void it('TrafficSplit → weighted VirtualService over DestinationRule subsets', () => {
    const shop = istioPlan(inventory(), { revision: 'asm-1-30', gatewayNamespace: '' }).files.find((f) => f.namespace === 'shop')?.objects ?? [];
    assert.deepEqual(spec(find(shop, 'VirtualService', 'split'))['http'], [{ route: [
      { destination: { host: 'shop.shop.svc.cluster.local', subset: 'shop-v1' }, weight: 75 },
      { destination: { host: 'shop.shop.svc.cluster.local', subset: 'shop-v2' }, weight: 25 },
    ] }]);
    assert.deepEqual(spec(find(shop, 'DestinationRule', 'shop'))['subsets'], [{ name: 'shop-v1', labels: { app: 'shop', version: 'v1' } }, { name: 'shop-v2', labels: { app: 'shop', version: 'v2' } }]);
  });

  void it('translation faults: too permissive admits any principal; default-deny-missing drops allow-nothing; unknown names are refused', () => {
    const permissive = istioPlan(inventory(), { revision: 'asm-1-30', gatewayNamespace: '', translationFault: 'traffic-target-too-permissive' });
    const shop = permissive.files.find((f) => f.namespace === 'shop')?.objects ?? [];
    assert.deepEqual((spec(find(shop, 'AuthorizationPolicy', 'shop'))['rules'] as { from: unknown }[])[0]?.from, [{ source: { principals: ['*'] } }]);
    assert.equal(permissive.translationFault, 'traffic-target-too-permissive');
    const open = istioPlan(inventory(), { revision: 'asm-1-30', gatewayNamespace: '', translationFault: 'default-deny-missing' });
    assert.equal(find(open.files.find((f) => f.namespace === 'shop')?.objects ?? [], 'AuthorizationPolicy', 'allow-nothing'), undefined);
    assert.throws(() => istioPlan(inventory(), { revision: undefined, gatewayNamespace: '', translationFault: 'nope' }), /unknown translation fault "nope"/);
  });
});
