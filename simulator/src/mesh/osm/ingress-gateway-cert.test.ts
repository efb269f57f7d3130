import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../cluster/types.ts';
import { ingressGatewayCertSpec } from './ingress-gateway-cert.ts';

const meshConfig = (ingressGateway: unknown): KubeObject => ({
  apiVersion: 'config.openservicemesh.io/v1alpha2', kind: 'MeshConfig', metadata: { name: 'osm-mesh-config', namespace: 'osm-system' },
  spec: { certificate: { serviceCertValidityDuration: '24h', ...(ingressGateway === undefined ? {} : { ingressGateway }) } },
});

void describe('MeshConfig certificate.ingressGateway as osm-controller reads it (pkg/ingress/gateway.go)', () => {
  void it('takes the first SAN, the Go duration and the secret reference', () => {
    assert.deepEqual(ingressGatewayCertSpec(meshConfig({ subjectAltNames: ['a.b.cluster.local', 'ignored'], validityDuration: '1h30m', secret: { name: 's', namespace: 'n' } })),
      { san: 'a.b.cluster.local', validityMs: 5_400_000, secret: { name: 's', namespace: 'n' } });
  });
  void it('is absent without the field, and invalid with upstream\'s reasons', () => {
    assert.equal(ingressGatewayCertSpec(meshConfig(undefined)), undefined);
    assert.equal(ingressGatewayCertSpec(undefined), undefined);
    assert.deepEqual(ingressGatewayCertSpec(meshConfig({ subjectAltNames: [], validityDuration: '24h', secret: { name: 's', namespace: 'n' } })), { invalid: 'Ingress gateway certificate spec must specify at least 1 SAN' });
    assert.deepEqual(ingressGatewayCertSpec(meshConfig({ subjectAltNames: ['x'], validityDuration: 'a day', secret: { name: 's', namespace: 'n' } })), { invalid: 'Invalid cert duration \'a day\' specified' });
    assert.deepEqual(ingressGatewayCertSpec(meshConfig({ subjectAltNames: ['x'], validityDuration: '24h', secret: { name: 's' } })), { invalid: 'Ingress gateway cert secret\'s name and namespace cannot be nil, got /s' });
  });
});
