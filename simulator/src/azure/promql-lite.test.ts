// The PromQL managed Prometheus' emulation answers, and the metric-name rule.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluate, parseQuery, QueryError } from './promql-lite.ts';
import type { StoredSeries } from './promql-lite.ts';

const now = 1_000_000;
const series: StoredSeries[] = [
  { labels: { __name__: 'istio_requests_total', reporter: 'destination', response_code: '200', pod: 'a', cluster: 'c' }, samples: [{ t: now - 60_000, v: 1 }, { t: now - 1_000, v: 7 }] },
  { labels: { __name__: 'istio_requests_total', reporter: 'destination', response_code: '403', pod: 'a', cluster: 'c' }, samples: [{ t: now - 1_000, v: 2 }] },
  { labels: { __name__: 'istio_requests_total', reporter: 'source', response_code: '200', pod: 'gw', cluster: 'c' }, samples: [{ t: now - 1_000, v: 9 }] },
];

void describe('promql-lite', () => {
  void it('evaluates selectors, aggregations and rate/increase', () => {
    assert.deepEqual(evaluate(parseQuery('istio_requests_total{reporter="destination",response_code=~"2.."}'), series, now).map((e) => e.value), [7]);
    assert.deepEqual(evaluate(parseQuery('sum by (pod) (istio_requests_total{reporter="destination"})'), series, now), [{ metric: { pod: 'a' }, value: 9 }]);
    assert.deepEqual(evaluate(parseQuery('sum(istio_requests_total) without (response_code, reporter, pod)'), series, now), [{ metric: { cluster: 'c' }, value: 18 }]);
    assert.deepEqual(evaluate(parseQuery('count(istio_requests_total)'), series, now), [{ metric: {}, value: 3 }]);
    assert.deepEqual(evaluate(parseQuery('increase(istio_requests_total{response_code="200",reporter="destination"}[5m])'), series, now).map((e) => e.value), [6]);
    assert.equal(evaluate(parseQuery('rate(istio_requests_total{response_code="200",reporter="destination"}[5m])'), series, now)[0]?.value, 6 / 300);
  });

  void it('refuses queries without a metric name and what it does not understand', () => {
    assert.throws(() => parseQuery('{reporter="destination"}'), (e: unknown) => e instanceof QueryError && /must contain a metric name/.test(e.message));
    assert.throws(() => parseQuery('histogram_quantile(0.9, x)'), QueryError);
    assert.throws(() => evaluate(parseQuery('istio_requests_total[5m]'), series, now), QueryError);
  });
});
