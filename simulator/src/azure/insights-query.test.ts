import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseInsightsQuery, parseTimespan } from './insights-query.ts';
import { monitoredNamespacesOf, parseMonitorNamespaces } from './osm-metrics-config.ts';

describe('Log Analytics query shape', () => {
  it('accepts the documented query', () => {
    assert.deepEqual(parseInsightsQuery('InsightsMetrics | where Name contains "envoy" | extend t=parse_json(Tags) | where t.namespace == "httpbin"'),
      { nameContains: 'envoy', tagEquals: [{ key: 'namespace', value: 'httpbin' }] });
    assert.deepEqual(parseInsightsQuery("InsightsMetrics\n| where Name contains 'envoy'\n| extend t = parse_json( Tags )\n| where t.app == 'bookbuyer' | where t.namespace == \"b\""),
      { nameContains: 'envoy', tagEquals: [{ key: 'app', value: 'bookbuyer' }, { key: 'namespace', value: 'b' }] });
  });

  it('refuses anything else with the accepted shape in the message', () => {
    for (const q of ['InsightsMetrics | take 5', 'Perf | where x == 1', 'InsightsMetrics | where Name contains "envoy" | extend t=parse_json(Tags)',
      'InsightsMetrics | where Name contains "envoy" | extend t=parse_json(Tags) | where t.namespace == "x" | summarize count()']) {
      const r = parseInsightsQuery(q);
      assert.ok('error' in r, q);
      assert.match(r.error, /answers only queries of the form: InsightsMetrics \| where Name contains "envoy"/);
    }
  });

  it('reads ISO 8601 timespans', () => {
    const now = Date.parse('2026-01-01T01:00:00Z');
    assert.deepEqual(parseTimespan('PT30M', now), { from: now - 30 * 60_000, to: now });
    assert.deepEqual(parseTimespan('P1D', now), { from: now - 86_400_000, to: now });
    assert.deepEqual(parseTimespan('2026-01-01T00:00:00Z/2026-01-01T00:10:00Z', now), { from: now - 3_600_000, to: now - 3_000_000 });
    assert.deepEqual(parseTimespan('2026-01-01T00:00:00Z/PT1H', now), { from: now - 3_600_000, to: now });
    assert.equal(parseTimespan('nonsense', now), undefined);
    assert.equal(parseTimespan(undefined, now), undefined);
  });
});

describe('container-azm-ms-osmconfig as the agent reads it', () => {
  const toml = '[osm_metric_collection_configuration]\n  [osm_metric_collection_configuration.settings]\n    monitor_namespaces = ["a", \'b\']\n';
  it('lists monitor_namespaces of a schema v1 ConfigMap', () => {
    assert.deepEqual(parseMonitorNamespaces(toml), { namespaces: ['a', 'b'] });
    assert.deepEqual(monitoredNamespacesOf({ apiVersion: 'v1', kind: 'ConfigMap', metadata: {}, data: { 'schema-version': 'v1', 'osm-metric-collection-configuration': toml } }), ['a', 'b']);
    assert.deepEqual(monitoredNamespacesOf({ apiVersion: 'v1', kind: 'ConfigMap', metadata: {}, data: { 'schema-version': 'v2', 'osm-metric-collection-configuration': toml } }), []);
    assert.deepEqual(monitoredNamespacesOf(undefined), []);
    assert.match(parseMonitorNamespaces('[osm_metric_collection_configuration.settings]\nmonitor_namespaces = "a"').error ?? '', /not an array/);
  });
});
