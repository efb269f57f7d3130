import type { KubernetesObject, V1Namespace, V1Pod } from '@kubernetes/client-node';
import type { IngressPolicyRequest, MeshProfile, NamespaceMetadata } from './mesh-profile.ts';
import type { Observation } from '../wait/wait-for.ts';
import { osmMetricsExpectations } from './mesh-metrics.ts';

/** OSM's label and annotation keys (osm `pkg/constants`). */
export const osmKeys = {
  monitoredBy: 'openservicemesh.io/monitored-by',
  sidecarInjection: 'openservicemesh.io/sidecar-injection',
  metrics: 'openservicemesh.io/metrics',
  ignore: 'openservicemesh.io/ignore',
  proxyUuid: 'osm-proxy-uuid',
} as const;

/** IngressBackend `status.currentStatus` values OSM 1.2 writes (empty until an injected backend's Envoy connects). */
export const ingressBackendStatuses = ['committed', 'error'] as const;
export type IngressBackendStatus = (typeof ingressBackendStatuses)[number];

interface IngressBackendObject extends KubernetesObject {
  status?: { currentStatus?: string; reason?: string };
}

/** The OSM 1.2 profile (self-installed in `osm-system`, or the AKS add-on in `kube-system`). */
export function osmProfile(opts: { meshName: string; meshNamespace: string }): MeshProfile {
  const { meshName, meshNamespace } = opts;
  const enabled = (v: string | undefined): boolean => ['enabled', 'yes', 'true'].includes((v ?? '').toLowerCase());
  const disabled = (v: string | undefined): boolean => ['disabled', 'no', 'false'].includes((v ?? '').toLowerCase());
  return {
    name: 'osm',
    meshName,
    meshNamespace,
    onboardNamespacePatch: (): NamespaceMetadata => ({
      labels: { [osmKeys.monitoredBy]: meshName },
      annotations: { [osmKeys.sidecarInjection]: 'enabled' },
    }),
    enableMetricsPatch: (): NamespaceMetadata => ({ labels: {}, annotations: { [osmKeys.metrics]: 'enabled' } }),
    expectedNamespaceMetadata: (): NamespaceMetadata => ({
      labels: { [osmKeys.monitoredBy]: meshName },
      annotations: { [osmKeys.sidecarInjection]: 'enabled', [osmKeys.metrics]: 'enabled' },
    }),
    sidecar: { containerName: 'envoy', initContainerName: 'osm-init', injectedLabel: osmKeys.proxyUuid },
    sidecarProblems(pod: V1Pod): string[] {
      const problems: string[] = [];
      const containers = (pod.spec?.containers ?? []).map((c) => c.name);
      const inits = (pod.spec?.initContainers ?? []).map((c) => c.name);
      if (!containers.includes('envoy')) problems.push(`no container "envoy" (containers: [${containers.join(', ')}])`);
      if (!inits.includes('osm-init')) problems.push(`no init container "osm-init" (init containers: [${inits.join(', ')}])`);
      if (!pod.metadata?.labels?.[osmKeys.proxyUuid]) problems.push(`no label "${osmKeys.proxyUuid}"`);
      return problems;
    },
    ingressPolicyType: { apiVersion: 'policy.openservicemesh.io/v1alpha1', kind: 'IngressBackend', plural: 'ingressbackends', namespaced: true },
    ingressPolicy(req: IngressPolicyRequest): KubernetesObject {
      const source = req.source.kind === 'Service'
        ? { kind: 'Service', name: req.source.name, namespace: req.source.namespace }
        : { kind: 'IPRange', name: req.source.cidr };
      return {
        apiVersion: 'policy.openservicemesh.io/v1alpha1',
        kind: 'IngressBackend',
        metadata: { name: req.name, namespace: req.namespace, labels: req.labels },
        spec: {
          backends: [{ name: req.service, port: { number: req.port, protocol: 'http' } }],
          sources: [source],
        },
      } as KubernetesObject;
    },
    ingressPolicyAccepted(obj: KubernetesObject | undefined): Observation<KubernetesObject> {
      if (!obj) return { done: false, observed: 'IngressBackend not found' };
      const status = (obj as IngressBackendObject).status;
      const current = status?.currentStatus ?? '';
      const observed = `currentStatus=${current === '' ? '<empty>' : current}${status?.reason ? `, reason=${status.reason}` : ''}`;
      if (current === 'committed') return { done: true, observed, value: obj };
      if (current === 'error') return { done: false, observed, failure: `IngressBackend status is error: ${status?.reason ?? 'no reason given'}` };
      return { done: false, observed };
    },
    ingressSourceNamespaceProblem(ns: V1Namespace | undefined, name: string): string | undefined {
      const hint = `run: osm namespace add ${name} --mesh-name ${meshName} --disable-sidecar-injection`;
      if (!ns) return `namespace ${name} of the ingress controller does not exist; install the ingress controller first`;
      const mesh = ns.metadata?.labels?.[osmKeys.monitoredBy];
      if (mesh !== meshName) return `namespace ${name} is not monitored by mesh ${meshName} (label ${osmKeys.monitoredBy}=${mesh ?? '<none>'}), so OSM cannot see the ingress controller's endpoints; ${hint}`;
      const injection = ns.metadata?.annotations?.[osmKeys.sidecarInjection];
      if (!disabled(injection)) {
        return `namespace ${name} must have sidecar injection disabled (annotation ${osmKeys.sidecarInjection}=${injection ?? '<none>'}${enabled(injection) ? ', the controller would get a sidecar' : ''}); ${hint}`;
      }
      return undefined;
    },
    metricsPodAnnotations: osmMetricsExpectations(meshNamespace).podAnnotations,
    metricsNamespaceAnnotation: osmKeys.metrics,
    metrics: osmMetricsExpectations(meshNamespace),
  };
}
