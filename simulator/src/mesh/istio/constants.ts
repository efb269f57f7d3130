/**
 * Istio 1.30 names and values the simulated control plane and data plane reproduce (../shared/reference/istio.md,
 * § numbers below), kept in one place so the install, istiod's controllers and the proxies agree. An IstioLayout is
 * one install: upstream Helm on kind (istio-system) or the AKS add-on (aks-istio-system).
 */

export const istioVersion = '1.30.3';
export const trustDomain = 'cluster.local';
/** `global.multiCluster.clusterName` default (§5.1 `source_cluster`). */
export const clusterId = 'Kubernetes';

/** Labels and annotations of injection and workloads (§1, §2.4). */
export const revLabel = 'istio.io/rev';
export const injectionLabel = 'istio-injection';
export const injectLabel = 'sidecar.istio.io/inject';
export const statusAnnotation = 'sidecar.istio.io/status';
export const tlsModeLabel = 'security.istio.io/tlsMode';
export const canonicalNameLabel = 'service.istio.io/canonical-name';
export const canonicalRevisionLabel = 'service.istio.io/canonical-revision';
export const nativeSidecarAnnotation = 'sidecar.istio.io/nativeSidecar';

/** Namespaces the injector never injects (`IgnoredNamespaces`, §1.2). */
export const ignoredNamespaces = ['kube-system', 'kube-public', 'kube-node-lease', 'local-path-storage'] as const;
/** Namespaces without the `istio-ca-root-cert` ConfigMap (§6). */
export const rootCertSkippedNamespaces = ['kube-public', 'kube-node-lease', 'local-path-storage'] as const;
export const rootCertConfigMap = 'istio-ca-root-cert';

/** The proxy's ports (§2.1). */
export const proxyPorts = { admin: 15000, outbound: 15001, inbound: 15006, status: 15020, health: 15021, envoyPrometheus: 15090 } as const;
/** istiod's Service ports (§1.3). */
export const istiodPorts = { grpcXds: 15010, httpsDns: 15012, webhook: 443, webhookTarget: 15017, monitoring: 15014, readiness: 8080 } as const;

/** Gateway API controller names (§3a). */
export const gatewayControllerName = 'istio.io/gateway-controller';
export const remoteGatewayControllerName = 'istio.io/unmanaged-gateway';
export const gatewayManagedLabel = 'gateway.istio.io/managed';
export const gatewayNameLabel = 'gateway.networking.k8s.io/gateway-name';
export const gatewayClassNameLabel = 'gateway.networking.k8s.io/gateway-class-name';
export const serviceTypeAnnotation = 'networking.istio.io/service-type';

/** The injector webhook entries of a revisioned install (§1.1: no `namespace.`/`object.` entries without a default revision or tag). */
export const revNamespaceWebhook = 'rev.namespace.sidecar-injector.istio.io';
export const revObjectWebhook = 'rev.object.sidecar-injector.istio.io';

/** One Istio install. */
export interface IstioLayout {
  /** The istiod namespace (also meshConfig.rootNamespace). */
  namespace: string;
  revision: string;
  version: string;
  /** Image hub: `<hub>/proxyv2:<tag>`, `<hub>/pilot:<tag>`. */
  hub: string;
  /** `1.30.3` upstream, `1.30.3-distroless` on AKS (UNCONFIRMED, README). */
  tag: string;
  /** The CNI node agent replaces istio-init with istio-validation (§2.2). */
  cni: boolean;
  /** istiod's ENABLE_NATIVE_SIDECARS env, when the install sets it (AKS: `true`); unset means the code default `auto` (§2.3). */
  nativeSidecarsEnv?: 'true' | 'false';
  istiodReplicas: number;
}

/** `istiod-<rev>`: the Deployment, Service and ServiceAccount of a revisioned istiod (§1.3). */
export function istiodName(layout: Pick<IstioLayout, 'revision'>): string {
  return `istiod-${layout.revision}`;
}

/** `istio-sidecar-injector-<rev>[-<ns>]` (§1.1: the namespace suffix outside istio-system). */
export function injectorWebhookConfigName(layout: Pick<IstioLayout, 'namespace'>, revision: string): string {
  return `istio-sidecar-injector-${revision}${layout.namespace === 'istio-system' ? '' : `-${layout.namespace}`}`;
}

export function proxyImage(layout: IstioLayout): string {
  return `${layout.hub}/proxyv2:${layout.tag}`;
}

export function pilotImage(layout: IstioLayout): string {
  return `${layout.hub}/pilot:${layout.tag}`;
}

/** Upstream Istio installed with Helm on kind (istio.md §8): istio-system, revision asm-1-30, no CNI. */
export function upstreamHelmLayout(): IstioLayout {
  return { namespace: 'istio-system', revision: 'asm-1-30', version: istioVersion, hub: 'registry.istio.io/release', tag: istioVersion, cni: false, istiodReplicas: 1 };
}

/** The AKS Istio add-on, revision asm-1-30 (istio.md §1.3, §2.3, §7): aks-istio-system, CNI, native sidecars forced on. */
export function aksAddonLayout(): IstioLayout {
  return { namespace: 'aks-istio-system', revision: 'asm-1-30', version: istioVersion, hub: 'mcr.microsoft.com/oss/istio', tag: `${istioVersion}-distroless`, cni: true, nativeSidecarsEnv: 'true', istiodReplicas: 2 };
}

/** `spiffe://cluster.local/ns/<ns>/sa/<sa>`: a workload's identity (§6). */
export function spiffeId(namespace: string, serviceAccount: string): string {
  return `spiffe://${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
}

/** The AKS add-on's external ingress gateway (istio.md §3b; its ServiceAccount name is our choice, README). */
export const aksIngressGateway = {
  namespace: 'aks-istio-ingress',
  name: 'aks-istio-ingressgateway-external',
  serviceAccount: 'aks-istio-ingressgateway-external',
  selectorLabel: 'aks-istio-ingressgateway-external',
} as const;
