/**
 * Read-only queries over the store that the OSM components share, in the spirit of OSM's MeshCatalog:
 * which namespaces are monitored, which pods back a Service port, which endpoints a Service has, and
 * whether a control-plane component is reachable (its Service has ready endpoints, as kube-apiserver and
 * Envoy would need to reach it).
 */
import type { KubeObject, ListOptions, ListResult, ObjectStore, ResourceType } from '../../cluster/types.ts';
import { matchesLabelSelector, matchesMapSelector } from '../../controllers/label-selector.ts';
import type { LabelSelector } from '../../controllers/label-selector.ts';
import { arr, clone, isPodReady, isTerminating, obj, podIP, spec } from '../../controllers/kube-objects.ts';
import { resolveTargetPort } from '../../controllers/endpoints-controller.ts';
import { maybeTypeFor, typeFor } from '../../controllers/resource-lookup.ts';
import type { KnownKind } from '../../controllers/resource-lookup.ts';
import { proxyUuidLabel } from './constants.ts';
import type { OsmLayout } from './constants.ts';
import { isMonitoredNamespace } from './injection-decision.ts';

export class MeshView {
  constructor(readonly store: ObjectStore, readonly layout: OsmLayout) {}

  namespace(name: string | undefined): KubeObject | undefined {
    return name ? this.store.get(typeFor(this.store, 'Namespace'), undefined, name) : undefined;
  }

  isMonitored(namespace: string | undefined): boolean {
    return isMonitoredNamespace(this.namespace(namespace), this.layout.meshName);
  }

  service(namespace: string | undefined, name: string): KubeObject | undefined {
    return this.store.get(typeFor(this.store, 'Service'), namespace, name);
  }

  servicesInNamespace(namespace: string): KubeObject[] {
    return this.store.list(typeFor(this.store, 'Service'), { namespace }).items;
  }

  /** Ready addresses of a Service's Endpoints (what OSM turns into /32 source ranges). */
  endpointIps(namespace: string | undefined, name: string): string[] {
    const ep = this.store.get(typeFor(this.store, 'Endpoints'), namespace, name);
    if (!ep) return [];
    return arr(ep['subsets']).flatMap((s) => arr(s['addresses']).map((a) => (typeof a['ip'] === 'string' ? a['ip'] : ''))).filter((ip) => ip !== '');
  }

  /** Whether a control-plane Service in the OSM namespace has at least one ready endpoint. */
  componentReachable(serviceName: string): boolean {
    return this.endpointIps(this.layout.osmNamespace, serviceName).length > 0;
  }

  /** Whether `pod` is selected by `service` and one of the service's ports targets `targetPort` on it. */
  serviceTargetsPod(service: KubeObject, pod: KubeObject, targetPort: number): boolean {
    if (service.metadata.namespace !== pod.metadata.namespace) return false;
    const selector = spec(service)['selector'];
    if (!selector || typeof selector !== 'object' || Object.keys(selector).length === 0) return false;
    if (!matchesMapSelector(selector as Record<string, string>, pod.metadata.labels)) return false;
    return arr(spec(service)['ports']).some((p) => resolveTargetPort(p, pod) === targetPort);
  }

  /** Pods that back `service` on `targetPort`, are injected and Ready (their Envoy is connected to osm-controller). */
  readyMeshedBackends(service: KubeObject, targetPort: number): KubeObject[] {
    return this.store.list(typeFor(this.store, 'Pod'), { namespace: service.metadata.namespace }).items.filter((pod) =>
      !isTerminating(pod) && isInjected(pod) && isPodReady(pod) && podIP(pod) !== undefined && this.serviceTargetsPod(service, pod, targetPort));
  }

  /** The injected pod whose IP is `ip`, if any (in-mesh peers). */
  meshedPodWithIp(ip: string): KubeObject | undefined {
    return this.store.list(typeFor(this.store, 'Pod')).items.find((pod) => isInjected(pod) && !isTerminating(pod) && podIP(pod) === ip);
  }

  /** The IngressBackends (none when their CRD is not installed, or was deleted while the cluster runs). */
  ingressBackends(namespace?: string): KubeObject[] {
    const type = maybeTypeFor(this.store, 'IngressBackend');
    return type ? this.store.list(type, namespace ? { namespace } : {}).items : [];
  }

  meshConfig(): KubeObject | undefined {
    try {
      return this.store.get(typeFor(this.store, 'MeshConfig'), this.layout.osmNamespace, 'osm-mesh-config');
    } catch {
      return undefined; // CRD not installed (yet)
    }
  }

  /** A MeshConfig feature flag, with the Helm default when MeshConfig or the flag is absent. */
  featureFlag(name: string, defaultValue: boolean): boolean {
    const config = this.meshConfig();
    const value = obj(obj(config?.['spec'])['featureFlags'])[name];
    return typeof value === 'boolean' ? value : defaultValue;
  }

  /** Objects of an optional kind (an SMI CRD that is not installed lists nothing). */
  private optional(kind: KnownKind, namespace?: string): KubeObject[] {
    const type = maybeTypeFor(this.store, kind);
    return type ? this.store.list(type, namespace ? { namespace } : {}).items.filter((o) => !isTerminating(o)) : [];
  }

  /** SMI TrafficTargets, in every namespace (the SMI client filters them, smi-policy.ts). */
  trafficTargets(): KubeObject[] {
    return this.optional('TrafficTarget');
  }

  httpRouteGroup(namespace: string | undefined, name: string): KubeObject | undefined {
    return this.optional('HTTPRouteGroup', namespace).find((g) => g.metadata.name === name);
  }

  tcpRoute(namespace: string | undefined, name: string): KubeObject | undefined {
    return this.optional('TCPRoute', namespace).find((r) => r.metadata.name === name);
  }

  trafficSplits(namespace?: string): KubeObject[] {
    return this.optional('TrafficSplit', namespace);
  }

  /** Pods of a namespace (not terminating). */
  pods(namespace: string | undefined): KubeObject[] {
    return this.store.list(typeFor(this.store, 'Pod'), namespace ? { namespace } : {}).items.filter((p) => !isTerminating(p));
  }

  /** MeshConfig `traffic.enableEgress` (Helm default true). */
  egressEnabled(): boolean {
    const value = obj(obj(this.meshConfig()?.['spec'])['traffic'])['enableEgress'];
    return typeof value === 'boolean' ? value : true;
  }

  /**
   * The same queries over a copy of what osm-controller last knew: the configuration a connected Envoy keeps serving
   * after it loses its xDS server (Envoy keeps its last accepted configuration until it gets a newer one).
   */
  frozen(): MeshView {
    return new MeshView(snapshotStore(this.store, ['Namespace', 'Service', 'Endpoints', 'Pod', 'IngressBackend', 'MeshConfig', 'TrafficTarget', 'HTTPRouteGroup', 'TCPRoute', 'TrafficSplit']), this.layout);
  }

  permissiveMode(): boolean {
    const value = obj(obj(this.meshConfig()?.['spec'])['traffic'])['enablePermissiveTrafficPolicyMode'];
    return typeof value === 'boolean' ? value : true;
  }

  /**
   * Whether a webhook configuration of `kind` named `configName` has an entry `webhookName` whose
   * namespaceSelector matches `namespace` (kube-apiserver only calls a webhook when it does).
   */
  webhookApplies(kind: 'MutatingWebhookConfiguration' | 'ValidatingWebhookConfiguration', configName: string, webhookName: string, namespace: string | undefined): boolean {
    const config = this.store.get(typeFor(this.store, kind), undefined, configName);
    if (!config) return false;
    const entry = arr(config['webhooks']).find((w) => w['name'] === webhookName);
    if (!entry) return false;
    const ns = this.namespace(namespace);
    if (!ns) return false;
    return matchesLabelSelector(entry['namespaceSelector'] as LabelSelector | undefined, ns.metadata.labels);
  }
}

/** Whether the injector mutated this pod (label `osm-proxy-uuid`, osm.md §2 "How a test can tell"). */
export function isInjected(pod: KubeObject): boolean {
  return Object.hasOwn(pod.metadata.labels ?? {}, proxyUuidLabel);
}

/**
 * A read-only copy of some kinds of a store: `get` and `list` (namespace and label selector) answer from the copy,
 * every other kind lists nothing, and writes throw.
 */
function snapshotStore(store: ObjectStore, copied: KnownKind[]): ObjectStore {
  const key = (t: ResourceType): string => `${t.group}/${t.plural}`;
  const copies = new Map<string, KubeObject[]>();
  for (const kind of copied) {
    const type = maybeTypeFor(store, kind);
    if (type) copies.set(key(type), store.list(type).items.map((o) => clone(o)));
  }
  const resourceVersion = store.currentResourceVersion();
  const items = (t: ResourceType): KubeObject[] => copies.get(key(t)) ?? [];
  const readOnly = (): never => {
    throw new Error('a frozen mesh view is read-only');
  };
  return {
    types: store.types,
    get: (t, namespace, name) => items(t).find((o) => o.metadata.name === name && (o.metadata.namespace ?? undefined) === (namespace ?? undefined)),
    list: (t, opts: ListOptions = {}): ListResult => ({
      items: items(t).filter((o) => (opts.namespace === undefined || o.metadata.namespace === opts.namespace)
        && (!opts.labelSelector || matchesLabelSelector(parseEqualitySelector(opts.labelSelector), o.metadata.labels))),
      resourceVersion,
    }),
    create: readOnly, update: readOnly, mutate: readOnly, delete: readOnly, watch: readOnly, onChange: () => () => undefined,
    addAdmissionPlugin: readOnly, currentResourceVersion: () => resourceVersion,
  };
}

/** `a=b,c=d` as a LabelSelector (the only form the views use). */
function parseEqualitySelector(text: string): LabelSelector {
  return { matchLabels: Object.fromEntries(text.split(',').filter(Boolean).map((pair) => pair.split('=') as [string, string])) };
}
