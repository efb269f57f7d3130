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
  /** How long daprd retries Dapr's operator (dapr-api) before it exits 1 (our choice; upstream UNCONFIRMED, docs/dapr.md). */
  daprdOperatorDeadlineMs: number;
  /** Time osm-controller takes to write an IngressBackend's status once it can be decided. */
  ingressBackendStatusMs: number;
  /** Time the ingress controller takes to publish its address on a new or changed Ingress. */
  ingressAddressMs: number;
  /**
   * ingress-nginx's status sync period (`--status-update-interval`, 60 s upstream; `kind-up` sets 5 s): the address is
   * written at leader start and then on every tick, so a new Ingress waits for the next tick (0 to the period).
   * 0: on every change (after `ingressAddressMs`).
   */
  nginxStatusIntervalMs: number;
  /**
   * Time an Application Gateway update takes after AGIC has written the Ingress's address (an ARM PUT: minutes, AGIC
   * issues #725, #1425, #1124). Until then the gateway answers for the new host from its default listener (502).
   */
  appGatewayProgramMs: number;
  /**
   * Application Gateway's health-probe interval (AGIC's default probe: 30 s, unhealthy threshold 3). A backend
   * newly programmed is used from the next probe on (an assumption: see simulator/README.md). 0: at once.
   */
  appGatewayProbeIntervalMs: number;
  /** Scrape interval of osm-prometheus (OSM ships 10 s, osm.md §6a). */
  prometheusScrapeIntervalMs: number;
  /** Collection interval of the Azure Monitor agent for OSM metrics (telegraf `interval = "1m"`, osm.md §6d). */
  azureMonitorIntervalMs: number;
  /** Delay between collection and a row being queryable in Log Analytics (minutes on Azure). */
  azureMonitorIngestionDelayMs: number;
  /**
   * Time from an edit of `container-azm-ms-osmconfig` until the agent runs with it: the agent reads the file at start
   * only; the kubelet updates the mounted file, the agent's inotify watch makes its liveness probe fail and the
   * container restarts (about 60 s, Docker-Provider). Every edit starts this again. 0: read live on every collection.
   */
  azureMonitorConfigReloadMs: number;
  /** Period of the agent's pod discovery in the monitored namespaces (60 s); a new pod is scraped from then on. 0: live. */
  azureMonitorDiscoveryMs: number;
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
  daprdOperatorDeadlineMs: 3_000,
  ingressBackendStatusMs: 0,
  ingressAddressMs: 0,
  nginxStatusIntervalMs: 0,
  appGatewayProgramMs: 0,
  appGatewayProbeIntervalMs: 0,
  prometheusScrapeIntervalMs: 1_000,
  azureMonitorIntervalMs: 1_000,
  azureMonitorIngestionDelayMs: 0,
  azureMonitorConfigReloadMs: 0,
  azureMonitorDiscoveryMs: 0,
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
  daprdOperatorDeadlineMs: 5_000,
  ingressBackendStatusMs: 0,
  ingressAddressMs: 0,
  nginxStatusIntervalMs: 0,
  appGatewayProgramMs: 0,
  appGatewayProbeIntervalMs: 0,
  prometheusScrapeIntervalMs: 1_000,
  azureMonitorIntervalMs: 2_000,
  azureMonitorIngestionDelayMs: 1_000,
  azureMonitorConfigReloadMs: 0,
  azureMonitorDiscoveryMs: 0,
  managedPrometheusIntervalMs: 1_000,
  namespaceDeletionDelayMs: 100,
  namespaceRequeueMs: 500,
};

/**
 * Close to a real cluster with a warm-ish image cache: the kubelet's real back-off of 10 s doubling to 5 min,
 * ingress-nginx's upstream 60 s status period, an Application Gateway update of 90 s and its 30 s probe, and the
 * Azure Monitor agent's restart on a config edit (60 s), pod discovery (60 s), 1 m collection and 2 min ingestion.
 */
export const realisticTimings: NodeTimings = {
  imagePullMs: 2_500,
  containerStartMs: 400,
  initContainerRunMs: 700,
  errImagePullMs: 1_500,
  backoffInitialMs: 10_000,
  backoffMaxMs: 300_000,
  sidecarReadyMs: 1_000,
  daprdOperatorDeadlineMs: 30_000,
  ingressBackendStatusMs: 1_000,
  ingressAddressMs: 1_000,
  nginxStatusIntervalMs: 60_000,
  appGatewayProgramMs: 90_000,
  appGatewayProbeIntervalMs: 30_000,
  prometheusScrapeIntervalMs: 10_000,
  azureMonitorIntervalMs: 60_000,
  azureMonitorIngestionDelayMs: 120_000,
  azureMonitorConfigReloadMs: 60_000,
  azureMonitorDiscoveryMs: 60_000,
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
