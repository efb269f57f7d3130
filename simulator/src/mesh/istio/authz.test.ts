// AuthorizationPolicy evaluation (istio.md §4): selection, CUSTOM/DENY/ALLOW order, allow-nothing, rules: [{}],
// principal and namespace matching only with mTLS, wildcards, operations, and the two authz faults' options.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../cluster/types.ts';
import { applicablePolicies, evaluateAuthz, stringMatches } from './authz.ts';
import type { AuthzRequest } from './authz.ts';

const ap = (name: string, spec: Record<string, unknown>, namespace = 'demo'): KubeObject => ({ apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name, namespace }, spec });
const gatewayPrincipal = 'cluster.local/ns/demo/sa/httpbin-gateway-istio';
const req = (over: Partial<AuthzRequest> = {}): AuthzRequest => ({ principal: gatewayPrincipal, sourceIp: '127.0.0.9', method: 'GET', path: '/get?x=1', port: 8080, host: 'httpbin.example.com', headers: {}, ...over });
const allowGateway = ap('allow-gateway', { action: 'ALLOW', rules: [{ from: [{ source: { principals: [gatewayPrincipal] } }] }] });

void describe('AuthorizationPolicy evaluation', () => {
  void it('selects the namespace\'s matching or selector-less policies and the root namespace\'s', () => {
    const policies = [ap('a', {}), ap('b', { selector: { matchLabels: { app: 'httpbin' } } }), ap('c', { selector: { matchLabels: { app: 'other' } } }), ap('mesh', {}, 'istio-system'), ap('elsewhere', {}, 'other-ns')];
    assert.deepEqual(applicablePolicies(policies, 'demo', { app: 'httpbin' }, 'istio-system').map((p) => p.metadata.name), ['a', 'b', 'mesh']);
  });

  void it('no policy allows; allow-nothing denies; rules: [{}] allows; an ALLOW for a principal admits only it', () => {
    assert.deepEqual(evaluateAuthz([], req()), { allowed: true, reason: 'no-policy' });
    assert.equal(evaluateAuthz([ap('allow-nothing', {})], req()).allowed, false);
    assert.equal(evaluateAuthz([ap('all', { rules: [{}] })], req()).allowed, true);
    assert.equal(evaluateAuthz([ap('allow-nothing', {}), allowGateway], req()).allowed, true);
    assert.equal(evaluateAuthz([ap('allow-nothing', {}), allowGateway], req({ principal: 'cluster.local/ns/demo/sa/sleep' })).allowed, false);
    assert.equal(evaluateAuthz([allowGateway], req({ principal: '' })).allowed, false, 'plaintext has no principal');
  });

  void it('DENY wins over ALLOW; CUSTOM and AUDIT do not decide', () => {
    const deny = ap('deny-get', { action: 'DENY', rules: [{ to: [{ operation: { methods: ['GET'] } }] }] });
    assert.deepEqual(evaluateAuthz([allowGateway, deny], req()), { allowed: false, reason: 'denied-by-policy', policy: 'ns[demo]-policy[deny-get]' });
    assert.equal(evaluateAuthz([allowGateway, deny], req({ method: 'POST' })).allowed, true);
    assert.equal(evaluateAuthz([ap('ext', { action: 'CUSTOM', provider: { name: 'x' }, rules: [{}] }), ap('audit', { action: 'AUDIT', rules: [{}] })], req()).allowed, true);
  });

  void it('matches principals and namespaces with wildcards, paths, ports, hosts and not-fields', () => {
    const allow = (rule: Record<string, unknown>) => [ap('p', { rules: [rule] })];
    assert.equal(evaluateAuthz(allow({ from: [{ source: { principals: ['*'] } }] }), req()).allowed, true);
    assert.equal(evaluateAuthz(allow({ from: [{ source: { principals: ['*'] } }] }), req({ principal: '' })).allowed, false);
    assert.equal(evaluateAuthz(allow({ from: [{ source: { principals: ['cluster.local/ns/demo/*'] } }] }), req()).allowed, true);
    assert.equal(evaluateAuthz(allow({ from: [{ source: { principals: ['*/sa/httpbin-gateway-istio'] } }] }), req()).allowed, true);
    assert.equal(evaluateAuthz(allow({ from: [{ source: { namespaces: ['demo'] } }] }), req()).allowed, true);
    assert.equal(evaluateAuthz(allow({ from: [{ source: { notNamespaces: ['demo'] } }] }), req()).allowed, false);
    assert.equal(evaluateAuthz(allow({ to: [{ operation: { paths: ['/get'] } }] }), req()).allowed, true, 'the query string is not part of the path');
    assert.equal(evaluateAuthz(allow({ to: [{ operation: { paths: ['/status/*'] } }] }), req()).allowed, false);
    assert.equal(evaluateAuthz(allow({ to: [{ operation: { ports: ['8080'] } }] }), req()).allowed, true);
    assert.equal(evaluateAuthz(allow({ to: [{ operation: { hosts: ['*.example.com'] } }] }), req()).allowed, true);
    assert.equal(evaluateAuthz(allow({ from: [{ source: { ipBlocks: ['127.0.0.0/24'] } }] }), req()).allowed, true);
    assert.equal(evaluateAuthz(allow({ when: [{ key: 'request.headers[x-team]', values: ['a'] }] }), req({ headers: { 'x-team': 'a' } })).allowed, true);
    assert.equal(evaluateAuthz(allow({ when: [{ key: 'request.auth.claims[iss]', values: ['a'] }] }), req()).allowed, false, 'keys that need a JWT match nothing');
    assert.equal(stringMatches('*', ''), false);
  });

  void it('the authz fault options: DENY and allow-nothing ignored; ALLOW rules never match', () => {
    const deny = ap('deny', { action: 'DENY', rules: [{}] });
    assert.equal(evaluateAuthz([deny], req(), { ignoreDeny: true }).allowed, true);
    assert.equal(evaluateAuthz([ap('allow-nothing', {})], req(), { ignoreDeny: true }).allowed, true);
    assert.equal(evaluateAuthz([ap('allow-nothing', {}), allowGateway], req(), { ignoreAllowRules: true }).allowed, false);
  });

  void it('authz-path-prefix-ignored: paths match only exactly, so a prefix rule admits nothing and an exact one still works', () => {
    const byPrefix = [ap('p', { rules: [{ to: [{ operation: { paths: ['/status/*'] } }] }] })];
    assert.equal(evaluateAuthz(byPrefix, req({ path: '/status/200' })).allowed, true);
    assert.equal(evaluateAuthz(byPrefix, req({ path: '/status/200' }), { exactPaths: true }).allowed, false);
    assert.equal(evaluateAuthz([ap('p', { rules: [{ to: [{ operation: { paths: ['/get'] } }] }] })], req(), { exactPaths: true }).allowed, true);
  });
});
