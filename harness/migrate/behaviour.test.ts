// The behaviour matrix's pure parts: sample requests from SMI patterns, the probes of an inventory, what an answer
// means, and the diff (denied → allowed and allowed → denied are both changes; a pod without a sidecar after is one).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BehaviourMatrix } from './behaviour.ts';
import { classify, compareBehaviour, ingressProbesFor, probesFor, sampleOf } from './behaviour.ts';
import type { MeshInventory } from './model.ts';

const inventory = (): MeshInventory => ({
  kind: 'MeshMigrationInventory', version: 1,
  mesh: { profile: 'source', title: 'Source', namespace: 'mesh', version: undefined, controlPlane: 'x' },
  settings: { permissiveTraffic: false, egress: true, externalAuthorization: undefined, certificateProvider: 'x', trustDomain: 'cluster.local', ingressAdmissionEnforced: true },
  namespaces: [{ name: 'shop', injection: true, metrics: false, labels: [], annotations: [] }, { name: 'buyer', injection: true, metrics: false, labels: [], annotations: [] }, { name: 'ingress', injection: false, metrics: false, labels: [], annotations: [] }],
  accessRules: [{
    ref: { kind: 'TrafficTarget', namespace: 'shop', name: 'shop' }, destination: { namespace: 'shop', serviceAccount: 'shop' }, sources: [{ namespace: 'buyer', serviceAccount: 'buyer' }],
    http: [
      { name: 'routes/buy', pathRegex: '/buy/.*', methods: ['GET'], headers: { 'client-app': 'buyer' } },
      { name: 'routes/restock', pathRegex: '.*', methods: ['POST'], headers: {} },
      { name: 'routes/odd', pathRegex: '/item/[0-9]+', methods: ['*'], headers: {} },
    ],
    tcpPorts: undefined, ignored: [],
  }],
  trafficSplits: [], ingress: [], unmodelled: [], items: [],
  cluster: {
    services: [
      { namespace: 'shop', name: 'shop', selector: { app: 'shop' }, ports: [{ port: 80, targetPort: 8080 }] },
      { namespace: 'buyer', name: 'buyer', selector: { app: 'buyer' }, ports: [{ port: 80, targetPort: 8080 }] },
      { namespace: 'ingress', name: 'nginx', selector: { app: 'nginx' }, ports: [{ port: 80, targetPort: 80 }] },
    ],
    workloads: [
      { kind: 'Deployment', namespace: 'shop', name: 'shop', serviceAccount: 'shop', podLabels: { app: 'shop' } },
      { kind: 'Deployment', namespace: 'buyer', name: 'buyer', serviceAccount: 'buyer', podLabels: { app: 'buyer' } },
      { kind: 'Deployment', namespace: 'ingress', name: 'nginx', serviceAccount: 'nginx', podLabels: { app: 'nginx' } },
    ],
    ingressRoutes: [],
  },
});

void describe('behaviour matrix', () => {
  void it('samples literals, prefixes and match-all patterns; refuses the rest', () => {
    assert.equal(sampleOf('/anything/books-bought', 'probe'), '/anything/books-bought');
    assert.equal(sampleOf('^/buy/.*$', 'probe'), '/buy/probe');
    assert.equal(sampleOf('.*', 'probe'), 'probe');
    assert.equal(sampleOf('/a\\.b', 'probe'), '/a.b');
    assert.equal(sampleOf('/item/[0-9]+', 'probe'), undefined);
    assert.equal(sampleOf('/a|/b', 'probe'), undefined);
  });

  void it('probes every identity of the onboarded namespaces against every Service there: a generic GET plus each sampled route', () => {
    const { probes, unprobed } = probesFor(inventory());
    // 2 identities (the ingress namespace is not onboarded) × (buyer: 1 request + shop: generic and buy) = 6.
    assert.equal(probes.length, 6);
    assert.ok(probes.some((p) => p.id === 'buyer/buyer → shop.shop:80 GET /buy/probe [client-app: buyer]'));
    assert.ok(!probes.some((p) => p.namespace === 'ingress' || p.source.namespace === 'ingress'));
    assert.deepEqual(unprobed.map((u) => u.split(':')[0]), ['shop/shop route routes/restock', 'shop/shop route routes/odd']);
  });

  void it('classifies answers: 2xx allowed; 403, 404 and a transport error denied; others errors', () => {
    assert.equal(classify(200, '{}').outcome, 'allowed');
    assert.equal(classify(403, 'RBAC: access denied').outcome, 'denied');
    assert.equal(classify(404, '').outcome, 'denied');
    assert.deepEqual(classify(400, 'Error for "http://x": connect ECONNRESET'), { outcome: 'denied', status: 0, detail: 'no answer: Error for "http://x": connect ECONNRESET' });
    assert.equal(classify(503, 'upstream connect error').outcome, 'error');
    assert.equal(classify(400, 'missing url value').outcome, 'error');
  });

  void it('diffs per probe and per namespace\'s sidecars: both directions of an access change count', () => {
    const matrix = (mesh: string, outcomes: [string, 'allowed' | 'denied'][], sidecar: string | undefined): BehaviourMatrix => ({
      kind: 'MeshMigrationBehaviour', version: 1, mesh, takenAt: '', namespaces: ['shop'], unprobed: [],
      probes: outcomes.map(([id, outcome]) => ({ id, source: { namespace: 'buyer', serviceAccount: 'buyer' }, namespace: 'shop', service: 'shop', port: 80, method: 'GET', path: '/', headers: {}, why: '', result: { outcome, status: outcome === 'allowed' ? 200 : 403, detail: '' } })),
      sidecars: [{ namespace: 'shop', pod: `shop-${mesh}`, sidecar }],
    });
    const before = matrix('a', [['p1', 'allowed'], ['p2', 'denied'], ['p3', 'denied']], 'a');
    const after = matrix('b', [['p1', 'denied'], ['p2', 'allowed'], ['p3', 'denied'], ['p4', 'allowed']], undefined);
    const changes = compareBehaviour(before, after);
    assert.deepEqual(changes.map((c) => `${c.kind} ${c.what}`), ['changed p1', 'changed p2', 'same p3', 'new p4', 'changed sidecars']);
    assert.deepEqual(compareBehaviour(before, { ...before, mesh: 'b' }).filter((c) => c.kind !== 'same'), []);
  });

  void it('probes each Ingress path to an onboarded namespace once (a prefix / as /get); compares outcomes, not entry points', () => {
    const inv = inventory();
    inv.cluster.ingressRoutes = [
      { namespace: 'shop', name: 'shop', className: 'nginx', host: 'shop.example', path: '/', pathType: 'Prefix', service: 'shop', port: 80 },
      { namespace: 'shop', name: 'shop', className: 'nginx', host: 'shop.example', path: '/exact', pathType: 'Exact', service: 'shop', port: 80 },
      { namespace: 'ingress', name: 'other', className: 'nginx', host: undefined, path: '/', pathType: 'Prefix', service: 'nginx', port: 80 },
    ];
    const probes = ingressProbesFor(inv);
    assert.deepEqual(probes.map((p) => p.id), ['ingress GET shop.example/exact → shop/shop', 'ingress GET shop.example/get → shop/shop']);
    const at = (outcome: 'allowed' | 'denied', via: string): BehaviourMatrix => ({
      kind: 'MeshMigrationBehaviour', version: 1, mesh: 'm', takenAt: '', namespaces: ['shop'], unprobed: [], probes: [], sidecars: [],
      ingress: probes.slice(0, 1).map((p) => ({ ...p, result: { outcome, status: outcome === 'allowed' ? 200 : 403, detail: `${outcome === 'allowed' ? 200 : 403}`, via } })),
    });
    assert.deepEqual(compareBehaviour(at('allowed', 'Ingress shop/shop'), at('allowed', 'Gateway gw/gw')).filter((c) => c.kind !== 'same' && c.what !== 'sidecars'), []);
    const changed = compareBehaviour(at('allowed', 'Ingress shop/shop'), at('denied', 'Gateway gw/gw')).find((c) => c.kind === 'changed');
    assert.deepEqual(changed, { namespace: 'shop', kind: 'changed', what: 'ingress GET shop.example/exact → shop/shop', before: 'allowed (200) via Ingress shop/shop', after: 'denied (403) via Gateway gw/gw' });
    // A baseline of an older version (no ingress paths) compares without them.
    assert.equal(compareBehaviour({ ...at('allowed', 'x'), ingress: undefined }, at('denied', 'y')).filter((c) => c.kind === 'new').length, 1);
  });
});
