import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../cluster/types.ts';
import { ApiError } from '../../cluster/types.ts';
import { typeFor } from '../../controllers/resource-lookup.ts';
import { addMeshNamespace, httpbinIngressBackend, startOsmFixture } from './testing/osm-fixture.ts';
import { isCidr, validateIngressBackend } from './validator.ts';

function ib(spec: Record<string, unknown>, name = 'httpbin'): KubeObject {
  return { apiVersion: 'policy.openservicemesh.io/v1alpha1', kind: 'IngressBackend', metadata: { name, namespace: 'httpbin' }, spec };
}

const svcSource = { kind: 'Service', name: 'ingress-nginx-controller', namespace: 'ingress-nginx' };
const backend = (name: string, number: number, protocol = 'http') => ({ name, port: { number, protocol } });

void describe('validateIngressBackend (osm-validator.k8s.io)', () => {
  const cases: { name: string; spec: Record<string, unknown>; expected: string | undefined }[] = [
    { name: 'accepts the httpbin sample', spec: { backends: [backend('httpbin', 14001)], sources: [svcSource] }, expected: undefined },
    { name: 'accepts HTTP in upper case', spec: { backends: [backend('httpbin', 14001, 'HTTP')], sources: [{ kind: 'IPRange', name: '10.0.0.0/8' }] }, expected: undefined },
    { name: 'accepts the same name on different ports', spec: { backends: [backend('a', 80), backend('a', 8080)], sources: [svcSource] }, expected: undefined },
    { name: 'rejects a duplicate backend', spec: { backends: [backend('a', 80), backend('a', 80)], sources: [svcSource] }, expected: 'Duplicate backends detected with service name: a and port: 80' },
    { name: 'rejects a protocol other than http/https', spec: { backends: [backend('a', 80, 'tcp')], sources: [svcSource] }, expected: 'Expected \'port.protocol\' to be \'http\' or \'https\', got: tcp' },
    { name: 'rejects a Service source without namespace', spec: { backends: [backend('a', 80)], sources: [{ kind: 'Service', name: 'x' }] }, expected: '\'source.namespace\' not specified for source kind Service' },
    { name: 'rejects an IPRange that is not a CIDR', spec: { backends: [backend('a', 80)], sources: [{ kind: 'IPRange', name: '10.0.0.1' }] }, expected: 'Invalid \'source.name\' value specified for IPRange. Expected CIDR notation \'a.b.c.d/x\', got \'10.0.0.1\'' },
    { name: 'rejects an unknown source kind', spec: { backends: [backend('a', 80)], sources: [{ kind: 'Pod', name: 'x' }] }, expected: 'Invalid \'source.kind\' value specified. Must be one of: Service, AuthenticatedPrincipal, IPRange' },
  ];
  for (const c of cases) {
    void it(c.name, () => {
      assert.equal(validateIngressBackend(ib(c.spec)), c.expected);
    });
  }

  void it('recognises CIDRs as Go net.ParseCIDR does', () => {
    assert.equal(isCidr('10.0.0.0/8'), true);
    assert.equal(isCidr('fd00::/64'), true);
    assert.equal(isCidr('10.0.0.0/33'), false);
    assert.equal(isCidr('ingress'), false);
  });
});

void describe('validator admission plugin', () => {
  void it('admits a second IngressBackend for the same backend and port: OSM v1.2.4 never detects the conflict', async () => {
    const fx = await startOsmFixture();
    try {
      await addMeshNamespace(fx.store, 'httpbin');
      const type = typeFor(fx.store, 'IngressBackend');
      await fx.store.create(type, httpbinIngressBackend([{ kind: 'IPRange', name: '10.0.0.0/8' }]));
      const second = httpbinIngressBackend([{ kind: 'IPRange', name: '10.0.0.0/8' }]);
      second.metadata.name = 'httpbin-2';
      const created = await fx.store.create(type, second);
      assert.equal(created.metadata.name, 'httpbin-2');
    } finally {
      fx.stop();
    }
  });


  void it('denies through the API with the webhook name, only in monitored namespaces', async () => {
    const fx = await startOsmFixture();
    try {
      await addMeshNamespace(fx.store, 'httpbin');
      const type = typeFor(fx.store, 'IngressBackend');
      await assert.rejects(fx.store.create(type, httpbinIngressBackend([{ kind: 'IPRange', name: 'nope' }])), (e: unknown) =>
        e instanceof ApiError && e.code === 400 && e.message.startsWith('admission webhook "osm-validator.k8s.io" denied the request: Invalid \'source.name\' value specified for IPRange'));
      await fx.store.create(typeFor(fx.store, 'Namespace'), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'unmonitored' } });
      const outside = httpbinIngressBackend([{ kind: 'IPRange', name: 'nope' }]);
      outside.metadata.namespace = 'unmonitored';
      await fx.store.create(type, outside); // the namespaceSelector does not match: no validation
    } finally {
      fx.stop();
    }
  });

  void it('denies every IngressBackend with fault ingressbackend-admission-denied', async () => {
    const fx = await startOsmFixture({ faults: ['ingressbackend-admission-denied'] });
    try {
      await addMeshNamespace(fx.store, 'httpbin');
      await assert.rejects(fx.store.create(typeFor(fx.store, 'IngressBackend'), httpbinIngressBackend([{ kind: 'IPRange', name: '10.0.0.0/8' }])),
        /^Error: admission webhook "osm-validator.k8s.io" denied the request: /);
    } finally {
      fx.stop();
    }
  });
});
