/**
 * Gateway API semantics the simulated istiod's controller and the gateway proxies share (istio.md §3a): which
 * GatewayClasses and Gateways this istiod handles, how an HTTPRoute attaches to a Gateway listener, and how a
 * backendRef resolves. Kept pure over an IstioView so both sides agree.
 */
import type { KubeObject } from '../../cluster/types.ts';
import { arr, num, obj, spec, str } from '../../controllers/kube-objects.ts';
import { matchesLabelSelector } from '../../controllers/label-selector.ts';
import type { LabelSelector } from '../../controllers/label-selector.ts';
import { gatewayControllerName } from './constants.ts';
import type { IstioView } from './view.ts';

export const gatewayGroup = 'gateway.networking.k8s.io';
/** The classes istiod knows without a GatewayClass object (builtinClasses). */
export const builtinClasses: Record<string, string> = { istio: gatewayControllerName };

export interface Listener {
  name: string;
  port: number;
  protocol: string;
  hostname: string | undefined;
  allowedFrom: 'All' | 'Same' | 'Selector';
  selector: LabelSelector | undefined;
}

export function listenersOf(gw: KubeObject): Listener[] {
  return arr(spec(gw)['listeners']).map((l) => {
    const namespaces = obj(obj(l['allowedRoutes'])['namespaces']);
    const from = str(namespaces['from']);
    return {
      name: str(l['name']) ?? '',
      port: num(l['port']) ?? 0,
      protocol: str(l['protocol']) ?? 'HTTP',
      hostname: str(l['hostname']),
      allowedFrom: from === 'All' || from === 'Selector' ? from : 'Same',
      selector: namespaces['selector'] as LabelSelector | undefined,
    };
  });
}

/** Whether this istiod (serving `revision`) reconciles the Gateway: our controller's class, and our revision (IsMine). */
export function handlesGateway(view: IstioView, gw: KubeObject, revision: string): boolean {
  const className = str(spec(gw)['gatewayClassName']) ?? '';
  const cls = view.get('gatewayClass', undefined, className);
  const controller = cls ? str(spec(cls)['controllerName']) : builtinClasses[className];
  if (controller !== gatewayControllerName) return false;
  // tagWatcher.IsMine: the object's istio.io/rev label, else its namespace's; "" only for a default revision.
  return view.revisionOf(gw) === revision;
}

/** A parentRef with the API's defaults (group gateway.networking.k8s.io, kind Gateway, the route's namespace). */
export function normalizedParentRef(ref: Record<string, unknown>, routeNamespace: string): { group: string; kind: string; namespace: string; name: string; sectionName?: string; port?: number } {
  const sectionName = str(ref['sectionName']);
  const port = num(ref['port']);
  return {
    group: str(ref['group']) ?? gatewayGroup,
    kind: str(ref['kind']) ?? 'Gateway',
    namespace: str(ref['namespace']) ?? routeNamespace,
    name: str(ref['name']) ?? '',
    ...(sectionName ? { sectionName } : {}),
    ...(port !== undefined ? { port } : {}),
  };
}

/** Gateway API hostname matching: exact, or a `*.` wildcard matching one or more labels. */
export function hostnameMatches(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase();
  const h = host.toLowerCase();
  if (p === '*') return true;
  if (p.startsWith('*.')) return h.endsWith(p.slice(1)) && h.length > p.length - 1;
  return p === h;
}

/** Whether a route's hostnames and a listener's hostname intersect (either absent: any). */
export function hostnamesIntersect(routeHostnames: string[], listenerHostname: string | undefined): boolean {
  if (!listenerHostname || routeHostnames.length === 0) return true;
  return routeHostnames.some((h) => hostnameMatches(listenerHostname, h) || hostnameMatches(h, listenerHostname));
}

/** Why a listener does not take the route, or undefined when it does. */
export function listenerRejects(view: IstioView, gw: KubeObject, listener: Listener, route: KubeObject): 'NotAllowedByListeners' | 'NoMatchingListenerHostname' | undefined {
  const routeNs = route.metadata.namespace ?? 'default';
  if (listener.protocol !== 'HTTP' && listener.protocol !== 'HTTPS') return 'NotAllowedByListeners';
  if (listener.allowedFrom === 'Same' && routeNs !== gw.metadata.namespace) return 'NotAllowedByListeners';
  if (listener.allowedFrom === 'Selector' && !matchesLabelSelector(listener.selector ?? {}, view.namespace(routeNs)?.metadata.labels)) return 'NotAllowedByListeners';
  const hostnames = (arr(spec(route)['hostnames']) as unknown[]).filter((h): h is string => typeof h === 'string');
  if (!hostnamesIntersect(hostnames, listener.hostname)) return 'NoMatchingListenerHostname';
  return undefined;
}

/** The listeners of `gw` a route's parentRef selects and that accept it. */
export function attachedListeners(view: IstioView, gw: KubeObject, route: KubeObject, ref: Record<string, unknown>): { accepted: Listener[]; reason?: 'NotAllowedByListeners' | 'NoMatchingListenerHostname' | 'NoMatchingParent' } {
  const parent = normalizedParentRef(ref, route.metadata.namespace ?? 'default');
  const selected = listenersOf(gw).filter((l) => (parent.sectionName === undefined || l.name === parent.sectionName) && (parent.port === undefined || l.port === parent.port));
  if (selected.length === 0) return { accepted: [], reason: 'NoMatchingParent' };
  const verdicts = selected.map((l) => ({ l, why: listenerRejects(view, gw, l, route) }));
  const accepted = verdicts.filter((v) => v.why === undefined).map((v) => v.l);
  return accepted.length ? { accepted } : { accepted, reason: verdicts[0]!.why! };
}

/** The parentRefs of a route that point at `gw`. */
export function refsTo(route: KubeObject, gw: KubeObject): Record<string, unknown>[] {
  const ns = route.metadata.namespace ?? 'default';
  return arr(spec(route)['parentRefs']).filter((ref) => {
    const p = normalizedParentRef(ref, ns);
    return p.group === gatewayGroup && p.kind === 'Gateway' && p.namespace === gw.metadata.namespace && p.name === gw.metadata.name;
  });
}

export interface ResolvedBackend {
  /** The Service, when istiod's registry has it. */
  service: KubeObject | undefined;
  fqdn: string;
  port: number;
  weight: number;
  /** Why it does not resolve (route status): BackendNotFound, RefNotPermitted, InvalidKind. */
  problem?: { reason: 'BackendNotFound' | 'RefNotPermitted' | 'InvalidKind'; message: string };
}

/** Resolves one backendRef of a route (Service only; cross-namespace needs a ReferenceGrant). */
export function resolveBackendRef(view: IstioView, route: KubeObject, ref: Record<string, unknown>, hideServices: boolean): ResolvedBackend {
  const routeNs = route.metadata.namespace ?? 'default';
  const name = str(ref['name']) ?? '';
  const ns = str(ref['namespace']) ?? routeNs;
  const port = num(ref['port']) ?? 0;
  const weight = num(ref['weight']) ?? 1;
  const fqdn = `${name}.${ns}.svc.cluster.local`;
  const group = str(ref['group']) ?? '';
  const kind = str(ref['kind']) ?? 'Service';
  if (group !== '' || kind !== 'Service') return { service: undefined, fqdn, port, weight, problem: { reason: 'InvalidKind', message: `referencing unsupported backendRef: group "${group}" kind "${kind}"` } };
  if (ns !== routeNs && !referenceGranted(view, routeNs, ns, name)) {
    return { service: undefined, fqdn, port, weight, problem: { reason: 'RefNotPermitted', message: `backendRef ${name}/${ns} not accessible to a HTTPRoute in namespace "${routeNs}" (missing a ReferenceGrant?)` } };
  }
  const service = hideServices ? undefined : view.service(ns, name);
  if (!service) return { service: undefined, fqdn, port, weight, problem: { reason: 'BackendNotFound', message: `backend(${fqdn}) not found` } };
  return { service, fqdn, port, weight };
}

function referenceGranted(view: IstioView, fromNs: string, toNs: string, serviceName: string): boolean {
  const type = view.store.types.all().find((t) => t.group === gatewayGroup && t.plural === 'referencegrants');
  if (!type) return false;
  return view.store.list(type, { namespace: toNs }).items.some((grant) =>
    arr(spec(grant)['from']).some((f) => f['group'] === gatewayGroup && f['kind'] === 'HTTPRoute' && f['namespace'] === fromNs)
    && arr(spec(grant)['to']).some((t) => (t['group'] ?? '') === '' && t['kind'] === 'Service' && (t['name'] === undefined || t['name'] === serviceName)));
}
