import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { apiCost, classifyWait, flowFloor, harnessReactions, percentile, podUnmodelledMs, pollerReactions, requestsByCheck, runNamespaces, summarize, timeToVerdict } from './analyse.mjs';

const ns = 'mesh-conformance-abcde';
const conditions = [
  { t: 1000, type: 'delay', name: 'imagePull', namespace: ns, object: 'httpbin-x', ms: 2500 },
  { t: 3500, type: 'delay', name: 'containerStart', namespace: ns, object: 'httpbin-x', ms: 400 },
  { t: 4000, type: 'condition', name: 'pod-ready', namespace: ns, object: 'httpbin-x' },
  { t: 4100, type: 'delay', name: 'ingressAddress', namespace: ns, object: 'httpbin', ms: 1000 },
  { t: 5100, type: 'condition', name: 'ingress-address', namespace: ns, object: 'httpbin' },
  { t: 5300, type: 'delay', name: 'ingressBackendStatus', namespace: ns, object: 'httpbin', ms: 1000 },
  { t: 6300, type: 'condition', name: 'ingressbackend-committed', namespace: ns, object: 'httpbin' },
  { t: 6000, type: 'condition', name: 'metrics-scraped', namespace: ns, object: 'httpbin-x' },
  { t: 9000, type: 'condition', name: 'metrics-scraped', namespace: ns, object: 'httpbin-x' },
  { t: 9500, type: 'condition', name: 'namespace-gone', namespace: ns, object: ns },
  { t: 100, type: 'delay', name: 'imagePull', namespace: 'osm-system', object: 'osm-controller-x', ms: 2500 },
];
const timings = [
  { kind: 'wait', description: `Pod ${ns}/httpbin-x to be Running with 2/2 ready`, startedAt: 900, endedAt: 4003, outcome: 'done' },
  { kind: 'wait', description: `Ingress ${ns}/httpbin to have an address in status.loadBalancer.ingress`, startedAt: 4100, endedAt: 5102, outcome: 'done' },
  { kind: 'consecutive', description: `GET http://127.0.0.1/get (Host: ${ns}.mesh-conformance.test) to return 502 5 times in a row`, startedAt: 5110, firstOkAt: 5115, endedAt: 5200, outcome: 'done' },
  { kind: 'wait', description: `IngressBackend ${ns}/httpbin to be committed`, startedAt: 5300, endedAt: 6301, outcome: 'done' },
  { kind: 'consecutive', description: `HEAD and GET http://127.0.0.1/get (Host: ${ns}.mesh-conformance.test) to return 200 with x 5 times in a row`, startedAt: 6310, firstOkAt: 6320, endedAt: 6400, outcome: 'done' },
  { kind: 'wait', description: `envoy_cluster_upstream_rq_xx to reach at least 10 (pod ${ns}/httpbin-x, from Prometheus)`, startedAt: 6500, endedAt: 10000, outcome: 'done' },
  { kind: 'wait', description: `Namespace ${ns} to be deleted`, startedAt: 9400, endedAt: 9502, outcome: 'done' },
  { kind: 'wait', description: 'something else', startedAt: 1, endedAt: 2, outcome: 'done' },
];
/** An extended check's waits after the core flow: a second pod, and a second policy commit and HTTP streak. */
const extendedTimings = [
  { kind: 'wait', description: `Pod ${ns}/dapr-client-y to be Running with 3/3 ready`, startedAt: 9600, endedAt: 12004, outcome: 'done' },
  { kind: 'wait', description: `IngressBackend ${ns}/httpbin to be committed`, startedAt: 9700, endedAt: 11000, outcome: 'done' },
  { kind: 'consecutive', description: `HEAD and GET http://127.0.0.1/get (Host: ${ns}.mesh-conformance.test) over mTLS to the backend to return 200 with x 5 times in a row`, startedAt: 11010, firstOkAt: 11500, endedAt: 11600, outcome: 'done' },
];

describe('bench analysis', () => {
  it('classifies the harness waits by the condition they await', () => {
    assert.deepEqual(timings.map(classifyWait), ['pod-ready', 'ingress-address', 'http-502', 'ingressbackend-committed', 'http-200', 'metrics', 'namespace-gone', undefined]);
  });

  it('finds the run namespaces both logs name', () => {
    assert.deepEqual(runNamespaces(timings, conditions), [ns]);
  });

  it('sums the delays applied to the namespace, plus the wait for the first scrape after the traffic', () => {
    const floor = flowFloor(conditions, ns, 6400);
    assert.deepEqual(floor.parts, { imagePull: 2500, containerStart: 400, ingressAddress: 1000, ingressBackendStatus: 1000, scrapeWait: 2600 });
    assert.equal(floor.totalMs, 7500);
  });

  it('counts a delay only up to the namespace\'s end: one scheduled as the namespace goes is on no critical path', () => {
    const deletion = [
      { t: 9000, type: 'delay', name: 'namespaceDeletion', namespace: ns, object: ns, ms: 400 },
      { t: 9499, type: 'delay', name: 'namespaceDeletion', namespace: ns, object: ns, ms: 400 },
    ];
    assert.equal(flowFloor([...conditions, ...deletion], ns).parts.namespaceDeletion, 401);
  });

  it('measures reaction from the later of condition and wait start to the moment the harness saw it', () => {
    const r = Object.fromEntries(harnessReactions(timings, conditions, [ns]).map((x) => [x.wait, x.ms]));
    assert.deepEqual(r, { 'pod-ready': 3, 'ingress-address': 2, 'http-502': 5, 'ingressbackend-committed': 1, 'http-200': 10, metrics: 1000, 'namespace-gone': 2 });
  });

  it('pairs a pod wait with that pod\'s readiness, and counts the policy and HTTP waits of the core flow only', () => {
    const withExtended = [...conditions, { t: 12000, type: 'condition', name: 'pod-ready', namespace: ns, object: 'dapr-client-y' }];
    const r = harnessReactions([...timings, ...extendedTimings], withExtended, [ns]);
    assert.deepEqual(r.filter((x) => x.wait === 'pod-ready').map((x) => x.ms), [3, 4]);
    assert.deepEqual(r.filter((x) => x.wait === 'ingressbackend-committed' || x.wait === 'http-200').map((x) => x.ms), [1, 10]);
  });

  it('measures the poller against the same conditions', () => {
    const r = pollerReactions([{ t: 4600, namespace: ns, wait: 'pod-ready' }, { t: 7000, namespace: ns, wait: 'http-200' }, { t: 12000, namespace: ns, wait: 'http-200-verdict' }], conditions);
    assert.deepEqual(r.map((x) => x.ms), [600, 700]);
  });

  it('counts API requests by verb, without the excluded user agents', () => {
    const cost = apiCost([{ verb: 'get', userAgent: 'node-fetch/1.0' }, { verb: 'watch', userAgent: 'node-fetch/1.0' }, { verb: 'list', userAgent: 'mesh-conformance-bench-poller' }], ['mesh-conformance-bench-poller']);
    assert.deepEqual(cost, { total: 2, byVerb: { get: 1, watch: 1 }, watchStreams: 1 });
  });

  it('takes the unmodelled pod work from the flow\'s own pod, not the later pods of the namespace', () => {
    const later = { t: 9000, type: 'delay', name: 'imagePull', namespace: ns, object: 'dapr-client-y', ms: 5000 };
    assert.equal(podUnmodelledMs([...conditions, later], ns), 100);
  });

  it('counts each request for the check that was running when it was made', () => {
    const at = (/** @type {number} */ ms) => ({ time: new Date(ms).toISOString(), verb: 'get' });
    const windows = [{ check: 'namespace', start: 1000, end: 2000 }, { check: 'canary', start: 2000.5, end: 3000 }];
    assert.deepEqual(requestsByCheck([at(500), at(1000), at(1999), at(2500), at(4000)], windows), { outside: 2, namespace: 2, canary: 1 });
  });

  it('takes nearest-rank percentiles', () => {
    assert.equal(percentile([5, 1, 3, 2, 4], 50), 3);
    assert.equal(percentile(Array.from({ length: 20 }, (_, i) => i + 1), 95), 19);
    assert.deepEqual(summarize([]), { n: 0, p50: null, p95: null, max: null });
  });

  it('time to verdict: from the first terminal condition to the first wait that did not end done after it', () => {
    const faultConditions = [
      { t: 1000, type: 'condition', name: 'pod-ready', namespace: ns, object: 'osm-controller' },
      { t: 2000, type: 'condition', name: 'pod-terminal', namespace: ns, object: 'httpbin-x' },
      { t: 2500, type: 'condition', name: 'pod-terminal', namespace: ns, object: 'httpbin-y' },
    ];
    const waits = [
      { description: 'Namespace to exist', endedAt: 1500, outcome: 'done' },
      { description: 'an earlier wait that timed out', endedAt: 1800, outcome: 'timeout' },
      { description: `Pod ${ns}/httpbin-x to be Running`, endedAt: 2150, outcome: 'failed' },
    ];
    assert.deepEqual(timeToVerdict(faultConditions, waits), { observableAt: 2000, verdictAt: 2150, ms: 150, condition: 'pod-terminal', wait: `Pod ${ns}/httpbin-x to be Running`, outcome: 'failed' });
    // No terminal condition (the fault was not observable) or no failure after it: no figure, never a made-up one.
    assert.equal(timeToVerdict(faultConditions.slice(0, 1), waits).ms, undefined);
    assert.equal(timeToVerdict(faultConditions, waits.slice(0, 2)).ms, undefined);
    // A terminal condition of the cluster's own pods (another namespace), earlier, is not the run's fault being observable.
    const withOpa = [{ t: 500, type: 'condition', name: 'pod-terminal', namespace: 'opa', object: 'opa-x' }, ...faultConditions];
    assert.equal(timeToVerdict(withOpa, waits).ms, 150);
    // A wait that names the namespace as a host counts too.
    assert.equal(timeToVerdict(faultConditions, [{ description: `GET http://127.0.0.2/get (Host: ${ns}.mesh-conformance.test)`, endedAt: 2050, outcome: 'failed' }]).ms, 50);
  });
});
