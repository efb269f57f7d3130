/**
 * Read-only facts about a cluster that the report's environment needs: the API server's version (the mesh's own
 * version comes from its profile). Every call is a GET with a deadline.
 */
import type { VersionInfo } from '@kubernetes/client-node';
import type { KubeClient } from '../k8s/kube-client.ts';
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
export async function readServerVersion(client: KubeClient, budgetMs: number): Promise<VersionInfo> {
  return client.getJson<VersionInfo>('/version', { budgetMs });
}
