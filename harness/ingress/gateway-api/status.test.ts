import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gatewayAddress, gatewayReady, routeAccepted } from './status.ts';

const cond = (type: string, status: 'True' | 'False' | 'Unknown', reason: string, observedGeneration = 1, message = '') =>
  ({ type, status, reason, message, observedGeneration, lastTransitionTime: new Date(0) });

describe('Gateway API status verdicts', () => {
  it('a Gateway is ready when Accepted and Programmed are fresh and every listener is fine', () => {
    const gw = (conditions: ReturnType<typeof cond>[], generation = 1, listeners: { name: string; conditions: ReturnType<typeof cond>[] }[] = []) =>
      ({ metadata: { name: 'g', namespace: 'ns', generation }, status: { conditions, listeners } });
    const good = [cond('Accepted', 'True', 'Accepted'), cond('Programmed', 'True', 'Programmed')];
    assert.equal(gatewayReady(gw(good)).done, true);
    assert.equal(gatewayReady(gw(good, 2)).done, false, 'stale conditions do not count');
    assert.match(gatewayReady(gw(good, 2)).observed, /stale: generation 1 < 2/);
    const pending = gatewayReady(gw([cond('Accepted', 'True', 'Accepted'), cond('Programmed', 'False', 'AddressNotAssigned', 1, 'address pending')]));
    assert.deepEqual([pending.done, pending.failure], [false, undefined]);
    assert.match(pending.observed, /Programmed=False \(AddressNotAssigned: address pending\)/);
    assert.match(gatewayReady(gw(good, 1, [{ name: 'http', conditions: [cond('ResolvedRefs', 'False', 'InvalidCertificateRef')] }])).observed, /listener http: ResolvedRefs=False/);
    assert.match(gatewayReady(gw([cond('Accepted', 'False', 'InvalidParameters')])).failure ?? '', /is not accepted: Accepted=False \(InvalidParameters\)/);
  });

  it('a route is ready when its entry for the Gateway is Accepted and ResolvedRefs; a terminal reason fails at once', () => {
    const route = (conditions: ReturnType<typeof cond>[]) => ({ metadata: { name: 'r', namespace: 'ns', generation: 1 }, status: { parents: [{ parentRef: { name: 'g' }, conditions }] } });
    const verdict = routeAccepted({ name: 'g', namespace: 'ns' });
    assert.equal(verdict(route([cond('Accepted', 'True', 'Accepted'), cond('ResolvedRefs', 'True', 'ResolvedRefs')])).done, true);
    const missing = verdict(route([cond('Accepted', 'True', 'Accepted'), cond('ResolvedRefs', 'False', 'BackendNotFound', 1, 'backend(httpbin.ns.svc.cluster.local) not found')]));
    assert.match(missing.failure ?? '', /cannot work as written: ResolvedRefs=False \(BackendNotFound: backend\(httpbin\.ns\.svc\.cluster\.local\) not found\)/, 'the suite routes to a Service that exists');
    assert.match(missing.observed, /ResolvedRefs=False \(BackendNotFound: backend\(httpbin\.ns\.svc\.cluster\.local\) not found\)/);
    const stale = verdict({ ...route([cond('Accepted', 'True', 'Accepted', 1), cond('ResolvedRefs', 'False', 'BackendNotFound', 1)]), metadata: { name: 'r', namespace: 'ns', generation: 2 } });
    assert.deepEqual([stale.done, stale.failure], [false, undefined], 'a condition of an older generation is no verdict');
    assert.match(verdict(route([cond('Accepted', 'False', 'NotAllowedByListeners')])).failure ?? '', /cannot work as written: Accepted=False \(NotAllowedByListeners\)/);
    assert.match(verdict({ metadata: { name: 'r', namespace: 'ns' }, status: { parents: [] } }).observed, /no status\.parents entry for Gateway ns\/g/);
  });

  it('takes the address from status.addresses and the listener port', () => {
    assert.deepEqual(gatewayAddress(80)({ metadata: {}, status: { addresses: [{ type: 'IPAddress', value: '127.1.0.9' }] } }).value, { host: '127.1.0.9', port: 80, url: 'http://127.1.0.9' });
    assert.equal(gatewayAddress(8080)({ metadata: {}, status: { addresses: [{ type: 'Hostname', value: 'gw.example' }] } }).value?.url, 'http://gw.example:8080');
    assert.equal(gatewayAddress(80)({ metadata: {}, status: {} }).done, false);
  });
});
