/**
 * The `container-azm-ms-osmconfig` ConfigMap (kube-system) that tells the Azure Monitor agent which namespaces'
 * envoy metrics to collect (osm.md §6d): `schema-version: v1` and the TOML key `osm-metric-collection-configuration`
 * with `[osm_metric_collection_configuration.settings] monitor_namespaces = ["ns1","ns2"]`. Parsed as the agent's
 * tomlparser-osm-config.rb reads it: anything but schema v1 or a malformed list means no namespaces.
 */
import type { KubeObject } from '../cluster/types.ts';

export const osmConfigMapName = 'container-azm-ms-osmconfig';
export const osmConfigMapNamespace = 'kube-system';
export const osmConfigKey = 'osm-metric-collection-configuration';

/** The namespaces listed in `monitor_namespaces`, or an error saying why none are. */
export function parseMonitorNamespaces(toml: string): { namespaces: string[]; error?: string } {
  let section = '';
  for (const raw of toml.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) continue;
    const header = /^\[\s*([^\]]+?)\s*\]$/.exec(line);
    if (header) {
      section = header[1]!;
      continue;
    }
    const kv = /^monitor_namespaces\s*=\s*(.*)$/.exec(line);
    if (!kv || section !== 'osm_metric_collection_configuration.settings') continue;
    const list = /^\[(.*)\]$/.exec(kv[1]!.trim());
    if (!list) return { namespaces: [], error: `monitor_namespaces is not an array: ${kv[1]}` };
    const items = list[1]!.split(',').map((s) => s.trim()).filter((s) => s !== '');
    const namespaces: string[] = [];
    for (const item of items) {
      const m = /^"([^"]*)"$|^'([^']*)'$/.exec(item);
      if (!m) return { namespaces: [], error: `monitor_namespaces entry is not a string: ${item}` };
      namespaces.push(m[1] ?? m[2]!);
    }
    return { namespaces };
  }
  return { namespaces: [] };
}

/** The namespaces an `container-azm-ms-osmconfig` ConfigMap asks to monitor (none unless schema v1). */
export function monitoredNamespacesOf(configMap: KubeObject | undefined): string[] {
  const data = (configMap?.data ?? {}) as Record<string, string>;
  if ((data['schema-version'] ?? '').trim() !== 'v1') return [];
  return parseMonitorNamespaces(data[osmConfigKey] ?? '').namespaces;
}
