/**
 * The modelled delays of the simulated nodes, in one place, so that a benchmark can run the cluster with
 * no delays at all and a demo can run it at a realistic pace. Timers in node/ and ingress/ are used only
 * for these delays, never to wait for a condition.
 */
export interface NodeTimings {
  /** Time to pull an image that is not yet present on the node. */
  imagePullMs: number;
  /** Time between "Created" and "Started" of a container. */
  containerStartMs: number;
  /** How long osm-init runs before it exits. */
  initContainerRunMs: number;
  /** How long a failed pull shows ErrImagePull before the kubelet reports ImagePullBackOff. */
  errImagePullMs: number;
  /** First back-off after a failed pull or a crashed container; doubles on every failure. */
  backoffInitialMs: number;
  /** Upper bound of the doubling back-off (the kubelet's is 5 minutes). */
  backoffMaxMs: number;
  /** Time from the envoy sidecar's start until it has its xDS config and reports Ready. */
  sidecarReadyMs: number;
  /** Time osm-controller takes to write an IngressBackend's status once it can be decided. */
  ingressBackendStatusMs: number;
  /** Time the ingress controller takes to publish its address on a new or changed Ingress. */
  ingressAddressMs: number;
  /** Scrape interval of osm-prometheus (OSM ships 10 s, osm.md §6a). */
  prometheusScrapeIntervalMs: number;
  /** Collection interval of the Azure Monitor agent for OSM metrics (telegraf `interval = "1m"`, osm.md §6d). */
  azureMonitorIntervalMs: number;
  /** Delay between collection and a row being queryable in Log Analytics (minutes on Azure). */
  azureMonitorIngestionDelayMs: number;
  /** Scrape interval of Azure Monitor managed Prometheus (the AKS docs' Istio job uses 30 s). */
  managedPrometheusIntervalMs: number;
  /**
   * How long kube-controller-manager's namespace controller waits after each change of a Terminating namespace before
   * it syncs it (namespaceDeletionGracePeriod, 5 s upstream: most of the time an empty namespace takes to go).
   */
  namespaceDeletionDelayMs: number;
  /** How long the namespace controller waits before looking again at a namespace whose content remains (upstream: half its estimate, 7.5 s while finalizers hold content). */
  namespaceRequeueMs: number;
}

/** No modelled delays; back-offs stay non-zero so that failing containers cannot spin the CPU. */
export const zeroTimings: NodeTimings = {
  imagePullMs: 0,
  containerStartMs: 0,
  initContainerRunMs: 0,
  errImagePullMs: 0,
  backoffInitialMs: 200,
  backoffMaxMs: 2_000,
  sidecarReadyMs: 0,
  ingressBackendStatusMs: 0,
  ingressAddressMs: 0,
  prometheusScrapeIntervalMs: 1_000,
  azureMonitorIntervalMs: 1_000,
  azureMonitorIngestionDelayMs: 0,
  managedPrometheusIntervalMs: 1_000,
  namespaceDeletionDelayMs: 0,
  namespaceRequeueMs: 200,
};

/** Fast enough for a conformance run, slow enough that intermediate states are observable. */
export const quickTimings: NodeTimings = {
  imagePullMs: 150,
  containerStartMs: 30,
  initContainerRunMs: 80,
  errImagePullMs: 300,
  backoffInitialMs: 1_000,
  backoffMaxMs: 10_000,
  sidecarReadyMs: 0,
  ingressBackendStatusMs: 0,
  ingressAddressMs: 0,
  prometheusScrapeIntervalMs: 1_000,
  azureMonitorIntervalMs: 2_000,
  azureMonitorIngestionDelayMs: 1_000,
  managedPrometheusIntervalMs: 1_000,
  namespaceDeletionDelayMs: 100,
  namespaceRequeueMs: 500,
};

/** Close to a kind node with a warm-ish image cache: the kubelet's real back-off of 10 s doubling to 5 min. */
export const realisticTimings: NodeTimings = {
  imagePullMs: 2_500,
  containerStartMs: 400,
  initContainerRunMs: 700,
  errImagePullMs: 1_500,
  backoffInitialMs: 10_000,
  backoffMaxMs: 300_000,
  sidecarReadyMs: 1_000,
  ingressBackendStatusMs: 1_000,
  ingressAddressMs: 1_000,
  prometheusScrapeIntervalMs: 10_000,
  azureMonitorIntervalMs: 60_000,
  azureMonitorIngestionDelayMs: 120_000,
  managedPrometheusIntervalMs: 30_000,
  namespaceDeletionDelayMs: 5_000,
  namespaceRequeueMs: 7_500,
};

export const timingPresets = { zero: zeroTimings, quick: quickTimings, realistic: realisticTimings } as const;

export type TimingPresetName = keyof typeof timingPresets;

/** Back-off before the given failure (1-based), doubling from the initial value up to the maximum. */
export function backoffFor(timings: NodeTimings, failures: number): number {
  const doubled = timings.backoffInitialMs * 2 ** Math.max(0, failures - 1);
  return Math.min(timings.backoffMaxMs, doubled);
}
