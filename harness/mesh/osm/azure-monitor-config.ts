/**
 * The `container-azm-ms-osmconfig` ConfigMap (kube-system) that tells Azure Monitor Container insights which
 * namespaces' envoy metrics to collect (osm.md §6d). The check adds the run's namespaces to `monitor_namespaces`,
 * leaving every other entry and key as it is, and afterwards takes out only what it added (or deletes the ConfigMap if
 * it created it and nothing else was added meanwhile). The TOML edits are textual, so comments and layout survive.
 */
import type { V1ConfigMap } from '@kubernetes/client-node';
import { KubeApiError } from '../../k8s/api-error.ts';
import type { KubeClient } from '../../k8s/kube-client.ts';
import type { CollectionChange, MetricsCollection } from '../../metrics/mesh-metrics.ts';
import { patchStrategies } from '../../k8s/client-node.ts';

export const osmConfigKey = 'osm-metric-collection-configuration';
const settingsSection = 'osm_metric_collection_configuration.settings';

/** The namespaces a TOML value lists in `monitor_namespaces` (empty when absent or unreadable). */
export function monitorNamespaces(toml: string | undefined): string[] {
  const list = findList(toml ?? '');
  return list ? list.items : [];
}

interface FoundList {
  /** Offsets of the text between `[` and `]`. */
  start: number;
  end: number;
  items: string[];
}

function findList(toml: string): FoundList | undefined {
  let section = '';
  let offset = 0;
  for (const line of toml.split('\n')) {
    const code = line.replace(/#.*$/, '');
    const header = /^\s*\[\s*([^\]]+?)\s*\]\s*$/.exec(code);
    if (header) section = header[1]!;
    const m = /^(\s*monitor_namespaces\s*=\s*\[)([^\]]*)\]/.exec(code);
    if (m && section === settingsSection) {
      const start = offset + m[1]!.length;
      const items = m[2]!.split(',').map((s) => s.trim()).filter(Boolean).map((s) => s.replace(/^["']|["']$/g, ''));
      return { start, end: start + m[2]!.length, items };
    }
    offset += line.length + 1;
  }
  return undefined;
}

/** The TOML a fresh ConfigMap gets, as in the AKS docs. */
export function osmConfigToml(namespaces: string[]): string {
  return [
    '[osm_metric_collection_configuration]',
    '  [osm_metric_collection_configuration.settings]',
    '    # OSM metric collection settings',
    `    monitor_namespaces = [${namespaces.map((n) => JSON.stringify(n)).join(',')}]`,
  ].join('\n');
}

/** Adds a namespace to `monitor_namespaces`; `added` is false when it was already listed. */
export function addMonitorNamespace(toml: string | undefined, namespace: string): { toml: string; added: boolean } {
  if (!toml?.trim()) return { toml: osmConfigToml([namespace]), added: true };
  const list = findList(toml);
  if (list) {
    if (list.items.includes(namespace)) return { toml, added: false };
    const inner = toml.slice(list.start, list.end);
    const joined = inner.trim() ? `${inner.replace(/\s*$/, '')},${JSON.stringify(namespace)}` : JSON.stringify(namespace);
    return { toml: `${toml.slice(0, list.start)}${joined}${toml.slice(list.end)}`, added: true };
  }
  const lines = toml.split('\n');
  const at = lines.findIndex((l) => new RegExp(`^\\s*\\[\\s*${settingsSection.replace(/\./g, '\\.')}\\s*\\]`).test(l));
  if (at >= 0) {
    lines.splice(at + 1, 0, `    monitor_namespaces = [${JSON.stringify(namespace)}]`);
    return { toml: lines.join('\n'), added: true };
  }
  return { toml: `${toml.replace(/\s*$/, '')}\n  [${settingsSection}]\n    monitor_namespaces = [${JSON.stringify(namespace)}]`, added: true };
}

/** Takes one namespace out of `monitor_namespaces`, keeping the rest (and the text around) as it is. */
export function removeMonitorNamespace(toml: string, namespace: string): string {
  const list = findList(toml);
  if (!list || !list.items.includes(namespace)) return toml;
  const kept = toml.slice(list.start, list.end).split(',').filter((s) => s.trim().replace(/^["']|["']$/g, '') !== namespace);
  const inner = kept.join(',').replace(/^\s+/, '');
  return `${toml.slice(0, list.start)}${inner}${toml.slice(list.end)}`;
}

/** What `ensureNamespacesCollected` changed, so `restoreOsmConfig` can undo exactly that. */
export interface OsmConfigChange extends CollectionChange {
  /** The ConfigMap did not exist and was created. */
  created: boolean;
}

type Where = { namespace: string; name: string };
const ref = (w: Where) => ({ apiVersion: 'v1', kind: 'ConfigMap', namespace: w.namespace, name: w.name });

/** `a, b and c`, for summaries. */
const listed = (names: readonly string[]): string => (names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)!}`);

/**
 * Makes sure the ConfigMap lists the namespaces (schema v1), in ONE write: the agent restarts on every edit, so a run's
 * copies are listed together (issue 14 §2). Pair with `restoreOsmConfig`. Other writers (parallel copies of this run,
 * another run, the user) may change it at the same time: a 409 (a stale resourceVersion, or a create that lost the
 * race) reads it again and retries; what another writer listed meanwhile is then not ours to undo.
 */
export async function ensureNamespacesCollected(client: KubeClient, where: Where, namespaces: readonly string[], budgetMs: number): Promise<OsmConfigChange> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await ensureOnce(client, where, namespaces, budgetMs);
    } catch (err) {
      if (err instanceof KubeApiError && err.code === 409 && attempt < 5) continue;
      throw err;
    }
  }
}

async function ensureOnce(client: KubeClient, where: Where, namespaces: readonly string[], budgetMs: number): Promise<OsmConfigChange> {
  const current = await client.read<V1ConfigMap>(ref(where), { budgetMs });
  const cm = `${where.namespace}/${where.name}`;
  if (!current) {
    await client.create<V1ConfigMap>({
      apiVersion: 'v1', kind: 'ConfigMap',
      metadata: { name: where.name, namespace: where.namespace, labels: { 'app.kubernetes.io/managed-by': 'mesh-conformance' } },
      data: { 'schema-version': 'v1', 'config-version': 'ver1', [osmConfigKey]: osmConfigToml([...namespaces]) },
    }, { budgetMs });
    return { namespaces: [...namespaces], created: true, summary: `${cm}: created, listing ${listed(namespaces)} (removed afterwards)` };
  }
  let toml = current.data?.[osmConfigKey];
  const added: string[] = [];
  for (const namespace of namespaces) {
    const next = addMonitorNamespace(toml, namespace);
    if (next.added) added.push(namespace);
    toml = next.toml;
  }
  if (!added.length) return { namespaces: [], created: false, summary: `${cm}: already listed ${listed(namespaces)}` };
  const data: Record<string, string> = { [osmConfigKey]: toml! };
  if (!current.data?.['schema-version']) data['schema-version'] = 'v1';
  await client.patch(ref(where), { metadata: { resourceVersion: current.metadata?.resourceVersion }, data }, { budgetMs, strategy: patchStrategies.MergePatch });
  return { namespaces: added, created: false, summary: `${cm}: added ${listed(added)} (restored afterwards)` };
}

/** The label a ConfigMap created by mesh-conformance carries (whichever worker or run created it). */
const createdByUs = (cm: V1ConfigMap): boolean => cm.metadata?.labels?.['app.kubernetes.io/managed-by'] === 'mesh-conformance';

/**
 * Undoes `ensureNamespacesCollected`, in one write: removes only the namespaces it added, from the ConfigMap as it is
 * now (others may have changed it meanwhile). A ConfigMap mesh-conformance created (its label says so, whichever
 * parallel worker created it) is deleted by whoever takes the last namespace out, provided it holds nothing else; the
 * delete is conditional on the version read, so a namespace another worker adds meanwhile is never lost.
 */
export async function restoreOsmConfig(client: KubeClient, where: Where, change: OsmConfigChange, budgetMs: number): Promise<string> {
  const cm = `${where.namespace}/${where.name}`;
  if (!change.namespaces.length) return `${cm}: nothing this run added, left unchanged`;
  for (let attempt = 1; ; attempt++) {
    const current = await client.read<V1ConfigMap>(ref(where), { budgetMs });
    if (!current) return `${cm} is gone: nothing to restore`;
    const toml = change.namespaces.reduce((t, n) => removeMonitorNamespace(t, n), current.data?.[osmConfigKey] ?? '');
    const rest = monitorNamespaces(toml);
    const otherKeys = Object.keys(current.data ?? {}).filter((k) => !['schema-version', 'config-version', osmConfigKey].includes(k));
    try {
      if ((change.created || createdByUs(current)) && rest.length === 0 && otherKeys.length === 0) {
        await client.delete(ref(where), { budgetMs, preconditions: { resourceVersion: current.metadata?.resourceVersion } });
        return `deleted ${cm}, which mesh-conformance created`;
      }
      if (toml === (current.data?.[osmConfigKey] ?? '')) return `${cm} no longer lists ${listed(change.namespaces)}: left unchanged`;
      await client.patch(ref(where), { metadata: { resourceVersion: current.metadata?.resourceVersion }, data: { [osmConfigKey]: toml } },
        { budgetMs, strategy: patchStrategies.MergePatch });
      return `removed ${listed(change.namespaces)} from monitor_namespaces of ${cm}`;
    } catch (err) {
      if (err instanceof KubeApiError && err.code === 409 && attempt < 5) continue;
      throw err;
    }
  }
}

/** The ConfigMap Container insights reads on AKS (osm.md §6d). */
export const azureMonitorConfigMap = { namespace: 'kube-system', name: 'container-azm-ms-osmconfig' } as const;

/** Container insights' collection of a run's namespace, as a shared object the run merges and restores. */
export const azureMonitorCollection: MetricsCollection = {
  object: {
    apiVersion: 'v1', kind: 'ConfigMap', ...azureMonitorConfigMap,
    why: 'Azure Monitor: this run\'s namespaces merged into monitor_namespaces, then restored',
    change: 'metrics-collection',
  },
  ensure: (client, namespaces, budgetMs) => ensureNamespacesCollected(client, azureMonitorConfigMap, namespaces, budgetMs),
  restore: (client, change, budgetMs) => restoreOsmConfig(client, azureMonitorConfigMap, { created: false, ...change }, budgetMs),
  listed: async (client, budgetMs) => monitorNamespaces((await client.read<V1ConfigMap>(ref(azureMonitorConfigMap), { budgetMs }))?.data?.[osmConfigKey]),
};
