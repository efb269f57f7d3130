// PeerAuthentication resolution and the client's mTLS choice (istio.md §4, §6).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../cluster/types.ts';
import { clientUsesMtls, destinationRuleTlsMode, peerAuthenticationMode } from './mtls-policy.ts';

const pa = (name: string, namespace: string, spec: Record<string, unknown>, created = '2026-01-01T00:00:00Z'): KubeObject => ({ apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name, namespace, creationTimestamp: created }, spec });
const dr = (name: string, namespace: string, spec: Record<string, unknown>): KubeObject => ({ apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name, namespace }, spec });
const pod: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'httpbin-1', namespace: 'demo', labels: { app: 'httpbin', 'security.istio.io/tlsMode': 'istio' } } };
const svc: KubeObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'httpbin', namespace: 'demo' } };

void describe('mTLS policy', () => {
  void it('PeerAuthentication: workload over namespace over mesh-wide, port-level overrides, UNSET inherits, default PERMISSIVE', () => {
    assert.equal(peerAuthenticationMode([], pod, 8080, 'istio-system'), 'PERMISSIVE');
    const mesh = pa('default', 'istio-system', { mtls: { mode: 'STRICT' } });
    assert.equal(peerAuthenticationMode([mesh], pod, 8080, 'istio-system'), 'STRICT');
    const ns = pa('ns', 'demo', { mtls: { mode: 'PERMISSIVE' } });
    assert.equal(peerAuthenticationMode([mesh, ns], pod, 8080, 'istio-system'), 'PERMISSIVE');
    const workload = pa('w', 'demo', { selector: { matchLabels: { app: 'httpbin' } }, mtls: { mode: 'UNSET' }, portLevelMtls: { 8080: { mode: 'DISABLE' } } });
    assert.equal(peerAuthenticationMode([mesh, ns, workload], pod, 8080, 'istio-system'), 'DISABLE');
    assert.equal(peerAuthenticationMode([mesh, ns, workload], pod, 9090, 'istio-system'), 'PERMISSIVE', 'UNSET inherits the namespace mode');
  });

  void it('DestinationRule TLS: client namespace first, then the service\'s, then the root; port-level settings', () => {
    const rules = [dr('svc-ns', 'demo', { host: 'httpbin', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } }), dr('client-ns', 'gw', { host: 'httpbin.demo.svc.cluster.local', trafficPolicy: { tls: { mode: 'DISABLE' } } })];
    assert.equal(destinationRuleTlsMode(rules, 'gw', svc, 8000, 'istio-system'), 'DISABLE');
    assert.equal(destinationRuleTlsMode(rules, 'other', svc, 8000, 'istio-system'), 'ISTIO_MUTUAL');
    assert.equal(destinationRuleTlsMode([dr('p', 'demo', { host: '*.demo.svc.cluster.local', trafficPolicy: { portLevelSettings: [{ port: { number: 8000 }, tls: { mode: 'DISABLE' } }] } })], 'x', svc, 8000, 'istio-system'), 'DISABLE');
    assert.equal(destinationRuleTlsMode([], 'x', svc, 8000, 'istio-system'), undefined);
  });

  void it('auto mTLS: only to a sidecar whose mode is not DISABLE; a DestinationRule decides when it sets a mode', () => {
    const plain: KubeObject = { ...pod, metadata: { ...pod.metadata, labels: { app: 'httpbin' } } };
    assert.equal(clientUsesMtls({ drMode: undefined, destination: pod, destinationMode: 'PERMISSIVE', autoMtls: true }), true);
    assert.equal(clientUsesMtls({ drMode: undefined, destination: plain, destinationMode: 'PERMISSIVE', autoMtls: true }), false);
    assert.equal(clientUsesMtls({ drMode: undefined, destination: pod, destinationMode: 'DISABLE', autoMtls: true }), false);
    assert.equal(clientUsesMtls({ drMode: 'DISABLE', destination: pod, destinationMode: 'STRICT', autoMtls: true }), false);
    assert.equal(clientUsesMtls({ drMode: 'ISTIO_MUTUAL', destination: plain, destinationMode: 'PERMISSIVE', autoMtls: false }), true);
  });
});
