/**
 * Legacy (unaggregated) discovery documents: /api, /apis, /apis/<group>, /api/v1 and
 * /apis/<group>/<version>. kubectl asks for aggregated discovery first and falls back to these
 * when the answer is plain application/json.
 */
import type { KubeObject, ResourceType, ResourceTypeRegistry } from '../cluster/types.ts';

/** Kubernetes version priority: GA over beta over alpha, then higher numbers first. */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string): [number, number, number] => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [-1, 0, 0];
    const stage = m[2] === undefined ? 3 : m[2] === 'beta' ? 2 : 1;
    return [stage, Number(m[1]), Number(m[3] ?? 0)];
  };
  const [sa, ma, na] = parse(a);
  const [sb, mb, nb] = parse(b);
  return sb - sa || mb - ma || nb - na || a.localeCompare(b);
}

/** Subresource kinds and verbs as kube-apiserver lists them (`pods/log`, `deployments/scale`...). */
const subresourceInfo: Record<string, { kind?: string; group?: string; version?: string; verbs: string[] }> = {
  status: { verbs: ['get', 'patch', 'update'] },
  log: { verbs: ['get'] },
  portforward: { kind: 'PodPortForwardOptions', verbs: ['create', 'get'] },
  proxy: { kind: '', verbs: ['create', 'delete', 'get', 'patch', 'update'] },
  exec: { kind: 'PodExecOptions', verbs: ['create', 'get'] },
  attach: { kind: 'PodAttachOptions', verbs: ['create', 'get'] },
  binding: { kind: 'Binding', verbs: ['create'] },
  eviction: { kind: 'Eviction', group: 'policy', version: 'v1', verbs: ['create'] },
  scale: { kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: ['get', 'patch', 'update'] },
  token: { kind: 'TokenRequest', group: 'authentication.k8s.io', version: 'v1', verbs: ['create'] },
  finalize: { verbs: ['update'] },
};

function groupVersions(registry: ResourceTypeRegistry): Map<string, string[]> {
  const groups = new Map<string, Set<string>>();
  for (const t of registry.all()) {
    if (t.group === '') continue;
    let versions = groups.get(t.group);
    if (!versions) groups.set(t.group, (versions = new Set()));
    versions.add(t.version);
  }
  return new Map([...groups].map(([g, v]) => [g, [...v].sort(compareVersions)]));
}

/** `GET /api`. */
export function apiVersions(serverAddress: string): KubeObject {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  } as unknown as KubeObject;
}

function apiGroup(group: string, versions: string[]): Record<string, unknown> {
  const list = versions.map((v) => ({ groupVersion: `${group}/${v}`, version: v }));
  return { name: group, versions: list, preferredVersion: list[0] };
}

/** `GET /apis`. */
export function apiGroupList(registry: ResourceTypeRegistry): KubeObject {
  const groups = [...groupVersions(registry)].sort(([a], [b]) => a.localeCompare(b)).map(([g, v]) => apiGroup(g, v));
  return { kind: 'APIGroupList', apiVersion: 'v1', groups } as unknown as KubeObject;
}

/** `GET /apis/<group>`, or undefined when no kind is served in that group. */
export function apiGroupDocument(registry: ResourceTypeRegistry, group: string): KubeObject | undefined {
  const versions = groupVersions(registry).get(group);
  if (!versions) return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(group, versions) } as unknown as KubeObject;
}

/** `GET /api/v1` or `/apis/<group>/<version>`, or undefined when nothing is served there. */
export function apiResourceList(registry: ResourceTypeRegistry, group: string, version: string): KubeObject | undefined {
  const types = registry.all().filter((t) => t.group === group && t.version === version).sort((a, b) => a.plural.localeCompare(b.plural));
  if (types.length === 0) return undefined;
  const resources: Record<string, unknown>[] = [];
  for (const t of types) {
    resources.push(resourceEntry(t));
    for (const sub of t.subresources) {
      const info = subresourceInfo[sub] ?? { verbs: ['get'] };
      resources.push({
        name: `${t.plural}/${sub}`,
        singularName: '',
        namespaced: t.namespaced,
        ...(info.group ? { group: info.group, version: info.version } : {}),
        kind: info.kind ?? t.kind,
        verbs: info.verbs,
      });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group === '' ? version : `${group}/${version}`, resources } as unknown as KubeObject;
}

function resourceEntry(t: ResourceType): Record<string, unknown> {
  return {
    name: t.plural,
    singularName: t.singular,
    namespaced: t.namespaced,
    kind: t.kind,
    verbs: t.verbs,
    ...(t.shortNames && t.shortNames.length > 0 ? { shortNames: t.shortNames } : {}),
    ...(t.categories && t.categories.length > 0 ? { categories: t.categories } : {}),
  };
}
