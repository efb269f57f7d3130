/**
 * What a gateway proxy's listeners and routes are (the LDS and RDS istiod would push to it, istio.md §3):
 * - Gateway API: the pods of `<gw>-istio` (label gateway.networking.k8s.io/gateway-name) listen on the Gateway's
 *   listener ports and route by the HTTPRoutes attached to it, with the API's match precedence (Exact path, longest
 *   prefix, method, header count), weighted backendRefs, and a direct 500 when every weight is 0;
 * - Istio API: the pods an Istio `Gateway`'s selector matches (in any namespace) listen on each server's port (the
 *   target port of the gateway Service port it names), and route by the VirtualServices bound to that Gateway
 *   (`gateways: [name]` in the Gateway's namespace or `ns/name`) whose hosts match, first matching http route wins.
 * Host matching ignores the port (IgnorePortInHostMatching). Nothing matching is a 404 (NR) at the proxy.
 */
import type { KubeObject } from '../../cluster/types.ts';
import { resolveTargetPort } from '../../controllers/endpoints-controller.ts';
import { arr, num, obj, spec, str } from '../../controllers/kube-objects.ts';
import { matchesMapSelector } from '../../controllers/label-selector.ts';
import { gatewayNameLabel } from './constants.ts';
import { attachedListeners, handlesGateway, hostnameMatches, listenersOf, refsTo, resolveBackendRef } from './gateway-api.ts';
import type { IstioView } from './view.ts';

export interface RouteBackend {
  service: KubeObject | undefined;
  fqdn: string;
  port: number;
}

export type RouteResult = { kind: 'none' } | { kind: 'direct'; status: number } | { kind: 'backend'; backend: RouteBackend };

export interface GatewayRequest {
  podPort: number;
  host: string;
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
}

/** The Gateway API Gateway whose deployment this pod belongs to (and istiod handles). */
function k8sGatewayOf(view: IstioView, pod: KubeObject, revision: string): KubeObject | undefined {
  const name = pod.metadata.labels?.[gatewayNameLabel];
  if (!name) return undefined;
  const gw = view.get('k8sGateway', pod.metadata.namespace, name);
  return gw && handlesGateway(view, gw, revision) ? gw : undefined;
}

/** Istio `Gateway` objects whose selector matches the pod. */
function istioGatewaysOf(view: IstioView, pod: KubeObject): KubeObject[] {
  return view.list('gateway').filter((g) => {
    const selector = obj(spec(g)['selector']) as Record<string, string>;
    return Object.keys(selector).length > 0 && matchesMapSelector(selector, pod.metadata.labels);
  });
}

/** An Istio Gateway server's port on the pod: the target port of the gateway Service port it names, else the number. */
function serverPodPort(view: IstioView, pod: KubeObject, serverPort: number): number {
  for (const svc of view.servicesOf(pod)) {
    const port = arr(spec(svc)['ports']).find((p) => num(p['port']) === serverPort);
    const target = port ? resolveTargetPort(port, pod) : undefined;
    if (target !== undefined) return target;
  }
  return serverPort;
}

/** The ports the gateway proxy listens on. */
export function gatewayListenPorts(view: IstioView, pod: KubeObject, revision: string): number[] {
  const ports = new Set<number>();
  const gw = k8sGatewayOf(view, pod, revision);
  if (gw) for (const l of listenersOf(gw)) if (l.port > 0) ports.add(l.port);
  for (const g of istioGatewaysOf(view, pod)) {
    for (const server of arr(spec(g)['servers'])) {
      const n = num(obj(server['port'])['number']);
      if (n !== undefined) ports.add(serverPodPort(view, pod, n));
    }
  }
  return [...ports].sort((a, b) => a - b);
}

function header(headers: GatewayRequest['headers'], name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v.join(',') : v;
}

export function pickWeighted<T extends { weight: number }>(items: T[]): T | undefined {
  const positive = items.filter((i) => i.weight > 0);
  const total = positive.reduce((sum, i) => sum + i.weight, 0);
  let r = Math.random() * total;
  for (const i of positive) {
    r -= i.weight;
    if (r < 0) return i;
  }
  return positive.at(-1);
}

/** Gateway API path match: Exact, PathPrefix by path elements, RegularExpression. Returns a specificity, or undefined. */
function pathScore(match: Record<string, unknown>, path: string): number | undefined {
  const p = obj(match['path']);
  const type = str(p['type']) ?? 'PathPrefix';
  const value = str(p['value']) ?? '/';
  if (type === 'Exact') return path === value ? 1_000_000 + value.length : undefined;
  if (type === 'RegularExpression') {
    try {
      return new RegExp(`^(?:${value})$`).test(path) ? 500_000 + value.length : undefined;
    } catch {
      return undefined;
    }
  }
  const prefix = value.replace(/\/+$/, '');
  if (prefix === '' || path === prefix || path.startsWith(`${prefix}/`)) return prefix.length;
  return undefined;
}

function httpRouteMatches(match: Record<string, unknown>, req: GatewayRequest): number[] | undefined {
  const path = req.path.split('?')[0] ?? '/';
  const score = pathScore(match, path);
  if (score === undefined) return undefined;
  const method = str(match['method']);
  if (method && method !== req.method) return undefined;
  const headers = arr(match['headers']);
  for (const h of headers) {
    const actual = header(req.headers, str(h['name']) ?? '');
    const value = str(h['value']) ?? '';
    if (actual === undefined) return undefined;
    if (h['type'] === 'RegularExpression' ? !new RegExp(`^(?:${value})$`).test(actual) : actual !== value) return undefined;
  }
  const query = new URLSearchParams(req.path.split('?')[1] ?? '');
  const params = arr(match['queryParams']);
  for (const q of params) if (query.get(str(q['name']) ?? '') !== (str(q['value']) ?? '')) return undefined;
  return [score, method ? 1 : 0, headers.length, params.length];
}

function compareScores(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (b[i] ?? 0) - (a[i] ?? 0);
  return 0;
}

function routeGatewayApi(view: IstioView, gw: KubeObject, req: GatewayRequest, hideServices: boolean): RouteResult {
  const host = req.host.replace(/:\d+$/, '');
  const listeners = listenersOf(gw).filter((l) => l.port === req.podPort && (!l.hostname || hostnameMatches(l.hostname, host)));
  if (listeners.length === 0) return { kind: 'none' };
  const candidates: { score: number[]; created: string; key: string; rule: Record<string, unknown>; route: KubeObject }[] = [];
  for (const route of view.list('httpRoute')) {
    const hostnames = (arr(spec(route)['hostnames']) as unknown[]).filter((h): h is string => typeof h === 'string');
    if (hostnames.length > 0 && !hostnames.some((h) => hostnameMatches(h, host))) continue;
    const exactHost = hostnames.some((h) => h.toLowerCase() === host.toLowerCase()) ? 1 : 0;
    const attached = refsTo(route, gw).some((ref) => attachedListeners(view, gw, route, ref).accepted.some((l) => listeners.includes(l) || listeners.some((x) => x.name === l.name)));
    if (!attached) continue;
    for (const rule of arr(spec(route)['rules'])) {
      const matches = arr(rule['matches']);
      for (const m of matches.length ? matches : [{ path: { type: 'PathPrefix', value: '/' } }]) {
        const score = httpRouteMatches(m, req);
        if (score) candidates.push({ score: [exactHost, ...score], created: String(route.metadata.creationTimestamp ?? ''), key: `${route.metadata.namespace}/${route.metadata.name}`, rule, route });
      }
    }
  }
  candidates.sort((a, b) => compareScores(a.score, b.score) || a.created.localeCompare(b.created) || a.key.localeCompare(b.key));
  const best = candidates[0];
  if (!best) return { kind: 'none' };
  const backends = arr(best.rule['backendRefs']).map((ref) => resolveBackendRef(view, best.route, ref, hideServices));
  if (backends.length === 0) return { kind: 'direct', status: 500 };
  const chosen = pickWeighted(backends);
  if (!chosen) return { kind: 'direct', status: 500 }; // every weight 0 and no redirect: the spec's 500
  if (chosen.problem && chosen.problem.reason !== 'BackendNotFound') return { kind: 'direct', status: 500 };
  return { kind: 'backend', backend: { service: chosen.service, fqdn: chosen.fqdn, port: chosen.port } };
}

/** `ns/host`, `./host`, `*\/host` or `host` of a Gateway server: the namespace part and the host. */
function serverHost(entry: string, gatewayNs: string): { ns: string; host: string } {
  const slash = entry.indexOf('/');
  if (slash < 0) return { ns: '*', host: entry };
  const ns = entry.slice(0, slash);
  return { ns: ns === '.' ? gatewayNs : ns, host: entry.slice(slash + 1) };
}

function stringMatch(m: Record<string, unknown>, value: string, ignoreCase = false): boolean {
  const v = ignoreCase ? value.toLowerCase() : value;
  if (typeof m['exact'] === 'string') return v === (ignoreCase ? m['exact'].toLowerCase() : m['exact']);
  if (typeof m['prefix'] === 'string') return v.startsWith(ignoreCase ? m['prefix'].toLowerCase() : m['prefix']);
  if (typeof m['regex'] === 'string') {
    try {
      return new RegExp(`^(?:${m['regex']})$`).test(value);
    } catch {
      return false;
    }
  }
  return true;
}

export function istioMatch(m: Record<string, unknown>, req: GatewayRequest, gatewayRef: string): boolean {
  const path = req.path.split('?')[0] ?? '/';
  if (m['uri'] && !stringMatch(obj(m['uri']), path, m['ignoreUriCase'] === true)) return false;
  if (m['method'] && !stringMatch(obj(m['method']), req.method)) return false;
  if (m['authority'] && !stringMatch(obj(m['authority']), req.host)) return false;
  for (const [name, match] of Object.entries(obj(m['headers']))) {
    const actual = header(req.headers, name);
    if (actual === undefined || !stringMatch(obj(match), actual)) return false;
  }
  const port = num(m['port']);
  if (port !== undefined && port !== req.podPort) return false;
  const gateways = (arr(m['gateways']) as unknown[]).filter((g): g is string => typeof g === 'string');
  if (gateways.length > 0 && !gateways.includes(gatewayRef)) return false;
  return true;
}

/** `host`, `host.ns`, `host.ns.svc.cluster.local`: a VirtualService destination host as a Service, resolved in the VS namespace. */
export function destinationService(view: IstioView, host: string, vsNamespace: string): { service: KubeObject | undefined; fqdn: string } {
  const parts = host.split('.');
  const name = parts[0] ?? host;
  const ns = parts.length >= 2 ? parts[1]! : vsNamespace;
  const fqdn = parts.length >= 3 ? host : `${name}.${ns}.svc.cluster.local`;
  const isCluster = parts.length < 3 || host.endsWith('.svc.cluster.local');
  return { service: isCluster ? view.service(ns, name) : undefined, fqdn };
}

function routeIstioApi(view: IstioView, pod: KubeObject, req: GatewayRequest): RouteResult | undefined {
  const host = req.host.replace(/:\d+$/, '').toLowerCase();
  let sawServer = false;
  const vsCandidates: { vs: KubeObject; gatewayRef: string }[] = [];
  for (const g of istioGatewaysOf(view, pod)) {
    const gwNs = g.metadata.namespace ?? 'default';
    const gwRef = `${gwNs}/${g.metadata.name ?? ''}`;
    for (const server of arr(spec(g)['servers'])) {
      const n = num(obj(server['port'])['number']);
      if (n === undefined || serverPodPort(view, pod, n) !== req.podPort) continue;
      const hosts = ((arr(server['hosts']) as unknown[]).filter((h): h is string => typeof h === 'string')).map((h) => serverHost(h, gwNs));
      const allowed = hosts.filter((h) => hostnameMatches(h.host, host));
      if (allowed.length === 0) continue;
      sawServer = true;
      for (const vs of view.list('virtualService')) {
        const vsNs = vs.metadata.namespace ?? 'default';
        const refs = ((arr(spec(vs)['gateways']) as unknown[]).filter((x): x is string => typeof x === 'string')).map((r) => (r.includes('/') ? r : `${vsNs}/${r}`));
        if (!refs.includes(gwRef)) continue;
        if (!allowed.some((h) => h.ns === '*' || h.ns === vsNs)) continue;
        const vsHosts = (arr(spec(vs)['hosts']) as unknown[]).filter((x): x is string => typeof x === 'string');
        if (!vsHosts.some((h) => hostnameMatches(h, host))) continue;
        vsCandidates.push({ vs, gatewayRef: gwRef });
      }
    }
  }
  if (!sawServer) return undefined;
  vsCandidates.sort((a, b) => String(a.vs.metadata.creationTimestamp ?? '').localeCompare(String(b.vs.metadata.creationTimestamp ?? '')));
  for (const { vs, gatewayRef } of vsCandidates) {
    for (const route of arr(spec(vs)['http'])) {
      const matches = arr(route['match']);
      if (matches.length > 0 && !matches.some((m) => istioMatch(m, req, gatewayRef))) continue;
      const direct = num(obj(route['directResponse'])['status']);
      if (direct !== undefined) return { kind: 'direct', status: direct };
      const dests = arr(route['route']).map((d) => ({ d, weight: num(d['weight']) ?? 1 }));
      const chosen = dests.length === 1 ? dests[0] : pickWeighted(dests);
      if (!chosen) return { kind: 'direct', status: 500 };
      const destination = obj(chosen.d['destination']);
      const { service, fqdn } = destinationService(view, str(destination['host']) ?? '', vs.metadata.namespace ?? 'default');
      const ports = service ? arr(spec(service)['ports']) : [];
      const port = num(obj(destination['port'])['number']) ?? (ports.length === 1 ? num(ports[0]!['port']) : undefined) ?? 0;
      return { kind: 'backend', backend: { service, fqdn, port } };
    }
  }
  return { kind: 'none' };
}

/** Routes one request that arrived on `req.podPort` of a gateway pod. */
export function routeGatewayRequest(view: IstioView, pod: KubeObject, revision: string, req: GatewayRequest, hideGatewayApiServices: boolean): RouteResult {
  const gw = k8sGatewayOf(view, pod, revision);
  if (gw && listenersOf(gw).some((l) => l.port === req.podPort)) return routeGatewayApi(view, gw, req, hideGatewayApiServices);
  return routeIstioApi(view, pod, req) ?? { kind: 'none' };
}
