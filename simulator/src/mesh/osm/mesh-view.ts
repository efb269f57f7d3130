/**
 * Read-only queries over the store that the OSM components share, in the spirit of OSM's MeshCatalog:
 * which namespaces are monitored, which pods back a Service port, which endpoints a Service has, and
 * whether a control-plane component is reachable (its Service has ready endpoints, as kube-apiserver and
 * Envoy would need to reach it).
 */
import type { KubeObject, ObjectStore } from '../../cluster/types.ts';
import { matchesLabelSelector, matchesMapSelector } from '../../controllers/label-selector.ts';
import type { LabelSelector } from '../../controllers/label-selector.ts';
import { arr, isPodReady, isTerminating, obj, podIP, spec } from '../../controllers/kube-objects.ts';
import { resolveTargetPort } from '../../controllers/endpoints-controller.ts';
import { maybeTypeFor, typeFor } from '../../controllers/resource-lookup.ts';
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
