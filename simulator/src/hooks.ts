/**
 * The extension points of the simulated cluster: the values and functions its components consult where a fault
 * (src/faults/) changes what they do. A fault module supplies the few fields it needs (FaultHooks); combineHooks()
 * merges the active faults' contributions into one SimHooks in which every field has a neutral default, so a
 * component reads `hooks.node.sidecarNeverReady` and never asks which fault is on.
 *
 * Adding an extension point: a field in its component's group below (with the component that consults it), its
 * merge rule in combineHooks() (the compiler insists), and the lookup in that component.
 */
import type { IncomingMessage } from 'node:http';
import type { ProxyHandler } from './api/resource-handler.ts';
import type { AccessReviewHook } from './cluster/store.ts';
import type { AdmissionPlugin, ApiError, KubeObject } from './cluster/types.ts';
import type { ImageHandler } from './node/images.ts';

/** Consulted by the API server (api/server.ts, api/resource-handler.ts) and the store's access reviews. */
export interface ApiHooks {
  /** Before a request is routed: an ApiError to answer instead (with its Retry-After), or undefined to carry on. */
  beforeRequest: (req: IncomingMessage) => Promise<ApiError | undefined>;
  /** When a watch stream opens; calling `cut` ends it early. Returns a disposer. */
  onWatchOpened: (cut: () => void) => () => void;
  /** The `services/<name>/proxy` handler, given the built-in one (simulator.ts). */
  serviceProxy: (builtin: ProxyHandler) => ProxyHandler;
  /** The answer to a SelfSubjectAccessReview (cluster/store.ts). */
  accessReview: AccessReviewHook;
  /**
   * How long a resourceVersion stays usable before etcd compaction expires it (the store's history window); undefined:
   * the store's default (5 minutes, kube-apiserver's compaction interval).
   */
  compactionWindowMs: number | undefined;
}

/** Consulted by the flavors' node lists (flavors/) and the endpoints controller (controllers/endpoints-controller.ts). */
export interface ClusterHooks {
  /** The CPU architecture every node reports (`kubernetes.io/arch`). */
  nodeArch: 'amd64' | 'arm64';
  /** Services whose Endpoints stay empty whatever their pods. */
  withholdEndpoints: (service: KubeObject) => boolean;
  /** Admission policies installed in the cluster besides the mesh's (a policy engine's mutate or validate rules). */
  admissionPolicies: readonly AdmissionPlugin[];
  /** AKS: Container insights' data collection rule leaves out the InsightsMetrics stream (the agent scrapes, nothing is stored). */
  insightsMetricsNotCollected: boolean;
}

/**
 * Consulted by the mesh control planes (mesh/osm/, mesh/istio/), the Istio proxies (mesh/istio/proxy/) and the
 * meshes' install manifests (flavors/osm-install.ts, flavors/istio-install.ts).
 */
export interface MeshHooks {
  /** The sidecar injector admits pods unchanged. */
  skipInjection: boolean;
  /** The injector ignores the namespace's metrics annotation (no `prometheus.io/*` annotations on pods). */
  ignoreMetricsAnnotation: boolean;
  /** A denial message for a mesh policy object (an IngressBackend) at admission, or undefined to validate it as usual. */
  policyAdmissionDenial: (object: KubeObject) => string | undefined;
  /** The mesh controller is installed with zero replicas, is not waited for, and writes no policy status. */
  controllerDown: boolean;
  /** Sidecars never admit traffic from the ingress, whatever the policy objects say. */
  rejectIngressTraffic: boolean;
  /**
   * Istio: the revision istiod really serves (its REVISION, ConfigMaps and injector webhook configuration) when it is
   * not the one its Deployment and Service are labelled with (a half-rolled-back upgrade); undefined: the same.
   */
  istiodServedRevision: string | undefined;
  /** Istio: istiod runs with `ENABLE_NATIVE_SIDECARS=false`, so the injector adds classic sidecars. */
  forceClassicSidecars: boolean;
  /** Istio: sidecars ignore DENY policies and ALLOW policies without rules (allow-nothing). */
  authzIgnoresDeny: boolean;
  /** Istio: no ALLOW rule ever matches, so a workload any ALLOW policy selects denies everything. */
  authzIgnoresAllowRules: boolean;
  /** Istio: sidecars match AuthorizationPolicy `paths` only exactly, so a prefix (`/api/*`) or suffix pattern matches no request. */
  authzPathsExact: boolean;
  /** Istio: gateways send plaintext to their backends, as a DestinationRule with `tls.mode: DISABLE` would make them. */
  gatewaySendsPlaintext: boolean;
  /** Istio: istiod's Gateway API controller finds no backend Service (routes get ResolvedRefs=False, BackendNotFound). */
  routeBackendsUnresolved: boolean;
  /** The mesh CA's root is valid for this long from the start (undefined: the mesh's default, 10 years). */
  rootCaValidityMs: number | undefined;
  /** Workload certificates are signed by a CA other than the root the mesh publishes (osm-ca-bundle, istio-ca-root-cert). */
  foreignWorkloadCa: boolean;
  /** OSM: osm-controller never issues the ingress gateway certificate MeshConfig `certificate.ingressGateway` asks for (no Secret is written). */
  ingressGatewayCertNotIssued: boolean;
  /** OSM: sidecars admit an https IngressBackend's `AuthenticatedPrincipal` only under another name than the one the policy gives. */
  ingressPrincipalMismatch: boolean;
  /** The mesh's Grafana is provisioned with a Prometheus data source on Prometheus's default port (9090), not the mesh's. */
  grafanaDatasourceWrongPort: boolean;
  /** Flagger is installed without `-mesh-provider` (Helm's default values), so it runs with its default, istio. */
  flaggerDefaultProvider: boolean;
  /** Flagger is installed with the chart's default metricsServer, http://prometheus:9090. */
  flaggerDefaultMetricsServer: boolean;
  /** Flagger runs but never acts on Canaries (src/flagger/flagger-controller.ts): no phase, no primary, no routing. */
  flaggerIgnoresCanaries: boolean;
  /** Flagger initialises Canaries without writing its mesh router's object (no TrafficSplit), yet reports Initialized. */
  flaggerSkipsRouting: boolean;
  /** Dapr is installed in dapr-system without its placement server's pod (src/dapr/dapr-install.ts). */
  daprPlacementDown: boolean;
  /** Dapr is installed, and OSM's Dapr demo app is applied into the mesh once osm-injector serves (src/dapr/dapr-demo.ts). */
  daprDemoApp: boolean;
  /** Dapr's global Configuration `daprsystem` has `spec.mtls.enabled: true` (Dapr's default; OSM's guide turns it off). */
  daprMtlsEnabled: boolean;
  /**
   * OSM: osm-init leaves out the pod's `outbound-port-exclusion-list` and the sidecar resets what it intercepts for a
   * destination outside the mesh (as with egress off): daprd's connection to dapr-api:80 goes into envoy and fails.
   */
  daprApiIntercepted: boolean;
  /** OSM: sidecars never call the external authorization service, whatever MeshConfig `inboundExternalAuthorization` says. */
  extAuthzBypassed: boolean;
  /** The OPA-Envoy server runs (its pod Ready) without serving its gRPC port: connections to 9191 are refused. */
  extAuthzServerDown: boolean;
  /** OSM issues certificates from a Vault that is sealed (src/certificates/certificate-providers.ts). */
  vaultSealed: boolean;
  /** OSM issues certificates through a cert-manager Issuer that is not Ready (src/certificates/certificate-providers.ts). */
  certManagerIssuerNotReady: boolean;
}

/** Consulted by the kubelet's pod workers and the containers they run (node/). */
export interface NodeHooks {
  /**
   * The image of a container the node knows how to run cannot be pulled (ErrImagePull, then ImagePullBackOff), for a
   * pod in `namespace`.
   */
  imagePullFails: (image: ImageHandler, namespace: string) => boolean;
  /** The mesh's init container (osm-init) exits 1. */
  initContainerFails: boolean;
  /** The sidecar starts but never becomes ready, and opens no listeners but its admin port. */
  sidecarNeverReady: boolean;
  /** The sidecar opens no metrics listener (15010). */
  sidecarServesNoMetrics: boolean;
  /** The sidecar's per-code upstream response counters never move. */
  sidecarStatsFrozen: boolean;
  /** The httpbin app answers 503 to every request. */
  appAlways503: boolean;
  /** The sidecar never counts the ingress traffic (OSM: its local cluster; Istio: requests from a gateway), its other counters still move. */
  sidecarMissesIngressTraffic: boolean;
}

/** Consulted by the ingress controllers' status publisher (ingress/publish-status.ts). */
export interface IngressHooks {
  /** No address is ever published on an Ingress. */
  withholdAddress: boolean;
  /** The load balancer provider (MetalLB on kind, the Azure load balancer on AKS) never assigns an address. */
  withholdLoadBalancerAddress: boolean;
  /** Public DNS has no record for Application Gateway for Containers' frontends: their FQDNs never resolve. */
  agcFrontendUnresolvable: boolean;
}

/** Every extension point of one simulator instance, by the component group that consults it. */
export interface SimHooks {
  api: ApiHooks;
  cluster: ClusterHooks;
  mesh: MeshHooks;
  node: NodeHooks;
  ingress: IngressHooks;
}

/** What one fault supplies: any subset of any group. */
export type FaultHooks = { [G in keyof SimHooks]?: Partial<SimHooks[G]> };

/**
 * Merges the contributions of the active faults. Flags and predicates hold when any contribution says so; the
 * first error, denial or access-review refusal wins; watch cuts and proxy wrappers all apply; the shortest
 * compaction window wins.
 */
export function combineHooks(parts: readonly FaultHooks[]): SimHooks {
  const any = (pick: (h: FaultHooks) => boolean | undefined): boolean => parts.some((h) => pick(h) === true);
  const all = <F>(pick: (h: FaultHooks) => F | undefined): F[] => parts.flatMap((h) => {
    const f = pick(h);
    return f === undefined ? [] : [f];
  });

  const beforeRequest = all((h) => h.api?.beforeRequest);
  const onWatchOpened = all((h) => h.api?.onWatchOpened);
  const serviceProxy = all((h) => h.api?.serviceProxy);
  const accessReview = all((h) => h.api?.accessReview);
  const compactionWindows = all((h) => h.api?.compactionWindowMs);
  const withholdEndpoints = all((h) => h.cluster?.withholdEndpoints);
  const policyAdmissionDenial = all((h) => h.mesh?.policyAdmissionDenial);
  const imagePullFails = all((h) => h.node?.imagePullFails);

  return {
    api: {
      beforeRequest: async (req) => {
        for (const hook of beforeRequest) {
          const error = await hook(req);
          if (error) return error;
        }
        return undefined;
      },
      onWatchOpened: (cut) => {
        const disposers = onWatchOpened.map((hook) => hook(cut));
        return () => disposers.forEach((dispose) => dispose());
      },
      serviceProxy: (builtin) => serviceProxy.reduce((handler, wrap) => wrap(handler), builtin),
      accessReview: (spec) => accessReview.map((review) => review(spec)).find((verdict) => !verdict.allowed) ?? { allowed: true },
      compactionWindowMs: compactionWindows.length > 0 ? Math.min(...compactionWindows) : undefined,
    },
    cluster: {
      nodeArch: all((h) => h.cluster?.nodeArch).find((arch) => arch !== 'amd64') ?? 'amd64',
      withholdEndpoints: (service) => withholdEndpoints.some((hook) => hook(service)),
      admissionPolicies: parts.flatMap((h) => h.cluster?.admissionPolicies ?? []),
      insightsMetricsNotCollected: any((h) => h.cluster?.insightsMetricsNotCollected),
    },
    mesh: {
      skipInjection: any((h) => h.mesh?.skipInjection),
      ignoreMetricsAnnotation: any((h) => h.mesh?.ignoreMetricsAnnotation),
      policyAdmissionDenial: (object) => policyAdmissionDenial.map((hook) => hook(object)).find((denial) => denial !== undefined),
      controllerDown: any((h) => h.mesh?.controllerDown),
      rejectIngressTraffic: any((h) => h.mesh?.rejectIngressTraffic),
      istiodServedRevision: all((h) => h.mesh?.istiodServedRevision)[0],
      forceClassicSidecars: any((h) => h.mesh?.forceClassicSidecars),
      authzIgnoresDeny: any((h) => h.mesh?.authzIgnoresDeny),
      authzIgnoresAllowRules: any((h) => h.mesh?.authzIgnoresAllowRules),
      authzPathsExact: any((h) => h.mesh?.authzPathsExact),
      gatewaySendsPlaintext: any((h) => h.mesh?.gatewaySendsPlaintext),
      routeBackendsUnresolved: any((h) => h.mesh?.routeBackendsUnresolved),
      rootCaValidityMs: all((h) => h.mesh?.rootCaValidityMs).reduce<number | undefined>((a, b) => (a === undefined ? b : Math.min(a, b)), undefined),
      foreignWorkloadCa: any((h) => h.mesh?.foreignWorkloadCa),
      ingressGatewayCertNotIssued: any((h) => h.mesh?.ingressGatewayCertNotIssued),
      ingressPrincipalMismatch: any((h) => h.mesh?.ingressPrincipalMismatch),
      grafanaDatasourceWrongPort: any((h) => h.mesh?.grafanaDatasourceWrongPort),
      flaggerDefaultProvider: any((h) => h.mesh?.flaggerDefaultProvider),
      flaggerDefaultMetricsServer: any((h) => h.mesh?.flaggerDefaultMetricsServer),
      flaggerIgnoresCanaries: any((h) => h.mesh?.flaggerIgnoresCanaries),
      flaggerSkipsRouting: any((h) => h.mesh?.flaggerSkipsRouting),
      daprPlacementDown: any((h) => h.mesh?.daprPlacementDown),
      daprDemoApp: any((h) => h.mesh?.daprDemoApp),
      daprMtlsEnabled: any((h) => h.mesh?.daprMtlsEnabled),
      daprApiIntercepted: any((h) => h.mesh?.daprApiIntercepted),
      extAuthzBypassed: any((h) => h.mesh?.extAuthzBypassed),
      extAuthzServerDown: any((h) => h.mesh?.extAuthzServerDown),
      vaultSealed: any((h) => h.mesh?.vaultSealed),
      certManagerIssuerNotReady: any((h) => h.mesh?.certManagerIssuerNotReady),
    },
    node: {
      imagePullFails: (image, namespace) => imagePullFails.some((hook) => hook(image, namespace)),
      initContainerFails: any((h) => h.node?.initContainerFails),
      sidecarNeverReady: any((h) => h.node?.sidecarNeverReady),
      sidecarServesNoMetrics: any((h) => h.node?.sidecarServesNoMetrics),
      sidecarStatsFrozen: any((h) => h.node?.sidecarStatsFrozen),
      appAlways503: any((h) => h.node?.appAlways503),
      sidecarMissesIngressTraffic: any((h) => h.node?.sidecarMissesIngressTraffic),
    },
    ingress: {
      withholdAddress: any((h) => h.ingress?.withholdAddress),
      withholdLoadBalancerAddress: any((h) => h.ingress?.withholdLoadBalancerAddress),
      agcFrontendUnresolvable: any((h) => h.ingress?.agcFrontendUnresolvable),
    },
  };
}

/** A cluster with no fault: every extension point at its default. */
export const noHooks: SimHooks = combineHooks([]);
