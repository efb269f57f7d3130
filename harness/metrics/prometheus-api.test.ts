import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PrometheusResponseError, describeBuild, parseBuildInfo, parseTargetsResponse, parseVectorResponse, selector } from './prometheus-api.ts';

describe('Prometheus API responses', () => {
  it('parses an instant vector', () => {
    const body = JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [
      { metric: { __name__: 'envoy_server_live', source_namespace: 'ns', source_pod_name: 'p' }, value: [1700000000.5, '1'] },
    ] } });
    assert.deepEqual(parseVectorResponse(body, 'q'), [{ labels: { __name__: 'envoy_server_live', source_namespace: 'ns', source_pod_name: 'p' }, value: 1, timestamp: 1700000000.5 }]);
  });

  it('reports Prometheus errors and malformed answers with the query', () => {
    assert.throws(() => parseVectorResponse(JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'parse error' }), 'up{'),
      (e: Error) => e instanceof PrometheusResponseError && e.message === 'query up{: Prometheus answered bad_data: parse error');
    assert.throws(() => parseVectorResponse('<html>', 'up'), /query up: the answer is not JSON/);
    assert.throws(() => parseVectorResponse(JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [] } }), 'up[5m]'), /expected resultType vector, got matrix/);
    assert.throws(() => parseVectorResponse(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [1, 2] }] } }), 'up'), /sample value is not a number/);
  });

  it('parses targets and build info, and names the stand-in', () => {
    const targets = parseTargetsResponse(JSON.stringify({ status: 'success', data: { activeTargets: [
      { labels: { source_pod_name: 'p' }, health: 'down', lastError: 'connection refused', scrapeUrl: 'http://1.2.3.4:15010/stats/prometheus' },
      { labels: { source_pod_name: 'q' }, health: 'up', lastError: '', scrapeUrl: 'u', lastScrape: '2026-11-28T10:00:00.5Z', scrapeInterval: '1m30s', lastScrapeDuration: 0.0125 },
    ] } }));
    assert.deepEqual(targets[0], { labels: { source_pod_name: 'p' }, health: 'down', lastError: 'connection refused', scrapeUrl: 'http://1.2.3.4:15010/stats/prometheus', lastScrapeMs: Number.NaN, intervalMs: Number.NaN, lastScrapeDurationMs: Number.NaN });
    assert.deepEqual(targets[1], { labels: { source_pod_name: 'q' }, health: 'up', lastError: '', scrapeUrl: 'u', lastScrapeMs: Date.parse('2026-11-28T10:00:00.500Z'), intervalMs: 90_000, lastScrapeDurationMs: 12.5 });
    const info = parseBuildInfo(JSON.stringify({ status: 'success', data: { version: '2.42.0+ds', revision: 'x' } }));
    assert.equal(describeBuild(info), 'Prometheus 2.42.0+ds');
    assert.match(describeBuild({ version: '2.42.0-mesh-conformance-standin', revision: '' }), /built-in Prometheus stand-in/);
  });

  it('builds selectors with escaped values', () => {
    assert.equal(selector('m', { a: 'x', b: 'say "hi"' }), 'm{a="x",b="say \\"hi\\""}');
  });
});
