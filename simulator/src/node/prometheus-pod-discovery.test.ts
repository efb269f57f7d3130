import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../cluster/types.ts';
import { podTargetGroups } from './prometheus-pod-discovery.ts';

const pod: KubeObject = {
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name: 'httpbin-1', namespace: 'ns', uid: 'u', annotations: { 'prometheus.io/port': '15020' } },
  spec: { nodeName: 'node-1', containers: [{ name: 'httpbin', ports: [{ containerPort: 8080 }] }], initContainers: [{ name: 'istio-proxy', ports: [{ name: 'http-envoy-prom', containerPort: 15090 }] }] },
  status: { podIP: '10.244.0.6', phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
};

describe('pod discovery for the real Prometheus', () => {
  it('labels a pod as the pod role does, one target per declared port, init containers marked', () => {
    const groups = podTargetGroups(pod);
    assert.deepEqual(groups.map((g) => g.targets[0]), ['10.244.0.6:8080', '10.244.0.6:15090']);
    assert.equal(groups[1]?.labels.__meta_kubernetes_pod_container_init, 'true');
    assert.equal(groups[0]?.labels.__meta_kubernetes_pod_annotation_prometheus_io_port, '15020');
  });

  it('gives addresses this host can dial, in the targets and in __meta_kubernetes_pod_ip (relabel rules rebuild __address__ from it)', () => {
    const dial = (a: string): string => a.replace(/^10\.244\./, '127.89.');
    for (const g of podTargetGroups(pod, dial)) {
      assert.match(g.targets[0] ?? '', /^127\.89\.0\.6:/);
      assert.equal(g.labels.__meta_kubernetes_pod_ip, '127.89.0.6');
    }
  });
});
