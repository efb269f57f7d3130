/**
 * Node objects as kind and AKS register them. The kubelet (simulator/src/node) takes over their status
 * (address, Ready heartbeat); what is set here is what a freshly joined node reports.
 */
import type { KubeObject } from '../cluster/types.ts';

/** The Kubernetes version a flavor reports unless it names its own (Flavor.kubernetesVersion). */
export const defaultKubernetesVersion = 'v1.29.2';

export interface NodeParams {
  name: string;
  arch: 'amd64' | 'arm64';
  labels: Record<string, string>;
  providerID: string;
  taints?: { key: string; effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute'; value?: string }[];
  osImage: string;
  containerRuntimeVersion: string;
  kernelVersion: string;
  capacity: { cpu: string; memory: string; pods: string; 'ephemeral-storage': string };
  /** The node's kubelet and kube-proxy version: its flavor's Kubernetes version (default defaultKubernetesVersion). */
  kubeletVersion?: string;
}

/** A Ready Node with the well-known labels every kubelet sets. */
export function node(p: NodeParams): KubeObject {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const condition = (type: string, status: string, reason: string, message: string) => ({ type, status, reason, message, lastHeartbeatTime: now, lastTransitionTime: now });
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: p.name,
      labels: {
        'beta.kubernetes.io/arch': p.arch,
        'beta.kubernetes.io/os': 'linux',
        'kubernetes.io/arch': p.arch,
        'kubernetes.io/hostname': p.name,
        'kubernetes.io/os': 'linux',
        ...p.labels,
      },
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
    },
    spec: { providerID: p.providerID, ...(p.taints?.length ? { taints: p.taints } : {}) },
    status: {
      capacity: p.capacity,
      allocatable: p.capacity,
      conditions: [
        condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        condition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
      ],
      addresses: [{ type: 'Hostname', address: p.name }],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        architecture: p.arch,
        bootID: crypto.randomUUID(),
        containerRuntimeVersion: p.containerRuntimeVersion,
        kernelVersion: p.kernelVersion,
        kubeProxyVersion: p.kubeletVersion ?? defaultKubernetesVersion,
        kubeletVersion: p.kubeletVersion ?? defaultKubernetesVersion,
        machineID: crypto.randomUUID().replaceAll('-', ''),
        operatingSystem: 'linux',
        osImage: p.osImage,
        systemUUID: crypto.randomUUID(),
      },
    },
  };
}
