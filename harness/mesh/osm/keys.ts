/** OSM's label and annotation keys (osm `pkg/constants`, osm.md §1–§2), and the values it writes. */
export const osmKeys = {
  monitoredBy: 'openservicemesh.io/monitored-by',
  sidecarInjection: 'openservicemesh.io/sidecar-injection',
  metrics: 'openservicemesh.io/metrics',
  ignore: 'openservicemesh.io/ignore',
  proxyUuid: 'osm-proxy-uuid',
} as const;

/** `enabled`, `yes`, `true` (any case): what OSM's `mustInject` reads as on. */
export const isEnabled = (v: string | undefined): boolean => ['enabled', 'yes', 'true'].includes((v ?? '').toLowerCase());
/** `disabled`, `no`, `false` (any case): what OSM reads as off. */
export const isDisabled = (v: string | undefined): boolean => ['disabled', 'no', 'false'].includes((v ?? '').toLowerCase());

/** IngressBackend `status.currentStatus` values OSM 1.2 writes (empty until an injected backend's Envoy connects). */
export const ingressBackendStatuses = ['committed', 'error'] as const;
export type IngressBackendStatus = (typeof ingressBackendStatuses)[number];

/** The OSM control-plane Deployments that must be Ready in the mesh namespace. */
export const osmDeployments = ['osm-controller', 'osm-injector', 'osm-bootstrap'] as const;
/** The CRDs the suite uses (IngressBackend) or reads (MeshConfig), with the API version of each. */
export const osmCrds = { 'ingressbackends.policy.openservicemesh.io': 'v1alpha1', 'meshconfigs.config.openservicemesh.io': 'v1alpha2' } as const;
/** The MeshConfig OSM reads its settings from. */
export const meshConfigName = 'osm-mesh-config';
