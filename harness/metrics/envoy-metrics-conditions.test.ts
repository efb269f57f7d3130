import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import { osmMetricsExpectations } from '../mesh/mesh-metrics.ts';
import { waitFor } from '../wait/wait-for.ts';
import { scrapeAnnotationProblems, sidecarLive, successfulRequestsCounted, targetUp } from './envoy-metrics-conditions.ts';
import type { EnvoyMetricsSnapshot } from './metrics-source.ts';

const m = osmMetricsExpectations('osm-system');
const pod = (annotations: Record<string, string>): V1Pod => ({ metadata: { name: 'httpbin-1', namespace: 't-1', annotations } });

describe('metrics check conditions', () => {
  it('accepts a pod with the three scrape annotations', () => {
    assert.deepEqual(scrapeAnnotationProblems(pod(m.podAnnotations), m), []);
  });

  it('says metrics are not enabled on the namespace when the pod has no scrape annotations', () => {
    const problems = scrapeAnnotationProblems(pod({}), m, { object: { metadata: { name: 't-1', annotations: {} } }, metricsAnnotation: 'openservicemesh.io/metrics' });
    assert.deepEqual(problems.slice(0, 3), [
      'prometheus.io/scrape: expected "true", missing',
      'prometheus.io/port: expected "15010", missing',
      'prometheus.io/path: expected "/stats/prometheus", missing',
    ]);
    assert.match(problems[3]!, /^metrics are not enabled on namespace t-1 \(annotation openservicemesh\.io\/metrics is absent\); enable metrics before the pods start: `osm metrics enable --namespace t-1`/);
  });

  it('passes each stage on the right snapshot', () => {
    const s: EnvoyMetricsSnapshot = { targetUp: true, target: 'up', live: 1, successfulRequests: 12 };
    assert.equal(targetUp(m)(s).done, true);
    assert.equal(sidecarLive(m)(s).done, true);
    assert.equal(sidecarLive(m)({ ...s, live: null }).done, true, 'a source that does not collect the gauge');
    assert.equal(sidecarLive(m)({ ...s, live: 0 }).done, false);
    assert.equal(successfulRequestsCounted(m, 12)(s).done, true);
    assert.equal(successfulRequestsCounted(m, 13)(s).done, false);
    assert.equal(targetUp(m)({ ...s, targetUp: false, target: 'down: connection refused' }).done, false);
  });

  it('times out naming the expectation, the limit and the last counter value when counters do not move', async () => {
    const frozen: EnvoyMetricsSnapshot = { targetUp: true, target: 'up (http://127.1.0.5:15010/stats/prometheus)', live: 1, successfulRequests: 0 };
    await assert.rejects(waitFor({
      description: 'envoy_cluster_upstream_rq_xx{envoy_response_code_class="2"} to reach at least 12 (pod t-1/httpbin-1)',
      timeoutMs: 50, intervalMs: 10, probe: () => successfulRequestsCounted(m, 12)(frozen),
    }), (err: Error) => {
      assert.equal(err.message, 'Timed out after 50ms waiting for envoy_cluster_upstream_rq_xx{envoy_response_code_class="2"} to reach at least 12 (pod t-1/httpbin-1); '
        + 'last seen: target up (http://127.1.0.5:15010/stats/prometheus); envoy_server_live=1; envoy_cluster_upstream_rq_xx{envoy_response_code_class="2"}=0');
      return true;
    });
  });
});
