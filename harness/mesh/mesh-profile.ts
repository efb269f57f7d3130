import type { KubernetesObject, V1Namespace, V1Pod } from '@kubernetes/client-node';
import type { ResourceType } from '../k8s/resources.ts';
import type { Observation } from '../wait/wait-for.ts';
import type { MeshMetricsExpectations } from './mesh-metrics.ts';

/** The mesh implementations the harness knows; Istio is the next one. */
export const meshNames = ['osm'] as const;
export type MeshName = (typeof meshNames)[number];

/** Who may send ingress traffic to a backend: the ingress controller's Service, or an address range (AGIC). */
export type IngressSource =
  | { kind: 'Service'; name: string; namespace: string }
  | { kind: 'IPRange'; cidr: string };

/** Labels and annotations a namespace carries once onboarded (and with metrics enabled). */
export interface NamespaceMetadata {
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** What an injected pod looks like in this mesh. */
export interface SidecarExpectations {
  containerName: string;
  initContainerName: string;
  /** A label the injector stamps on every injected pod. */
  injectedLabel: string;
}

/** What the ingress policy object needs to admit traffic from the ingress to one backend Service port. */
export interface IngressPolicyRequest {
  namespace: string;
  name: string;
  service: string;
  port: number;
  source: IngressSource;
  labels: Record<string, string>;
}

/**
 * Everything mesh-specific the suites rely on: onboarding, sidecar markers, the ingress policy object and
 * its acceptance condition, metrics. Suites use only this interface, so adding Istio means adding a profile.
 */
export interface MeshProfile {
  readonly name: MeshName;
  readonly meshName: string;
  /** Namespace of the control plane (`osm-system` self-installed, `kube-system` as the AKS add-on). */
  readonly meshNamespace: string;
  /** A patch (strategic merge) onboarding a namespace, as `osm namespace add` sends. */
  onboardNamespacePatch(): NamespaceMetadata;
  /** A patch enabling metrics scraping for a namespace, as `osm metrics enable` sends. */
  enableMetricsPatch(): NamespaceMetadata;
  /** What an onboarded namespace with metrics enabled must read back. */
  expectedNamespaceMetadata(): NamespaceMetadata;
  readonly sidecar: SidecarExpectations;
  /** Every way the pod falls short of being injected (empty when `sidecarInjected`). */
  sidecarProblems(pod: V1Pod): string[];
  /** The ingress policy resource type (OSM: IngressBackend). */
  readonly ingressPolicyType: ResourceType;
  /** Builds the ingress policy object. */
  ingressPolicy(req: IngressPolicyRequest): KubernetesObject;
  /** The policy was accepted by the control plane; fails fast when it reports an error. */
  ingressPolicyAccepted(obj: KubernetesObject | undefined): Observation<KubernetesObject>;
  /** Why the ingress controller's namespace is not set up for the mesh (undefined when it is), with a hint. */
  ingressSourceNamespaceProblem(ns: V1Namespace | undefined, name: string): string | undefined;
  /** Pod annotations that make the sidecar's metrics scrapeable. */
  readonly metricsPodAnnotations: Record<string, string>;
  /** The namespace annotation that enables metrics (read back to explain missing scrape annotations). */
  readonly metricsNamespaceAnnotation: string;
  /** Metric names, labels and where the mesh's Prometheus runs (metrics check). */
  readonly metrics: MeshMetricsExpectations;
}
