/**
 * The behaviour matrix of a migration (`migrate baseline` on the source mesh, `migrate verify` on the target,
 * docs/migration.md): which service-to-service requests pass and which are refused, probed as each workload
 * identity of the mesh, and which pods carry a sidecar. The probes come from an inventory: every ServiceAccount that
 * runs a workload in an onboarded namespace, against every Service there, with a generic `GET /get` plus one request
 * per HTTP route an access rule names (a sample path and header values matching its patterns). Pure: the probing
 * itself is probe-pods.ts.
 */
import type { MeshInventory, WorkloadIdentity } from './model.ts';
import { describeIdentity } from './model.ts';

/** One service-to-service request, sent as `source` (from a pod running as that ServiceAccount). */
export interface ServiceProbe {
  /** `bookbuyer/bookbuyer → bookstore.bookstore:14001 GET /anything/buy-a-book/probe`. */
  id: string;
  source: WorkloadIdentity;
  /** The destination Service. */
  namespace: string;
  service: string;
  port: number;
  method: 'GET';
  path: string;
  headers: Record<string, string>;
  /** Why it is probed: `generic` or the route it samples. */
  why: string;
}

/** What a request got: through (a 2xx/3xx from the app), refused by the mesh (403, 404 without a route, a reset), or neither. */
export type ProbeOutcome = 'allowed' | 'denied' | 'error';

export interface ProbeResult {
  outcome: ProbeOutcome;
  /** The status the client saw (0: no HTTP answer). */
  status: number;
  /** One line: `403 RBAC: access denied`, `reset: upstream connect error`. */
  detail: string;
}

export interface SidecarFact {
  namespace: string;
  pod: string;
  /** The mesh whose sidecar the pod carries, or undefined. */
  sidecar: string | undefined;
}

/**
 * One request through the cluster's ingress to an onboarded namespace's Service, sent from outside (the harness) to
 * whatever entry point serves its host and path at the time: a Gateway API route's Gateway when one routes it (the
 * plan moves the ingress there), else the Ingress's load balancer address.
 */
export interface IngressProbe {
  /** `ingress GET bookstore.demo.test/get → bookstore/bookstore`. */
  id: string;
  /** The backend Service's namespace and name. */
  namespace: string;
  service: string;
  /** The Ingress the path comes from. */
  ingress: string;
  host: string | undefined;
  method: 'GET';
  path: string;
}

/** What `migrate baseline` writes and `migrate verify` replays. */
export interface BehaviourMatrix {
  kind: 'MeshMigrationBehaviour';
  version: 1;
  /** The mesh it was taken on. */
  mesh: string;
  takenAt: string;
  namespaces: string[];
  probes: (ServiceProbe & { result: ProbeResult })[];
  sidecars: SidecarFact[];
  /** Routes that were not probed, and why. */
  unprobed: string[];
  /** The ingress paths, with the entry point that answered (absent in a matrix of an older version). */
  ingress?: (IngressProbe & { result: ProbeResult & { via: string } })[];
}

/**
 * The ingress probes of an inventory: one per Ingress host and path to a Service of an onboarded namespace. A prefix
 * `/` becomes `/get` (an echo app answers it and shows the request's headers); other paths are sent as written.
 */
export function ingressProbesFor(inv: MeshInventory): IngressProbe[] {
  const onboarded = new Set(inv.namespaces.filter((n) => n.injection).map((n) => n.name));
  const probes = new Map<string, IngressProbe>();
  for (const r of inv.cluster.ingressRoutes) {
    if (!onboarded.has(r.namespace)) continue;
    const path = r.pathType !== 'Exact' && (r.path === '/' || r.path === '') ? '/get' : r.path;
    const id = `ingress GET ${r.host ?? '*'}${path} → ${r.namespace}/${r.service}`;
    probes.set(id, { id, namespace: r.namespace, service: r.service, ingress: r.name, host: r.host, method: 'GET', path });
  }
  return [...probes.values()].sort((a, b) => a.id.localeCompare(b.id));
}

/** A value the RE2 pattern matches in full, when it is a literal, a prefix (`abc.*`) or `.*`; undefined otherwise. */
export function sampleOf(pattern: string, filler: string): string | undefined {
  let p = pattern;
  if (p.startsWith('^')) p = p.slice(1);
  if (p.endsWith('$') && !p.endsWith('\\$')) p = p.slice(0, -1);
  if (p === '' || p === '.*') return filler;
  const literal = (s: string): string | undefined => (/[.*+?()[\]{}|^$\\]/.test(s.replace(/\\[./-]/g, '')) ? undefined : s.replace(/\\([./-])/g, '$1'));
  if (p.endsWith('.*')) {
    const head = literal(p.slice(0, -2));
    return head === undefined ? undefined : `${head}${filler}`;
  }
  return literal(p);
}

export function probeId(p: Omit<ServiceProbe, 'id' | 'why'>): string {
  const headers = Object.entries(p.headers).map(([k, v]) => ` [${k}: ${v}]`).join('');
  return `${describeIdentity(p.source)} → ${p.service}.${p.namespace}:${p.port} ${p.method} ${p.path}${headers}`;
}

/** The probes of an inventory, and the routes it cannot sample. */
export function probesFor(inv: MeshInventory): { probes: ServiceProbe[]; unprobed: string[] } {
  const onboarded = new Set(inv.namespaces.filter((n) => n.injection).map((n) => n.name));
  const sources = new Map<string, WorkloadIdentity>();
  for (const w of inv.cluster.workloads) {
    if (!onboarded.has(w.namespace)) continue;
    const id = { namespace: w.namespace, serviceAccount: w.serviceAccount };
    sources.set(describeIdentity(id), id);
  }
  const unprobed: string[] = [];
  const probes: ServiceProbe[] = [];
  const services = inv.cluster.services.filter((s) => onboarded.has(s.namespace) && s.ports.length > 0 && Object.keys(s.selector).length > 0)
    .sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
  const sampled = new Set<string>();
  for (const svc of services) {
    const port = svc.ports[0]!.port;
    const accounts = new Set(inv.cluster.workloads.filter((w) => w.namespace === svc.namespace && Object.entries(svc.selector).every(([k, v]) => w.podLabels[k] === v)).map((w) => w.serviceAccount));
    const requests: { path: string; headers: Record<string, string>; why: string }[] = [{ path: '/get', headers: {}, why: 'generic' }];
    for (const rule of inv.accessRules) {
      if (rule.destination.namespace !== svc.namespace || !accounts.has(rule.destination.serviceAccount)) continue;
      for (const route of rule.http) {
        const where = `${rule.ref.namespace ?? ''}/${rule.ref.name} route ${route.name}`;
        if (!route.methods.includes('*') && !route.methods.includes('GET')) {
          if (!sampled.has(where)) unprobed.push(`${where}: methods ${route.methods.join(', ')}; the probe client (fortio's fetch proxy) sends GET only`);
          sampled.add(where);
          continue;
        }
        const path = sampleOf(route.pathRegex, 'probe');
        const headers = Object.entries(route.headers).map(([k, v]) => [k, sampleOf(v, 'probe')] as const);
        if (path === undefined || headers.some(([, v]) => v === undefined)) {
          if (!sampled.has(where)) unprobed.push(`${where}: no sample request matches its patterns (path ${route.pathRegex})`);
          sampled.add(where);
          continue;
        }
        requests.push({ path: path.startsWith('/') ? path : `/${path}`, headers: Object.fromEntries(headers) as Record<string, string>, why: `TrafficTarget ${where}` });
      }
    }
    for (const source of [...sources.values()].sort((a, b) => describeIdentity(a).localeCompare(describeIdentity(b)))) {
      for (const r of requests) {
        const base = { source, namespace: svc.namespace, service: svc.name, port, method: 'GET' as const, path: r.path, headers: r.headers };
        probes.push({ id: probeId(base), ...base, why: r.why });
      }
    }
  }
  return { probes, unprobed };
}

/**
 * What an answer says. 2xx/3xx: the app answered. 403 (RBAC), 404 (OSM's answer to a route no TrafficTarget allows;
 * the probed paths are ones an echo app such as httpbin answers, so a 404 is the proxy's) and the probe client's
 * transport error (a reset by L4 RBAC or a refused handshake) are the mesh refusing. Anything else is an error.
 */
export function classify(status: number, body: string): ProbeResult {
  const line = body.split('\n').find((l) => l.trim())?.trim().slice(0, 120) ?? '';
  if (status >= 200 && status < 400) return { outcome: 'allowed', status, detail: `${status}` };
  if (status === 403 || status === 404) return { outcome: 'denied', status, detail: `${status} ${line}`.trim() };
  if (status === 400 && line.startsWith('Error for')) return { outcome: 'denied', status: 0, detail: `no answer: ${line}` };
  return { outcome: 'error', status, detail: `${status} ${line}`.trim() };
}

/** One line of a verify diff. */
export interface BehaviourChange {
  namespace: string;
  kind: 'same' | 'changed' | 'new' | 'missing';
  what: string;
  before?: string;
  after?: string;
}

const label = (r: ProbeResult): string => `${r.outcome} (${r.detail})`;

/** Compares a replay with its baseline: per probe (by id) and per pod's sidecar presence. */
export function compareBehaviour(before: BehaviourMatrix, after: BehaviourMatrix): BehaviourChange[] {
  const changes: BehaviourChange[] = [];
  const afterById = new Map(after.probes.map((p) => [p.id, p]));
  for (const b of before.probes) {
    const a = afterById.get(b.id);
    if (!a) {
      changes.push({ namespace: b.namespace, kind: 'missing', what: b.id, before: label(b.result) });
      continue;
    }
    afterById.delete(b.id);
    changes.push({ namespace: b.namespace, kind: a.result.outcome === b.result.outcome ? 'same' : 'changed', what: b.id, before: label(b.result), after: label(a.result) });
  }
  for (const a of afterById.values()) changes.push({ namespace: a.namespace, kind: 'new', what: a.id, after: label(a.result) });
  // Ingress paths: the outcome counts; the entry point (Ingress or Gateway) is expected to move.
  const ingressAfter = new Map((after.ingress ?? []).map((p) => [p.id, p]));
  const via = (r: ProbeResult & { via: string }): string => `${label(r)} via ${r.via}`;
  for (const b of before.ingress ?? []) {
    const a = ingressAfter.get(b.id);
    ingressAfter.delete(b.id);
    if (!a) changes.push({ namespace: b.namespace, kind: 'missing', what: b.id, before: via(b.result) });
    else changes.push({ namespace: b.namespace, kind: a.result.outcome === b.result.outcome ? 'same' : 'changed', what: b.id, before: via(b.result), after: via(a.result) });
  }
  for (const a of ingressAfter.values()) changes.push({ namespace: a.namespace, kind: 'new', what: a.id, after: via(a.result) });
  // Sidecars: per namespace, whether every pod of it carried one (pod names change with the restart).
  for (const ns of [...new Set([...before.namespaces, ...after.namespaces])].sort()) {
    const without = (m: BehaviourMatrix): string[] => m.sidecars.filter((s) => s.namespace === ns && !s.sidecar).map((s) => s.pod);
    const count = (m: BehaviourMatrix): number => m.sidecars.filter((s) => s.namespace === ns).length;
    const describe = (m: BehaviourMatrix): string => (without(m).length ? `${without(m).length}/${count(m)} pods without a sidecar (${without(m).join(', ')})` : `${count(m)} pods, every one with the ${m.mesh} sidecar`);
    const lost = without(after).length > 0 && without(before).length === 0;
    changes.push({ namespace: ns, kind: lost ? 'changed' : 'same', what: 'sidecars', before: describe(before), after: describe(after) });
  }
  return changes;
}
