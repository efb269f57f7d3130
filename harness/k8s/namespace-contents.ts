/**
 * What keeps a namespace Terminating: the objects left in it that carry finalizers (the namespace controller
 * deletes everything else). Found as `kubectl api-resources --namespaced --verbs=list` followed by a `get` of each
 * would find them, through discovery; used only when a namespace did not go within its budget, to name the culprit.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { KubeClient } from './kube-client.ts';

interface ResourceList { groupVersion?: string; resources?: { name: string; kind: string; namespaced: boolean; verbs?: string[] }[] }
interface GroupList { groups?: { preferredVersion?: { groupVersion?: string }; versions?: { groupVersion?: string }[] }[] }

/** Every namespaced, listable resource type the API server serves, as `{ path root, plural, kind }`. */
async function namespacedTypes(client: KubeClient, budgetMs: number, signal?: AbortSignal): Promise<{ root: string; plural: string; kind: string }[]> {
  const opts = { budgetMs, signal };
  const groups = await client.getJson<GroupList>('/apis', opts);
  const versions = ['/api/v1', ...(groups.groups ?? []).map((g) => g.preferredVersion?.groupVersion ?? g.versions?.[0]?.groupVersion).filter((v): v is string => !!v).map((gv) => `/apis/${gv}`)];
  const empty: ResourceList = {};
  const lists = await Promise.all(versions.map((root) => client.getJson<ResourceList>(root, opts).then((l) => ({ root, l }), () => ({ root, l: empty }))));
  return lists.flatMap(({ root, l }) => (l.resources ?? [])
    .filter((r) => r.namespaced && !r.name.includes('/') && (r.verbs ?? []).includes('list') && r.kind !== 'Event')
    .map((r) => ({ root, plural: r.name, kind: r.kind })));
}

/**
 * The objects in `namespace` that hold finalizers, as `Kind namespace/name (finalizers: a, b)`; best effort within
 * `budgetMs` (a type that cannot be listed is skipped).
 */
export async function finalizerHolders(client: KubeClient, namespace: string, opts: { budgetMs: number; signal?: AbortSignal }): Promise<string[]> {
  const types = await namespacedTypes(client, opts.budgetMs, opts.signal);
  const found = await Promise.all(types.map(async (t) => {
    try {
      const list = await client.getJson<{ items?: KubernetesObject[] }>(`${t.root}/namespaces/${encodeURIComponent(namespace)}/${t.plural}`, { budgetMs: opts.budgetMs, signal: opts.signal });
      return (list.items ?? []).filter((o) => (o.metadata?.finalizers ?? []).length > 0)
        .map((o) => `${t.kind} ${namespace}/${o.metadata?.name ?? '?'} (finalizers: ${(o.metadata?.finalizers ?? []).join(', ')})`);
    } catch {
      return [];
    }
  }));
  return found.flat().sort();
}
