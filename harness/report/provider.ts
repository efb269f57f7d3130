/**
 * Which cloud or local tool runs a cluster, when the cluster says so: the nodes' `spec.providerID` scheme (what the
 * cloud controller or kind sets), else the API server's host name. Best effort: a read that is refused or fails
 * leaves it unknown, never fails a run.
 */
import type { V1Node } from '@kubernetes/client-node';
import type { KubeClient } from '../k8s/kube-client.ts';

/** Provider names as the ConformanceReport spells them. */
export const providerBySchema: Record<string, string> = { azure: 'aks', kind: 'kind', aws: 'eks', gce: 'gke', k3s: 'k3s', vsphere: 'vsphere', openstack: 'openstack' };

/** The provider a providerID names (`azure:///subscriptions/…` → `aks`), or undefined. */
export function providerOfProviderId(id: string | undefined): string | undefined {
  const scheme = /^([a-z0-9]+):\/\//i.exec(id ?? '')?.[1]?.toLowerCase();
  return scheme ? providerBySchema[scheme] ?? scheme : undefined;
}

/** The provider an API server URL names (`*.azmk8s.io` → `aks`, `*.eks.amazonaws.com` → `eks`), or undefined. */
export function providerOfServer(server: string): string | undefined {
  let host: string;
  try {
    host = new URL(server).hostname;
  } catch {
    return undefined;
  }
  if (/\.azmk8s\.io$/i.test(host)) return 'aks';
  if (/\.eks\.amazonaws\.com$/i.test(host)) return 'eks';
  return undefined;
}

/** The cluster's provider, or undefined when neither the nodes nor the server name say. */
export async function readProvider(client: KubeClient, budgetMs: number): Promise<string | undefined> {
  const fromNodes = await client.list<V1Node>({ apiVersion: 'v1', kind: 'Node' }, {}, { budgetMs })
    .then((l) => l.items.map((n) => providerOfProviderId(n.spec?.providerID)).find((p) => p !== undefined), () => undefined);
  return fromNodes ?? providerOfServer(client.server);
}
