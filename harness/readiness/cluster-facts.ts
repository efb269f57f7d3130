/**
 * Read-only facts about a cluster that the report's environment needs: the API server's version (the mesh's own
 * version comes from its profile). Every call is a GET with a deadline.
 */
import type { KubeConfig, VersionInfo } from '@kubernetes/client-node';
import { clientNode } from '../k8s/client-node.ts';
import { formatDuration } from '../timeouts.ts';
import { redactUrl } from '../report/redact.ts';

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
  return withDeadline(kc.makeApiClient(clientNode().VersionApi).getCode(), budgetMs, `GET /version on ${redactUrl(kc.getCurrentCluster()?.server ?? 'the API server')}`);
}
