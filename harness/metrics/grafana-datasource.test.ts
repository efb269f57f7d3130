import assert from 'node:assert/strict';
import { test } from 'node:test';
import { provisionedDatasources } from './grafana-datasource.ts';

test('provisionedDatasources reads the data sources of a Grafana provisioning file', () => {
  const text = 'apiVersion: 1\ndeleteDatasources:\n  - name: Prometheus\n    orgId: 1\ndatasources:\n  - name: Prometheus\n    type: prometheus\n    url: http://prometheus.monitoring.svc:9090\n  - name: Loki\n    type: loki\n    url: http://loki:3100\n';
  assert.deepEqual(provisionedDatasources(text), [
    { name: 'Prometheus', type: 'prometheus', url: 'http://prometheus.monitoring.svc:9090' },
    { name: 'Loki', type: 'loki', url: 'http://loki:3100' },
  ]);
});

test('provisionedDatasources says why a file cannot be read', () => {
  assert.deepEqual(provisionedDatasources('apiVersion: 1\n'), { error: 'it has no `datasources` list' });
  const bad = provisionedDatasources('datasources: [\n');
  assert.ok('error' in bad && bad.error.startsWith('not YAML: '));
});
