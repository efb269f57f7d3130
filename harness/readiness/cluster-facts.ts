/**
 * Read-only facts about a cluster that both the readiness check and the report's environment need: the API
 * server's version and the version of the mesh control plane. Every call is a GET with a deadline.
 */
import type { KubeConfig, V1Deployment, VersionInfo } from '@kubernetes/client-node';
import { VersionApi } from '@kubernetes/client-node';
import type { KubeClient } from '../k8s/kube-client.ts';
import { resourceTypes } from '../k8s/resources.ts';
import { formatDuration } from '../timeouts.ts';

/** Rejects with `what did not answer within <limit>` when `promise` takes longer than `ms`. */
export async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${formatDuration(ms)}`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** `GET /version`: the API server's build (gitVersion `v1.29.4`, platform). */
export async function readServerVersion(kc: KubeConfig, budgetMs: number): Promise<VersionInfo> {
  return withDeadline(kc.makeApiClient(VersionApi).getCode(), budgetMs, `GET /version on ${kc.getCurrentCluster()?.server ?? 'the API server'}`);
}

/** The deployment whose labels carry the mesh version (OSM: osm-controller). */
export const meshVersionSource = { deployment: 'osm-controller', label: 'app.kubernetes.io/version' } as const;

/**
 * The OSM control plane's version: the `app.kubernetes.io/version` label of the osm-controller Deployment (what
 * `osm version` reports), else its image tag; undefined when there is no osm-controller in `meshNamespace`.
 */
export async function readMeshVersion(client: KubeClient, meshNamespace: string, budgetMs: number): Promise<string | undefined> {
  const d = await client.read<V1Deployment>({ ...resourceTypes.deployment, namespace: meshNamespace, name: meshVersionSource.deployment }, { budgetMs });
  if (!d) return undefined;
  return meshVersionOf(d);
}

/** The version a control-plane Deployment declares (label, else the tag of its first image). */
export function meshVersionOf(d: V1Deployment): string | undefined {
  const label = d.metadata?.labels?.[meshVersionSource.label];
  if (label) return label;
  const image = d.spec?.template.spec?.containers[0]?.image;
  const tag = image?.includes(':') ? image.slice(image.lastIndexOf(':') + 1) : undefined;
  return tag && !tag.includes('/') ? tag : undefined;
}
