/**
 * Read-only queries over the store that the simulated istiod and the proxies share, in the spirit of istiod's
 * service registry and config store: namespaces, pods and their workload identity, Services and their ready
 * endpoints, whether istiod is reachable (its Service has a ready endpoint, which is what the proxies and
 * kube-apiserver's webhook calls need), the mesh config, and the Istio config objects by kind.
 */
import type { KubeObject, ObjectStore, ResourceType } from '../../cluster/types.ts';
import { resolveTargetPort } from '../../controllers/endpoints-controller.ts';
import { arr, isPodReady, isTerminating, obj, podIP, spec, str } from '../../controllers/kube-objects.ts';
import { matchesMapSelector } from '../../controllers/label-selector.ts';
import { typeFor } from '../../controllers/resource-lookup.ts';
import { canonicalNameLabel, canonicalRevisionLabel, clusterId, istiodName, revLabel, spiffeId, statusAnnotation, tlsModeLabel } from './constants.ts';
import type { IstioLayout } from './constants.ts';
import { meshSettings } from './mesh-config.ts';
import type { MeshSettings } from './mesh-config.ts';

/** The Istio and Gateway API kinds the emulation reads, by group and plural (two kinds are named Gateway). */
export const istioKinds = {
  gateway: { group: 'networking.istio.io', plural: 'gateways' },
  virtualService: { group: 'networking.istio.io', plural: 'virtualservices' },
  destinationRule: { group: 'networking.istio.io', plural: 'destinationrules' },
  authorizationPolicy: { group: 'security.istio.io', plural: 'authorizationpolicies' },
  peerAuthentication: { group: 'security.istio.io', plural: 'peerauthentications' },
  k8sGateway: { group: 'gateway.networking.k8s.io', plural: 'gateways' },
  gatewayClass: { group: 'gateway.networking.k8s.io', plural: 'gatewayclasses' },
  httpRoute: { group: 'gateway.networking.k8s.io', plural: 'httproutes' },
} as const;
export type IstioKind = keyof typeof istioKinds;

/** What a proxy knows about a workload (its node metadata; what metadata exchange sends to peers). */
export interface WorkloadInfo {
  namespace: string;
  pod: string;
  serviceAccount: string;
  /** The owning workload: the Deployment of a ReplicaSet's pod, else the controller's or the pod's name. */
  workload: string;
  canonicalService: string;
  canonicalRevision: string;
  app: string;
  version: string;
  cluster: string;
  /** `spiffe://cluster.local/ns/<ns>/sa/<sa>`. */
  principal: string;
}

export class IstioView {
  constructor(readonly store: ObjectStore, readonly layout: IstioLayout) {}

  /** The type serving a kind (the storage version for CRDs), or undefined while its CRD is not installed. */
  type(kind: IstioKind): ResourceType | undefined {
    const { group, plural } = istioKinds[kind];
    const served = this.store.types.all().filter((t) => t.group === group && t.plural === plural);
    return served.find((t) => t.version === 'v1') ?? served[0];
  }

  list(kind: IstioKind, namespace?: string): KubeObject[] {
    const type = this.type(kind);
    return type ? this.store.list(type, namespace ? { namespace } : {}).items.filter((o) => !isTerminating(o)) : [];
  }

  get(kind: IstioKind, namespace: string | undefined, name: string): KubeObject | undefined {
    const type = this.type(kind);
    return type ? this.store.get(type, namespace, name) : undefined;
  }

  namespace(name: string | undefined): KubeObject | undefined {
    return name ? this.store.get(typeFor(this.store, 'Namespace'), undefined, name) : undefined;
  }

  service(namespace: string | undefined, name: string): KubeObject | undefined {
    return this.store.get(typeFor(this.store, 'Service'), namespace, name);
  }

  pods(namespace?: string): KubeObject[] {
    return this.store.list(typeFor(this.store, 'Pod'), namespace ? { namespace } : {}).items.filter((p) => !isTerminating(p));
  }

  podWithIp(ip: string): KubeObject | undefined {
    return this.pods().find((p) => podIP(p) === ip);
  }

  /** Ready addresses of a Service's Endpoints. */
  endpointIps(namespace: string | undefined, name: string): string[] {
    const ep = this.store.get(typeFor(this.store, 'Endpoints'), namespace, name);
    return arr(ep?.['subsets']).flatMap((s) => arr(s['addresses']).map((a) => str(a['ip']) ?? '')).filter((ip) => ip !== '');
  }

  /** istiod's Service has a ready endpoint: webhooks can be called, proxies get config, CSRs are signed. */
  istiodReachable(): boolean {
    return this.endpointIps(this.layout.namespace, istiodName(this.layout)).length > 0;
  }

  /** The mesh config of the revision istiod serves (`istio-<rev>`). */
  meshSettings(revision: string = this.layout.revision): MeshSettings {
    const cm = this.store.get(typeFor(this.store, 'ConfigMap'), this.layout.namespace, `istio-${revision}`);
    return meshSettings(cm, this.layout);
  }

  /** Services in the pod's namespace selecting it (non-empty selectors only). */
  servicesOf(pod: KubeObject): KubeObject[] {
    return this.store.list(typeFor(this.store, 'Service'), { namespace: pod.metadata.namespace }).items.filter((svc) => {
      const selector = obj(spec(svc)['selector']) as Record<string, string>;
      return Object.keys(selector).length > 0 && matchesMapSelector(selector, pod.metadata.labels);
    });
  }

  /** The Service (and its port) through which `pod` receives traffic on `targetPort`; prefers one named after `hostHint`'s first label. */
  serviceForPort(pod: KubeObject, targetPort: number, hostHint?: string): { service: KubeObject; port: Record<string, unknown> } | undefined {
    const candidates = this.servicesOf(pod).flatMap((service) => arr(spec(service)['ports']).filter((p) => resolveTargetPort(p, pod) === targetPort).map((port) => ({ service, port })));
    const hinted = hostHint ? candidates.find((c) => c.service.metadata.name === hostHint.split('.')[0]) : undefined;
    return hinted ?? candidates[0];
  }

  /** Ready pods backing a Service port, with the port they serve it on. */
  readyEndpoints(service: KubeObject, servicePort: Record<string, unknown>): { pod: KubeObject; ip: string; port: number }[] {
    const selector = obj(spec(service)['selector']) as Record<string, string>;
    if (Object.keys(selector).length === 0) return [];
    const ready = new Set(this.endpointIps(service.metadata.namespace, service.metadata.name ?? ''));
    return this.pods(service.metadata.namespace).flatMap((pod) => {
      const ip = podIP(pod);
      const port = resolveTargetPort(servicePort, pod);
      if (!ip || port === undefined || !ready.has(ip) || !isPodReady(pod) || !matchesMapSelector(selector, pod.metadata.labels)) return [];
      return [{ pod, ip, port }];
    });
  }

  /** A workload's identity and labels, as its proxy's node metadata carries them. */
  workloadOf(pod: KubeObject): WorkloadInfo {
    const ns = pod.metadata.namespace ?? 'default';
    const labels = pod.metadata.labels ?? {};
    const sa = str(spec(pod)['serviceAccountName']) ?? 'default';
    return {
      namespace: ns,
      pod: pod.metadata.name ?? '',
      serviceAccount: sa,
      workload: workloadName(pod),
      canonicalService: labels[canonicalNameLabel] ?? labels['app.kubernetes.io/name'] ?? labels['app'] ?? workloadName(pod),
      canonicalRevision: labels[canonicalRevisionLabel] ?? labels['app.kubernetes.io/version'] ?? labels['version'] ?? 'latest',
      app: labels['app'] ?? labels['app.kubernetes.io/name'] ?? 'unknown',
      version: labels['version'] ?? labels['app.kubernetes.io/version'] ?? 'unknown',
      cluster: clusterId,
      principal: spiffeId(ns, sa),
    };
  }

  /** The revision a namespace or object asks for: its `istio.io/rev` label, else its namespace's. */
  revisionOf(o: KubeObject): string | undefined {
    return o.metadata.labels?.[revLabel] ?? this.namespace(o.metadata.namespace)?.metadata.labels?.[revLabel];
  }
}

/** Whether the injector added a sidecar to the pod (`sidecar.istio.io/status`, the tlsMode label). */
export function hasIstioSidecar(pod: KubeObject): boolean {
  return pod.metadata.annotations?.[statusAnnotation] !== undefined && pod.metadata.labels?.[tlsModeLabel] === 'istio';
}

/** The owning workload's name: `httpbin` for `httpbin-7c9f8d6b5-x2k4q` of ReplicaSet `httpbin-7c9f8d6b5`. */
export function workloadName(pod: KubeObject): string {
  const owner = pod.metadata.ownerReferences?.find((o) => o.controller);
  if (!owner) return pod.metadata.name ?? 'unknown';
  if (owner.kind === 'ReplicaSet') return /^(.*)-[^-]+$/.exec(owner.name)?.[1] ?? owner.name;
  return owner.name;
}
