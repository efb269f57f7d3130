/**
 * Pod discovery for the real Prometheus on a simulated node. Debian's Prometheus has no Kubernetes service
 * discovery compiled in, so the node serves what `kubernetes_sd_configs: [{role: pod}]` would produce as an HTTP SD
 * endpoint (a JSON list of target groups): one target per declared container port (`<podIP>:<port>`), or one per
 * container without ports (`<podIP>`), labelled with the same `__meta_kubernetes_*` names and values as Prometheus's
 * pod role (discovery/kubernetes/pod.go), so OSM's relabel rules apply unchanged. Addresses (the targets and
 * `__meta_kubernetes_pod_ip`) are the ones this host can dial: a pod's loopback address where its cluster address differs.
 */
import http from 'node:http';
import type { KubeObject, ObjectStore, SimNetwork } from '../cluster/types.ts';
import { field, nodeKinds } from './kinds.ts';
import { listenOn } from './network.ts';

export interface TargetGroup {
  targets: string[];
  labels: Record<string, string>;
}

/** Prometheus's label-name sanitising (strutil.SanitizeLabelName). */
function sanitize(name: string): string {
  return name.replace(/[^a-zA-Z0-9_]/g, '_');
}

type Container = { name: string; ports?: { name?: string; containerPort: number; protocol?: string }[] };

/** The target groups the pod role yields for one pod (none until it has an IP, as in Prometheus). */
export function podTargetGroups(pod: KubeObject, dialAddressOf: (address: string) => string = (a) => a): TargetGroup[] {
  const status = field<Record<string, unknown>>(pod, 'status') ?? {};
  const spec = field<Record<string, unknown>>(pod, 'spec') ?? {};
  const podIP = status.podIP as string | undefined;
  if (!podIP) return [];
  const conditions = (status.conditions as { type: string; status: string }[] | undefined) ?? [];
  const podLabels: Record<string, string> = {
    __meta_kubernetes_namespace: pod.metadata.namespace ?? '',
    __meta_kubernetes_pod_name: pod.metadata.name ?? '',
    // The address Prometheus dials: relabel rules that rebuild __address__ from it (Istio's addon) must reach the pod
    // from this host, where a pod's cluster address (upstream mode: the node's podCIDR) is its loopback address.
    __meta_kubernetes_pod_ip: dialAddressOf(podIP),
    __meta_kubernetes_pod_ready: String(conditions.find((c) => c.type === 'Ready')?.status === 'True'),
    __meta_kubernetes_pod_phase: (status.phase as string | undefined) ?? '',
    __meta_kubernetes_pod_node_name: (spec.nodeName as string | undefined) ?? '',
    __meta_kubernetes_pod_host_ip: (status.hostIP as string | undefined) ?? '',
    __meta_kubernetes_pod_uid: pod.metadata.uid ?? '',
  };
  for (const [k, v] of Object.entries(pod.metadata.labels ?? {})) {
    podLabels[`__meta_kubernetes_pod_label_${sanitize(k)}`] = v;
    podLabels[`__meta_kubernetes_pod_labelpresent_${sanitize(k)}`] = 'true';
  }
  for (const [k, v] of Object.entries(pod.metadata.annotations ?? {})) {
    podLabels[`__meta_kubernetes_pod_annotation_${sanitize(k)}`] = v;
    podLabels[`__meta_kubernetes_pod_annotationpresent_${sanitize(k)}`] = 'true';
  }
  const owner = pod.metadata.ownerReferences?.find((o) => o.controller);
  if (owner) {
    podLabels.__meta_kubernetes_pod_controller_kind = owner.kind;
    podLabels.__meta_kubernetes_pod_controller_name = owner.name;
  }
  const groups: TargetGroup[] = [];
  const add = (containers: Container[], init: boolean): void => {
    for (const c of containers) {
      const base = { ...podLabels, __meta_kubernetes_pod_container_name: c.name, __meta_kubernetes_pod_container_init: String(init) };
      if (!c.ports?.length) {
        groups.push({ targets: [dialAddressOf(podIP)], labels: base });
        continue;
      }
      for (const p of c.ports) {
        groups.push({
          targets: [`${dialAddressOf(podIP)}:${p.containerPort}`],
          labels: { ...base, __meta_kubernetes_pod_container_port_name: p.name ?? '', __meta_kubernetes_pod_container_port_number: String(p.containerPort), __meta_kubernetes_pod_container_port_protocol: p.protocol ?? 'TCP' },
        });
      }
    }
  };
  add((spec.containers as Container[] | undefined) ?? [], false);
  add((spec.initContainers as Container[] | undefined) ?? [], true);
  return groups;
}

/** Serves `GET /pods` (HTTP SD) on host:0 from the store; resolves with its URL and a close function. */
export async function startPodDiscoveryEndpoint(store: ObjectStore, host: string, network?: Pick<SimNetwork, 'dialAddressOf'>): Promise<{ url: string; close(): Promise<void> }> {
  const kinds = nodeKinds(store);
  const server = http.createServer((req, res) => {
    const groups = store.list(kinds.pod).items.filter((p) => !p.metadata.deletionTimestamp).flatMap((p) => podTargetGroups(p, network ? (a) => network.dialAddressOf(a) : undefined));
    const body = JSON.stringify(groups);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  await listenOn(server, host, 0);
  const address = server.address();
  const port = address && typeof address !== 'string' ? address.port : 0;
  return {
    url: `http://${host}:${port}/pods`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
