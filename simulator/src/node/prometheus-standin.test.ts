import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../cluster/types.ts';
import { osmKeepsMetric, renderOsmPrometheusConfig } from './prometheus-config.ts';
import { podTargetGroups } from './prometheus-pod-discovery.ts';
import { parseSelector, sourceLabelsOf } from './prometheus-standin.ts';
import { parsePrometheusText } from './prometheus-text.ts';

const pod: KubeObject = {
  apiVersion: 'v1', kind: 'Pod',
  metadata: {
    name: 'httpbin-7f9c-abcde', namespace: 't-1', uid: 'u1', labels: { app: 'httpbin', 'pod-template-hash': '7f9c' },
    annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '15010' },
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'httpbin-7f9c', uid: 'rs', controller: true }],
  },
  spec: { nodeName: 'n1', containers: [{ name: 'httpbin', ports: [{ containerPort: 14001 }] }, { name: 'envoy', ports: [{ name: 'metrics', containerPort: 15010 }] }] },
  status: { phase: 'Running', podIP: '127.9.0.5', hostIP: '127.9.0.2', conditions: [{ type: 'Ready', status: 'True' }] },
};

describe('osm-prometheus emulation', () => {
  it('keeps exactly OSM\'s metric names', () => {
    for (const kept of ['envoy_server_live', 'envoy_cluster_upstream_rq_xx', 'envoy_cluster_upstream_rq_retry_overflow', 'osm_proxy_connect_count']) assert.ok(osmKeepsMetric(kept), kept);
    for (const dropped of ['envoy_cluster_upstream_rq', 'envoy_cluster_upstream_cx_total', 'envoy_server_uptime', 'up']) assert.ok(!osmKeepsMetric(dropped), dropped);
  });

  it('renders kubernetes SD in-cluster and HTTP SD on the simulated node, with the same relabels', () => {
    const inCluster = renderOsmPrometheusConfig({ scrapeIntervalSeconds: 10 });
    const node = renderOsmPrometheusConfig({ scrapeIntervalSeconds: 1, httpDiscovery: { url: 'http://127.9.0.6:4000/pods', refreshSeconds: 1 } });
    assert.match(inCluster, /kubernetes_sd_configs:\n {6}- role: pod/);
    assert.match(node, /http_sd_configs:\n {6}- url: http:\/\/127\.9\.0\.6:4000\/pods/);
    const relabels = (s: string): string => s.slice(s.indexOf('relabel_configs'));
    assert.equal(relabels(inCluster), relabels(node));
  });

  it('discovers one target per container port with the pod role\'s meta labels', () => {
    const groups = podTargetGroups(pod);
    assert.deepEqual(groups.map((g) => g.targets[0]), ['127.9.0.5:14001', '127.9.0.5:15010']);
    const labels = groups[1]!.labels;
    assert.equal(labels.__meta_kubernetes_pod_annotation_prometheus_io_scrape, 'true');
    assert.equal(labels.__meta_kubernetes_pod_label_pod_template_hash, '7f9c');
    assert.equal(labels.__meta_kubernetes_pod_controller_kind, 'ReplicaSet');
    assert.equal(labels.__meta_kubernetes_pod_container_port_name, 'metrics');
    assert.equal(labels.__meta_kubernetes_pod_ready, 'true');
  });

  it('derives the source_* labels as OSM\'s relabel rules do', () => {
    assert.deepEqual(sourceLabelsOf(pod), { source_namespace: 't-1', source_pod_name: 'httpbin-7f9c-abcde', source_service: 'httpbin', source_workload_kind: 'Deployment', source_workload_name: 'httpbin' });
  });

  it('parses instant selectors only', () => {
    assert.deepEqual(parseSelector('envoy_server_live{source_namespace="t-1", a!="b",c=~"x.*"}'), [
      { name: '__name__', op: '=', value: 'envoy_server_live' }, { name: 'source_namespace', op: '=', value: 't-1' },
      { name: 'a', op: '!=', value: 'b' }, { name: 'c', op: '=~', value: 'x.*' },
    ]);
    assert.equal(parseSelector('sum(up)'), undefined);
    assert.equal(parseSelector('rate(x[5m])'), undefined);
  });

  it('parses the text format Envoy writes', () => {
    assert.deepEqual(parsePrometheusText('# TYPE a counter\na{envoy_cluster_name="t/httpbin|14001|local",x="q\\"t"} 3\nb 1\n'), [
      { name: 'a', labels: { envoy_cluster_name: 't/httpbin|14001|local', x: 'q"t' }, value: 3 },
      { name: 'b', labels: {}, value: 1 },
    ]);
  });
});
