import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject, ObjectStore } from '../../cluster/types.ts';
import { typeFor } from '../../controllers/resource-lookup.ts';
import { markPodRunning, podManifest, waitForStore } from '../../controllers/testing/cluster-fixture.ts';
import type { FaultName } from '../../faults/index.ts';
import { faultHooks } from '../../faults/testing/fault-hooks.ts';
import { service } from '../../flavors/workloads.ts';
import { OsmInboundPolicy, outboundPortExclusionAnnotation, outboundPortExclusions } from './inbound-policy.ts';
import type { MeshView } from './mesh-view.ts';
import { addMeshNamespace, httpbinIngressBackend, startOsmFixture } from './testing/osm-fixture.ts';
import type { OsmFixture } from './testing/osm-fixture.ts';

async function scenario(faults: FaultName[] = []): Promise<{ fx: OsmFixture; httpbin: KubeObject; policy: OsmInboundPolicy }> {
  const fx = await startOsmFixture({ faults });
  const store: ObjectStore = fx.store;
  await addMeshNamespace(store, 'httpbin');
  await addMeshNamespace(store, 'ingress-nginx', { injection: 'disabled' });
  await store.create(typeFor(store, 'Service'), service({ name: 'httpbin', namespace: 'httpbin', labels: {}, selector: { app: 'httpbin' }, ports: [{ name: 'http', port: 14001 }] }));
  await store.create(typeFor(store, 'Service'), service({ name: 'ingress-nginx-controller', namespace: 'ingress-nginx', labels: {}, selector: { app: 'nginx' }, ports: [{ name: 'http', port: 80 }] }));
  const nginx = await store.create(typeFor(store, 'Pod'), podManifest('nginx', 'ingress-nginx', { app: 'nginx' }));
  await markPodRunning(store, nginx, '127.0.99.10');
  const httpbin = await markPodRunning(store, await store.create(typeFor(store, 'Pod'), podManifest('httpbin', 'httpbin', { app: 'httpbin' })), '127.0.99.20');
  await waitForStore(store, 'nginx endpoints', () => (fx.osm.view.endpointIps('ingress-nginx', 'ingress-nginx-controller').length ? true : undefined));
  return { fx, httpbin, policy: new OsmInboundPolicy(fx.osm.view, faultHooks(...faults).mesh) };
}

void describe('OSM inbound policy (xDS view)', () => {
  void it('denies ingress before an IngressBackend exists and allows the listed Service source after', async () => {
    const { fx, httpbin, policy } = await scenario();
    try {
      assert.equal(policy.decide(httpbin, 14001, '127.0.99.10'), 'denied-no-matching-source');
      await fx.store.create(typeFor(fx.store, 'IngressBackend'), httpbinIngressBackend([{ kind: 'Service', name: 'ingress-nginx-controller', namespace: 'ingress-nginx' }]));
      assert.equal(policy.decide(httpbin, 14001, '127.0.99.10'), 'allowed-by-ingress-backend');
      assert.equal(policy.inboundAllowed(httpbin, 14001, '127.0.99.11'), false, 'another address');
      assert.equal(policy.inboundAllowed(httpbin, 8080, '127.0.99.10'), false, 'another port');
      assert.equal(policy.decide(httpbin, 15010, '127.0.99.11'), 'allowed-metrics-listener');
    } finally {
      fx.stop();
    }
  });

  void it('keeps answering when the IngressBackend CRD is deleted: no IngressBackend admits anything any more (issue 19, F11)', async () => {
    const { fx, httpbin, policy } = await scenario();
    try {
      await fx.store.create(typeFor(fx.store, 'IngressBackend'), httpbinIngressBackend([{ kind: 'IPRange', name: '127.0.0.0/8' }]));
      assert.equal(policy.decide(httpbin, 14001, '127.0.99.10'), 'allowed-by-ingress-backend');
      await fx.store.delete(typeFor(fx.store, 'CustomResourceDefinition'), undefined, 'ingressbackends.policy.openservicemesh.io');
      assert.equal(policy.decide(httpbin, 14001, '127.0.99.10'), 'denied-no-matching-source');
      assert.deepEqual(fx.osm.view.ingressBackends('httpbin'), []);
    } finally {
      fx.stop();
    }
  });

  void it('matches IPRange sources by CIDR and never AuthenticatedPrincipal over plain HTTP', async () => {
    const { fx, httpbin, policy } = await scenario();
    try {
      await fx.store.create(typeFor(fx.store, 'IngressBackend'), httpbinIngressBackend([{ kind: 'IPRange', name: '10.0.0.0/8' }, { kind: 'AuthenticatedPrincipal', name: 'ingress-nginx.ingress-nginx.cluster.local' }]));
      assert.equal(policy.inboundAllowed(httpbin, 14001, '10.1.2.3'), true);
      assert.equal(policy.inboundAllowed(httpbin, 14001, '192.168.1.1'), false);
      assert.equal(policy.inboundAllowed(httpbin, 14001, '127.0.99.10'), false);
    } finally {
      fx.stop();
    }
  });

  void it('never allows the ingress with fault ingress-stuck-502', async () => {
    const { fx, httpbin, policy } = await scenario(['ingress-stuck-502']);
    try {
      await fx.store.create(typeFor(fx.store, 'IngressBackend'), httpbinIngressBackend([{ kind: 'Service', name: 'ingress-nginx-controller', namespace: 'ingress-nginx' }]));
      assert.equal(policy.decide(httpbin, 14001, '127.0.99.10'), 'denied-ingress-rejected');
    } finally {
      fx.stop();
    }
  });

  void it('gives an https backend a TLS filter chain with its principals, and a plain one to an http backend', async () => {
    const { fx, httpbin, policy } = await scenario();
    try {
      const principal = 'ingress-nginx.ingress-nginx.cluster.local';
      const ib = httpbinIngressBackend([{ kind: 'Service', name: 'ingress-nginx-controller', namespace: 'ingress-nginx' }, { kind: 'AuthenticatedPrincipal', name: principal }]);
      await fx.store.create(typeFor(fx.store, 'IngressBackend'), ib);
      assert.deepEqual(policy.inboundTransport(httpbin, 14001, '127.0.99.10'), { kind: 'plain' });
      await fx.store.mutate(typeFor(fx.store, 'IngressBackend'), 'httpbin', 'httpbin', (o) => {
        o['spec'] = { ...(o['spec'] as object), backends: [{ name: 'httpbin', port: { number: 14001, protocol: 'https' }, tls: { skipClientCertValidation: false } }] };
      });
      assert.deepEqual(policy.inboundTransport(httpbin, 14001, '127.0.99.10'), { kind: 'tls', requireClientCert: true, principals: [principal] });
      // The Service source still decides who may connect at all.
      assert.equal(policy.inboundTransport(httpbin, 14001, '127.0.99.11'), undefined);
      assert.equal(policy.inboundAllowed(httpbin, 14001, '127.0.99.11'), false);
    } finally {
      fx.stop();
    }
  });

  void it('admits only principals the policy does not name with fault ingress-mtls-wrong-principal', async () => {
    const { fx, httpbin, policy } = await scenario(['ingress-mtls-wrong-principal']);
    try {
      const ib = httpbinIngressBackend([{ kind: 'AuthenticatedPrincipal', name: 'gw.cluster.local' }]);
      (ib['spec'] as { backends: unknown[] }).backends = [{ name: 'httpbin', port: { number: 14001, protocol: 'https' }, tls: { skipClientCertValidation: false } }];
      await fx.store.create(typeFor(fx.store, 'IngressBackend'), ib);
      // Only principals: any address reaches the TLS chain, where the certificate decides.
      assert.deepEqual(policy.inboundTransport(httpbin, 14001, '127.0.99.11'), { kind: 'tls', requireClientCert: true, principals: ['not-gw.cluster.local'] });
    } finally {
      fx.stop();
    }
  });
});

it('outboundPortExclusions: MeshConfig\'s list and the pod\'s annotation, merged; the annotation ignored when told', () => {
  const view = { meshConfig: () => ({ apiVersion: 'config.openservicemesh.io/v1alpha2', kind: 'MeshConfig', metadata: { name: 'osm-mesh-config' }, spec: { traffic: { outboundPortExclusionList: [50005, 8201] } } }) } as unknown as MeshView;
  const annotated: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'n', annotations: { [outboundPortExclusionAnnotation]: '80, 6379,x' } } };
  assert.deepEqual([...outboundPortExclusions(view, annotated)].sort((a, b) => a - b), [80, 6379, 8201, 50005]);
  assert.deepEqual([...outboundPortExclusions(view, annotated, true)].sort((a, b) => a - b), [8201, 50005]);
});
