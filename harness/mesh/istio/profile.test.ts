import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import { istioAssessments } from './metrics.ts';
import { istioProfile, sidecarOf } from './profile.ts';

const settings = { namespace: 'aks-istio-system', meshName: '', revision: 'asm-1-30', target: 'aks' as const };
const profile = istioProfile(settings);

function pod(mode: 'native' | 'classic' | 'none', extra: Partial<V1Pod['metadata']> = {}): V1Pod {
  const proxy = { name: 'istio-proxy', image: 'proxyv2:1.30.3' };
  return {
    metadata: { name: 'httpbin-1', namespace: 'ns', annotations: { 'sidecar.istio.io/status': '{}', 'istio.io/rev': 'asm-1-30' }, ...extra },
    spec: {
      initContainers: [{ name: 'istio-validation', image: 'proxyv2' }, ...(mode === 'native' ? [{ ...proxy, restartPolicy: 'Always' }] : [])],
      containers: [{ name: 'httpbin', image: 'go-httpbin' }, ...(mode === 'classic' ? [proxy] : [])],
    },
  };
}

describe('Istio profile', () => {
  it('onboards by the revision label, and knows istio-injection wins over it (and is ignored by a revisioned install)', () => {
    assert.deepEqual(profile.onboarding.steps().map((s) => s.metadata.labels), [{ 'istio.io/rev': 'asm-1-30' }]);
    const ns = (labels: Record<string, string>) => ({ metadata: { name: 'x', labels } });
    assert.equal(profile.onboarding.injectionEnabled(ns({ 'istio.io/rev': 'asm-1-30' })), true);
    assert.equal(profile.onboarding.injectionEnabled(ns({ 'istio.io/rev': 'asm-1-29' })), false);
    assert.equal(profile.onboarding.injectionEnabled(ns({ 'istio.io/rev': 'asm-1-30', 'istio-injection': 'enabled' })), false);
    const unrevisioned = istioProfile({ ...settings, revision: undefined });
    assert.deepEqual(unrevisioned.onboarding.expected().labels, { 'istio-injection': 'enabled' });
    assert.equal(unrevisioned.onboarding.injectionEnabled(ns({ 'istio-injection': 'enabled' })), true);
  });

  it('accepts a native and a classic sidecar, and says what is missing otherwise', () => {
    assert.equal(sidecarOf(pod('native'))?.mode, 'native');
    assert.equal(sidecarOf(pod('classic'))?.mode, 'classic');
    assert.deepEqual(profile.sidecar.problems(pod('native')), []);
    assert.deepEqual(profile.sidecar.problems(pod('classic')), []);
    const bare = profile.sidecar.problems({ ...pod('none'), metadata: { name: 'p' }, spec: { containers: [{ name: 'httpbin' }] } });
    assert.match(bare[0] ?? '', /^no istio-proxy sidecar: neither a native one/);
    assert.match(bare[1] ?? '', /no init container "istio-init" or "istio-validation"/);
    assert.match(bare[2] ?? '', /no annotation "sidecar.istio.io\/status"/);
    assert.match(profile.sidecar.problems(pod('native', { annotations: { 'sidecar.istio.io/status': '{}', 'istio.io/rev': 'asm-1-29' } })).join(), /injected by revision asm-1-29, not asm-1-30/);
    assert.equal(profile.sidecar.optedOut({ metadata: { labels: { 'sidecar.istio.io/inject': 'false' } } }), true);
  });

  it('refuses with allow-nothing, admits the gateway\'s principal, and proves the sidecar by the echoed X-Forwarded-Client-Cert', () => {
    const req = { namespace: 'ns', name: 'httpbin', service: 'httpbin', port: 8000, labels: {}, backendResetStatuses: [502], source: { kind: 'ServiceAccount' as const, namespace: 'aks-istio-ingress', name: 'gw-sa' } };
    const refused = profile.ingressPolicy.refused(req);
    assert.deepEqual(refused.objects.map((o) => [o.kind, (o as { spec?: unknown }).spec]), [['AuthorizationPolicy', { selector: { matchLabels: { app: 'httpbin' } } }]]);
    assert.deepEqual(refused.answer, { status: 403, bodyIncludes: 'RBAC: access denied', description: '403 "RBAC: access denied" while only an allow-nothing AuthorizationPolicy selects it' });
    const [allow] = profile.ingressPolicy.admit(req);
    assert.deepEqual((allow as { spec?: unknown }).spec, { selector: { matchLabels: { app: 'httpbin' } }, action: 'ALLOW', rules: [{ from: [{ source: { principals: ['cluster.local/ns/aks-istio-ingress/sa/gw-sa'] } }] }] });
    const xfcc = 'By=spiffe://cluster.local/ns/ns/sa/httpbin;Hash=ab;Subject="";URI=spiffe://cluster.local/ns/aks-istio-ingress/sa/gw-sa';
    const res = (method: 'GET' | 'HEAD', body: string, server = 'istio-envoy') => ({ method, status: 200, headers: { server }, body });
    assert.equal(profile.ingressPolicy.throughSidecar(req, res('GET', JSON.stringify({ headers: { 'X-Forwarded-Client-Cert': [xfcc] } }))), undefined);
    assert.equal(profile.ingressPolicy.throughSidecar(req, res('HEAD', '')), undefined);
    assert.match(profile.ingressPolicy.throughSidecar(req, res('GET', '{"headers":{}}')) ?? '', /no X-Forwarded-Client-Cert with By=spiffe:\/\/cluster.local\/ns\/ns\/sa\/httpbin/);
    assert.match(profile.ingressPolicy.throughSidecar(req, res('GET', xfcc.replace('gw-sa', 'other'))) ?? '', /does not name the ingress gateway/);
    assert.match(profile.ingressPolicy.throughSidecar(req, res('HEAD', '', 'nginx')) ?? '', /server: "nginx", not istio-envoy/);
  });

  it('counts the gateway\'s 200s at the workload\'s sidecar, and requires them to be mutual TLS', () => {
    const [counted, mtls] = istioAssessments({ namespace: 'ns', pod: 'httpbin-1', sent: 10, source: { kind: 'ServiceAccount', namespace: 'gw', name: 'gw-sa' } }, 'httpbin');
    assert.deepEqual(counted?.series, { metric: 'istio_requests_total', labels: { reporter: 'destination', destination_workload_namespace: 'ns', destination_workload: 'httpbin', response_code: '200', source_principal: 'spiffe://cluster.local/ns/gw/sa/gw-sa' } });
    const plain = [{ labels: { connection_security_policy: 'none' }, value: 10 }];
    assert.equal(counted?.judge(plain).done, true);
    const verdict = mtls?.judge(plain);
    assert.equal(verdict?.done, false);
    assert.match(verdict?.observed ?? '', /=10 \(connection_security_policy: none 10\)$/);
    assert.equal(mtls?.judge([{ labels: { connection_security_policy: 'mutual_tls' }, value: 12 }]).done, true);
  });
});
