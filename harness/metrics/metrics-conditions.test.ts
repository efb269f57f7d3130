import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import { waitFor } from '../wait/wait-for.ts';
import { scrapeAnnotationProblems, targetUp } from './metrics-conditions.ts';
import { testMetrics as m } from './testing/fake-metrics.ts';

const pod = (annotations: Record<string, string>): V1Pod => ({ metadata: { name: 'httpbin-1', namespace: 't-1', annotations } });

describe('metrics check conditions', () => {
  it('accepts a pod with the mesh\'s scrape annotations', () => {
    assert.deepEqual(scrapeAnnotationProblems(pod(m.podAnnotations), m, undefined), []);
  });

  it('lists the missing annotations, then the mesh\'s explanation and how to enable metrics', () => {
    const problems = scrapeAnnotationProblems(pod({}), m, { metadata: { name: 't-1', annotations: {} } });
    assert.deepEqual(problems, [
      'prometheus.io/scrape: expected "true", missing',
      'prometheus.io/port: expected "9999", missing',
      'metrics are off on namespace t-1; annotate t-1 with example.test/metrics=on',
    ]);
    assert.match(scrapeAnnotationProblems(pod({}), m, { metadata: { name: 't-1', annotations: { 'example.test/metrics': 'on' } } }).at(-1) ?? '',
      /^the injector did not add them when the pod was created; annotate/);
  });

  it('waits for the target to be up, and a timeout names the expectation, the limit and the last value seen', async () => {
    assert.equal(targetUp({ up: true, text: 'up' }).done, true);
    assert.equal(targetUp({ up: false, text: 'down: connection refused' }).done, false);
    const [assessment] = m.assessments({ namespace: 't-1', pod: 'httpbin-1', sent: 12, source: undefined });
    await assert.rejects(waitFor({
      description: `${assessment!.description} (pod t-1/httpbin-1)`, timeoutMs: 50, intervalMs: 10,
      probe: () => assessment!.judge([{ labels: {}, value: 3 }]),
    }), (err: Error) => {
      assert.equal(err.message, 'Timed out after 50ms waiting for requests_total to reach 12 (pod t-1/httpbin-1); last seen: requests_total=3');
      return true;
    });
  });
});
