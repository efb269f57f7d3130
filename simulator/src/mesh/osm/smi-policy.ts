/**
 * SMI access control as OSM v1.2 programs it into a sidecar in non-permissive mode (MeshConfig
 * `traffic.enablePermissiveTrafficPolicyMode: false`), read from OSM's code:
 * - which TrafficTargets count (pkg/smi/client.go `ListTrafficTargets`): in a monitored namespace, `spec.destination.namespace`
 *   equal to the TrafficTarget's namespace, at least one rule, every rule of kind HTTPRouteGroup or TCPRoute; those whose
 *   destination is the proxy's ServiceAccount (`WithTrafficTargetDestination`) apply to it;
 * - L4 (pkg/envoy/lds/rbac.go `buildInboundRBACPolicies`): a network RBAC filter, first in every inbound filter chain,
 *   ALLOW with one policy per TrafficTarget: principals = its sources, permissions = the ports of its TCPRoutes (any port
 *   when it has none); a TrafficTarget naming a TCPRoute that does not exist gets no policy
 *   (`errNoTrafficSpecFoundForTrafficPolicy`). A connection no policy allows is closed;
 * - L7 (pkg/catalog/inbound_traffic_policies.go, pkg/envoy/rds/route/route_config.go): on an HTTP port, one virtual host
 *   per Service of the pod (its hostnames, the apex Services of TrafficSplits it backs included), with one route per
 *   HTTPRouteGroup match a TrafficTarget names in `matches` (only the named ones: a rule without `matches` adds no
 *   route, a name not in the group is skipped), per method; `pathRegex` (default `.*`) and header values are RE2
 *   patterns matched in full, `*` is any method; identical routes of several TrafficTargets are merged, their
 *   principals joined (`MergeRules`); each route carries the RBAC of its principals. Envoy takes the first route that
 *   matches: no route is a 404 (NR), a route whose principals exclude the peer a 403 `RBAC: access denied`.
 * Where OSM's order is a cache iteration, the simulator orders TrafficTargets by namespace and name.
 */
import type { KubeObject } from '../../cluster/types.ts';
import { resolveTargetPort } from '../../controllers/endpoints-controller.ts';
import { arr, num, obj, spec, str } from '../../controllers/kube-objects.ts';
import { matchesMapSelector } from '../../controllers/label-selector.ts';
import type { MeshView } from './mesh-view.ts';

/** An OSM service identity: `<sa>.<ns>.cluster.local` in certificates and RBAC principals. */
export interface OsmIdentity {
  serviceAccount: string;
  namespace: string;
}

export const osmTrustDomain = 'cluster.local';

export function identityOfPod(pod: KubeObject): OsmIdentity {
  return { serviceAccount: str(spec(pod)['serviceAccountName']) || 'default', namespace: pod.metadata.namespace ?? 'default' };
}

export function principalOf(id: OsmIdentity): string {
  return `${id.serviceAccount}.${id.namespace}.${osmTrustDomain}`;
}

const sameIdentity = (a: OsmIdentity, b: OsmIdentity): boolean => a.serviceAccount === b.serviceAccount && a.namespace === b.namespace;

/** A TrafficTarget's `destination` or `sources[]` entry as the identity OSM makes of it (kind ServiceAccount). */
function identityOfRef(ref: Record<string, unknown>, fallbackNamespace: string): OsmIdentity {
  return { serviceAccount: str(ref['name']) ?? '', namespace: str(ref['namespace']) ?? fallbackNamespace };
}

/** The TrafficTargets OSM's SMI client lists (monitored namespace, destination in the same namespace, valid rules), by namespace and name. */
export function validTrafficTargets(view: MeshView): KubeObject[] {
  return view.trafficTargets()
    .filter((tt) => {
      const ns = tt.metadata.namespace ?? '';
      const rules = arr(spec(tt)['rules']);
      return view.isMonitored(ns)
        && str(obj(spec(tt)['destination'])['namespace']) === ns
        && rules.length > 0
        && rules.every((r) => r['kind'] === 'HTTPRouteGroup' || r['kind'] === 'TCPRoute');
    })
    .sort((a, b) => `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`));
}

/** The TrafficTargets whose destination is `id`. */
export function trafficTargetsTo(view: MeshView, id: OsmIdentity): KubeObject[] {
  return validTrafficTargets(view).filter((tt) => sameIdentity(identityOfRef(obj(spec(tt)['destination']), tt.metadata.namespace ?? ''), id));
}

function sourcesOf(tt: KubeObject): OsmIdentity[] {
  return arr(spec(tt)['sources']).filter((s) => (str(s['kind']) ?? 'ServiceAccount') === 'ServiceAccount').map((s) => identityOfRef(s, tt.metadata.namespace ?? ''));
}

/** The TCP ports a TrafficTarget's TCPRoutes allow: undefined when it names none (any port), null when one is missing (no policy). */
function tcpPorts(view: MeshView, tt: KubeObject): number[] | undefined | null {
  const rules = arr(spec(tt)['rules']).filter((r) => r['kind'] === 'TCPRoute');
  if (rules.length === 0) return undefined;
  const ports: number[] = [];
  for (const rule of rules) {
    const route = view.tcpRoute(tt.metadata.namespace, str(rule['name']) ?? '');
    if (!route) return null;
    ports.push(...arr(obj(spec(route)['matches'])['ports']).map((p) => Number(p)).filter((p) => Number.isInteger(p)));
  }
  return ports;
}

/** The network RBAC filter: whether a connection from `peer` to `port` of a pod running as `dest` passes. */
export function l4Allowed(view: MeshView, dest: OsmIdentity, port: number, peer: OsmIdentity): boolean {
  return trafficTargetsTo(view, dest).some((tt) => {
    const ports = tcpPorts(view, tt);
    if (ports === null) return false;
    return sourcesOf(tt).some((s) => sameIdentity(s, peer)) && (ports === undefined || ports.includes(port));
  });
}

/** One inbound HTTP route: an HTTPRouteGroup match, for one method, and the principals its RBAC admits. */
export interface InboundRoute {
  /** `<group ns>/<group>/<match>`: provenance for logs. */
  name: string;
  pathRegex: string;
  method: string;
  headers: Record<string, string>;
  principals: OsmIdentity[];
}

/** `headers:` of an HTTPRouteGroup match: a list of one-entry maps (v1alpha4 CRD) or one map. */
export function headerMatches(value: unknown): Record<string, string> {
  const maps = Array.isArray(value) ? value : value && typeof value === 'object' ? [value] : [];
  const out: Record<string, string> = {};
  for (const m of maps) for (const [k, v] of Object.entries(obj(m))) if (typeof v === 'string') out[k.toLowerCase()] = v;
  return out;
}

/** Routes from the TrafficTargets to `dest`, in order, identical routes merged (their principals joined). */
export function inboundRoutes(view: MeshView, dest: OsmIdentity): InboundRoute[] {
  const routes: InboundRoute[] = [];
  for (const tt of trafficTargetsTo(view, dest)) {
    if (tcpPorts(view, tt) === null) continue;
    const principals = sourcesOf(tt);
    for (const rule of arr(spec(tt)['rules']).filter((r) => r['kind'] === 'HTTPRouteGroup')) {
      const group = view.httpRouteGroup(tt.metadata.namespace, str(rule['name']) ?? '');
      if (!group) continue;
      const matches = arr(spec(group)['matches']);
      for (const wanted of (rule['matches'] as unknown[] | undefined) ?? []) {
        const match = matches.find((m) => m['name'] === wanted);
        if (!match) continue; // "No matching trafficpolicy.HTTPRoute found for match name"
        const methods = ((match['methods'] as unknown[] | undefined) ?? []).filter((m): m is string => typeof m === 'string');
        const headers = headerMatches(match['headers']);
        const pathRegex = str(match['pathRegex']) || '.*';
        for (const method of sanitizeMethods(methods)) {
          const existing = routes.find((r) => r.pathRegex === pathRegex && r.method === method && JSON.stringify(r.headers) === JSON.stringify(headers));
          if (existing) {
            for (const p of principals) if (!existing.principals.some((q) => sameIdentity(p, q))) existing.principals.push(p);
          } else {
            routes.push({ name: `${group.metadata.namespace ?? ''}/${group.metadata.name ?? ''}/${String(wanted)}`, pathRegex, method, headers, principals: [...principals] });
          }
        }
      }
    }
  }
  return routes;
}

/** `sanitizeHTTPMethods`: a wildcard wins, duplicates go; none means any. */
function sanitizeMethods(methods: string[]): string[] {
  if (methods.length === 0 || methods.includes('*')) return ['*'];
  return [...new Set(methods.map((m) => m.toUpperCase()))];
}

/** An RE2 pattern matched against the whole value, as Envoy's safe_regex does. */
export function fullMatch(pattern: string, value: string): boolean {
  try {
    return new RegExp(`^(?:${pattern})$`, 'u').test(value);
  } catch {
    return false; // an invalid regex makes Envoy reject the route config: nothing matches
  }
}

export interface HttpRequestFacts {
  method: string;
  /** The path without the query string. */
  path: string;
  /** Lower-cased header names. */
  headers: Record<string, string | string[] | undefined>;
}

function headerValue(h: HttpRequestFacts['headers'], name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/** The hostnames of the virtual host a Service port gets (`GetHostnamesForService` with the local namespace). */
export function serviceHostnames(name: string, namespace: string, port: number): string[] {
  const bases = [name, `${name}.${namespace}`, `${name}.${namespace}.svc`, `${name}.${namespace}.svc.cluster`, `${name}.${namespace}.svc.cluster.local`];
  return bases.flatMap((b) => [b, `${b}:${port}`]);
}

/** The Services whose virtual hosts a pod's inbound HTTP port serves: the ones selecting it on `targetPort`, and the apex Services of TrafficSplits those back. */
export function inboundHostnames(view: MeshView, pod: KubeObject, targetPort: number): string[] {
  const ns = pod.metadata.namespace ?? 'default';
  const services = view.servicesInNamespace(ns).filter((svc) => {
    const selector = obj(spec(svc)['selector']) as Record<string, string>;
    return Object.keys(selector).length > 0 && matchesMapSelector(selector, pod.metadata.labels) && arr(spec(svc)['ports']).some((p) => resolveTargetPort(p, pod) === targetPort);
  });
  const hosts: string[] = [];
  for (const svc of services) {
    for (const p of arr(spec(svc)['ports']).filter((q) => resolveTargetPort(q, pod) === targetPort)) {
      const port = num(p['port']) ?? targetPort;
      hosts.push(...serviceHostnames(svc.metadata.name ?? '', ns, port));
      for (const split of view.trafficSplits(ns)) {
        if (arr(spec(split)['backends']).some((b) => b['service'] === svc.metadata.name)) {
          const apex = (str(spec(split)['service']) ?? '').split('.')[0] ?? '';
          if (apex) hosts.push(...serviceHostnames(apex, ns, port));
        }
      }
    }
  }
  return hosts;
}

export type HttpDecision = { allowed: true; route: string } | { allowed: false; status: 403 | 404; reason: string };

/** The inbound HTTP decision for a request from `peer` (after L4 passed). */
export function httpDecision(view: MeshView, pod: KubeObject, targetPort: number, peer: OsmIdentity, req: HttpRequestFacts): HttpDecision {
  const host = (headerValue(req.headers, 'host') ?? '').toLowerCase();
  if (!inboundHostnames(view, pod, targetPort).includes(host)) return { allowed: false, status: 404, reason: `no virtual host for ${host || '(no Host)'}` };
  const route = inboundRoutes(view, identityOfPod(pod)).find((r) =>
    (r.method === '*' || r.method === req.method.toUpperCase())
    && fullMatch(r.pathRegex, req.path)
    && Object.entries(r.headers).every(([name, pattern]) => {
      const value = headerValue(req.headers, name === 'host' ? 'host' : name);
      return value !== undefined && fullMatch(pattern, value);
    }));
  if (!route) return { allowed: false, status: 404, reason: 'no route matches (NR)' };
  if (!route.principals.some((p) => sameIdentity(p, peer))) return { allowed: false, status: 403, reason: `route ${route.name} does not admit ${principalOf(peer)}` };
  return { allowed: true, route: route.name };
}

/** Whether a TrafficTarget lets `source` reach a pod running as `dest` at all (OSM's outbound "allowed upstream"). */
export function upstreamAllowed(view: MeshView, source: OsmIdentity, dest: OsmIdentity): boolean {
  return trafficTargetsTo(view, dest).some((tt) => sourcesOf(tt).some((s) => sameIdentity(s, source)));
}

/**
 * The backend a request to `service` goes to: the Service itself, or, when it is the apex of a TrafficSplit in its
 * namespace, one of the backends picked by weight (`random` in [0, 1)).
 */
export function splitBackend(view: MeshView, service: KubeObject, random: number): { service: string; split?: string } {
  const ns = service.metadata.namespace ?? 'default';
  const name = service.metadata.name ?? '';
  const split = view.trafficSplits(ns).find((s) => (str(spec(s)['service']) ?? '').split('.')[0] === name);
  if (!split) return { service: name };
  const backends = arr(spec(split)['backends']).map((b) => ({ service: str(b['service']) ?? '', weight: Math.max(0, num(b['weight']) ?? 0) })).filter((b) => b.service);
  const total = backends.reduce((sum, b) => sum + b.weight, 0);
  if (total <= 0) return { service: name, split: split.metadata.name ?? '' };
  let point = random * total;
  for (const b of backends) {
    if (point < b.weight) return { service: b.service, split: split.metadata.name ?? '' };
    point -= b.weight;
  }
  return { service: backends[backends.length - 1]!.service, split: split.metadata.name ?? '' };
}
