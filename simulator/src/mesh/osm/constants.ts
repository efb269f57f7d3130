/**
 * OSM v1.2 names and values the simulated control plane reproduces (osm.md §1, §2, §3, §7;
 * OSM `pkg/constants/constants.go`). Kept in one place so the injector, validator, status controller
 * and flavors agree.
 */

export const monitoredByLabel = 'openservicemesh.io/monitored-by';
export const ignoreLabel = 'openservicemesh.io/ignore';
export const sidecarInjectionAnnotation = 'openservicemesh.io/sidecar-injection';
export const metricsAnnotation = 'openservicemesh.io/metrics';
export const proxyUuidLabel = 'osm-proxy-uuid';

export const envoyContainerName = 'envoy';
export const initContainerName = 'osm-init';
export const bootstrapVolumeName = 'envoy-bootstrap-config-volume';
export const bootstrapSecretPrefix = 'envoy-bootstrap-config-';
export const envoyUid = 1500;

/** Envoy listener ports the injector declares on the sidecar container. */
export const envoyPorts = { admin: 15000, inbound: 15003, metrics: 15010 } as const;

export const prometheusAnnotations = {
  'prometheus.io/scrape': 'true',
  'prometheus.io/port': String(envoyPorts.metrics),
  'prometheus.io/path': '/stats/prometheus',
} as const;

export const defaultImages = {
  envoy: 'envoyproxy/envoy-distroless:v1.22.2',
  init: 'openservicemesh/init:v1.2.4',
  controller: 'openservicemesh/osm-controller:v1.2.4',
  injector: 'openservicemesh/osm-injector:v1.2.4',
  bootstrap: 'openservicemesh/osm-bootstrap:v1.2.4',
} as const;

/** Webhook entry names (what kube-apiserver puts in `admission webhook "<name>" denied the request`). */
export const injectorWebhookName = 'osm-inject.k8s.io';
export const validatorWebhookName = 'osm-validator.k8s.io';

/** Control-plane Services and ports (osm.md §7). */
export const controlPlanePorts = {
  controllerAds: 15128,
  controllerDebug: 9092,
  controllerHealth: 9091,
  validator: 9093,
  injector: 9090,
} as const;

/** IngressBackend status values OSM v1.2 writes (`pkg/catalog/ingress.go`); there is no `rejected`. */
export const ingressBackendStatuses = ['committed', 'error'] as const;
export type IngressBackendStatus = (typeof ingressBackendStatuses)[number];
export const committedReason = 'successfully committed by the system';

/** Where one OSM install lives and how its webhook configurations are named (self-install vs AKS add-on). */
export interface OsmLayout {
  meshName: string;
  osmNamespace: string;
  /** `osm-webhook-osm` on a self-install, `aks-osm-webhook-osm` on AKS. */
  injectorWebhookConfigName: string;
  /** `osm-validator-mesh-osm` on a self-install, `aks-osm-validator-mesh-osm` on AKS. */
  validatorWebhookConfigName: string;
  images: { envoy: string; init: string; controller: string; injector: string; bootstrap: string };
  osmVersion: string;
}

/** The layout of `osm install` with Helm defaults (kind flavor). */
export function selfInstallLayout(): OsmLayout {
  return {
    meshName: 'osm',
    osmNamespace: 'osm-system',
    injectorWebhookConfigName: 'osm-webhook-osm',
    validatorWebhookConfigName: 'osm-validator-mesh-osm',
    images: { ...defaultImages },
    osmVersion: 'v1.2.4',
  };
}

/** The layout of the AKS OSM add-on (osm.md §7 "AKS add-on"). Image registry per "AKS substitutes mcr images". */
export function aksAddonLayout(): OsmLayout {
  return {
    meshName: 'osm',
    osmNamespace: 'kube-system',
    injectorWebhookConfigName: 'aks-osm-webhook-osm',
    validatorWebhookConfigName: 'aks-osm-validator-mesh-osm',
    images: {
      envoy: 'mcr.microsoft.com/oss/envoyproxy/envoy-distroless:v1.22.2',
      init: 'mcr.microsoft.com/oss/openservicemesh/init:v1.2.5',
      controller: 'mcr.microsoft.com/oss/openservicemesh/osm-controller:v1.2.5',
      injector: 'mcr.microsoft.com/oss/openservicemesh/osm-injector:v1.2.5',
      bootstrap: 'mcr.microsoft.com/oss/openservicemesh/osm-bootstrap:v1.2.5',
    },
    osmVersion: 'v1.2.5',
  };
}
