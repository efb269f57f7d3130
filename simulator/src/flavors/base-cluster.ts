/** Objects every Kubernetes cluster starts with, whatever the flavor. */
import type { KubeObject } from '../cluster/types.ts';
import { namespace } from './workloads.ts';

/** default, kube-system, kube-public and kube-node-lease, as kube-apiserver creates them. */
export function systemNamespaces(): KubeObject[] {
  return [namespace('default'), namespace('kube-system'), namespace('kube-public'), namespace('kube-node-lease')];
}

/** The `kubernetes` Service in default, which every client-go in-cluster config points at. */
export function kubernetesService(): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: { type: 'ClusterIP', ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }] },
  };
}
