/**
 * Ingress routing shared by the ingress controllers: which backend of which Ingress serves a request (host, then
 * path by the Ingress API's rules), and which ready endpoints back that Service port.
 */
import type { KubeObject, ObjectStore } from '../cluster/types.ts';
import { field } from '../node/kinds.ts';
import type { NodeKinds } from '../node/kinds.ts';

export interface IngressBackendRef {
  namespace: string;
  ingress: string;
  service: string;
  port: number | string;
}

export interface Upstream {
  ip: string;
  port: number;
}

type Backend = { service?: { name: string; port?: { number?: number; name?: string } } };
type HttpPath = { path?: string; pathType?: string; backend: Backend };
type Rule = { host?: string; http?: { paths?: HttpPath[] } };
type IngressSpec = { rules?: Rule[]; defaultBackend?: Backend; ingressClassName?: string };

/** The ingress class an Ingress asks for: `spec.ingressClassName`, else the legacy annotation. */
export function ingressClassOf(ingress: KubeObject): string | undefined {
  return field<IngressSpec>(ingress, 'spec')?.ingressClassName ?? ingress.metadata.annotations?.['kubernetes.io/ingress.class'];
}

/**
 * Picks the backend for host + path among the given Ingresses: exact hosts before wildcards before rules without a
 * host; Exact paths before the longest matching Prefix (ImplementationSpecific is treated as Prefix, as ingress-nginx
 * does for plain paths); then any default backend.
 */
export function routeRequest(ingresses: KubeObject[], hostHeader: string, path: string): IngressBackendRef | undefined {
  const host = hostHeader.replace(/:\d+$/, '').toLowerCase();
  const ranked: { rank: number; ingress: KubeObject; rule: Rule }[] = [];
  for (const ingress of ingresses) {
    for (const rule of field<IngressSpec>(ingress, 'spec')?.rules ?? []) {
      const rank = hostRank(rule.host, host);
      if (rank !== undefined) ranked.push({ rank, ingress, rule });
    }
  }
  ranked.sort((a, b) => a.rank - b.rank);
  for (const rank of [...new Set(ranked.map((r) => r.rank))]) {
    let best: { score: number; ingress: KubeObject; backend: Backend } | undefined;
    for (const entry of ranked.filter((r) => r.rank === rank)) {
      for (const p of entry.rule.http?.paths ?? []) {
        const score = pathScore(p, path);
        if (score !== undefined && (!best || score > best.score)) best = { score, ingress: entry.ingress, backend: p.backend };
      }
    }
    if (best) return toRef(best.ingress, best.backend);
  }
  for (const ingress of ingresses) {
    const fallback = field<IngressSpec>(ingress, 'spec')?.defaultBackend;
    if (fallback?.service) return toRef(ingress, fallback);
  }
  return undefined;
}

function toRef(ingress: KubeObject, backend: Backend): IngressBackendRef | undefined {
  if (!backend.service) return undefined;
  return {
    namespace: ingress.metadata.namespace ?? 'default',
    ingress: ingress.metadata.name ?? '',
    service: backend.service.name,
    port: backend.service.port?.number ?? backend.service.port?.name ?? 80,
  };
}

function hostRank(ruleHost: string | undefined, host: string): number | undefined {
  if (!ruleHost) return 2;
  const h = ruleHost.toLowerCase();
  if (h === host) return 0;
  if (h.startsWith('*.')) {
    const suffix = h.slice(1);
    const label = host.slice(0, host.length - suffix.length);
    if (host.endsWith(suffix) && label.length > 0 && !label.includes('.')) return 1;
  }
  return undefined;
}

/** Higher is more specific; undefined when the path does not match. */
function pathScore(p: HttpPath, requestPath: string): number | undefined {
  const rulePath = p.path ?? '/';
  if (p.pathType === 'Exact') return requestPath === rulePath ? 1_000_000 : undefined;
  if (p.pathType === 'Prefix') {
    const trimmed = rulePath.replace(/\/+$/, '');
    if (trimmed === '') return 1;
    if (requestPath === trimmed || requestPath.startsWith(`${trimmed}/`)) return trimmed.length + 1;
    return undefined;
  }
  return requestPath.startsWith(rulePath) ? rulePath.length : undefined;
}

type ServicePort = { name?: string; port: number; targetPort?: number | string; protocol?: string };

/**
 * The ready endpoints of a Service port, from Endpoints (or EndpointSlices when the store has no Endpoints kind).
 * Returns undefined when the Service or its port does not exist.
 */
export function resolveUpstreams(store: ObjectStore, kinds: NodeKinds, ref: IngressBackendRef): Upstream[] | undefined {
  const svc = store.get(kinds.service, ref.namespace, ref.service);
  if (!svc) return undefined;
  const ports = field<{ ports?: ServicePort[] }>(svc, 'spec')?.ports ?? [];
  const svcPort = ports.find((p) => (typeof ref.port === 'number' ? p.port === ref.port : p.name === ref.port));
  if (!svcPort) return undefined;
  const portMatches = (candidate: { name?: string; port: number }, all: unknown[]): boolean =>
    (candidate.name ?? '') === (svcPort.name ?? '') || (all.length === 1 && !svcPort.name);

  if (kinds.endpoints) {
    const endpoints = store.get(kinds.endpoints, ref.namespace, ref.service);
    if (endpoints || !kinds.endpointSlice) {
      const subsets = field<{ addresses?: { ip: string }[]; ports?: { name?: string; port: number }[] }[]>(endpoints, 'subsets') ?? [];
      const out: Upstream[] = [];
      for (const subset of subsets) {
        const port = (subset.ports ?? []).find((p) => portMatches(p, subset.ports ?? []));
        if (!port) continue;
        for (const address of subset.addresses ?? []) out.push({ ip: address.ip, port: port.port });
      }
      return out;
    }
  }
  if (kinds.endpointSlice) {
    const slices = store.list(kinds.endpointSlice, { namespace: ref.namespace, labelSelector: `kubernetes.io/service-name=${ref.service}` }).items;
    const out: Upstream[] = [];
    for (const slice of slices) {
      const slicePorts = field<{ name?: string; port: number }[]>(slice, 'ports') ?? [];
      const port = slicePorts.find((p) => portMatches(p, slicePorts));
      if (!port) continue;
      for (const ep of field<{ addresses: string[]; conditions?: { ready?: boolean } }[]>(slice, 'endpoints') ?? []) {
        if (ep.conditions?.ready === false) continue;
        for (const ip of ep.addresses) out.push({ ip, port: port.port });
      }
    }
    return out;
  }
  return [];
}
