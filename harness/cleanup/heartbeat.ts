import type { V1Namespace } from '@kubernetes/client-node';
import type { KubeClient } from '../k8s/kube-client.ts';
import { heartbeat, heartbeatAnnotation } from './leftovers.ts';

/** A running heartbeat; `stop()` ends it (the lease then goes stale and a sweep may take the namespace). */
export interface Heartbeat {
  /** The last renewal error, if the last renewal failed (the next one retries). */
  readonly lastError: string | undefined;
  /** Stops renewing, and waits for a renewal in flight (so a release after it is not overwritten). */
  stop(): Promise<void>;
}

/**
 * Renews the run's lease on its namespace (the `mesh-conformance.io/heartbeat` annotation, an ISO time) every
 * `intervalMs`, so that a concurrent run's sweep can tell a live run from a dead one whatever the TTL.
 * Use it for as long as the run owns the namespace; a failed renewal is retried at the next tick.
 */
export function startHeartbeat(client: KubeClient, namespace: string, opts: { budgetMs: number; intervalMs?: number }): Heartbeat {
  let lastError: string | undefined;
  let inFlight: Promise<void> | undefined;
  const renew = (): void => {
    if (inFlight) return;
    inFlight = client.patch<V1Namespace>({ apiVersion: 'v1', kind: 'Namespace', name: namespace },
      { metadata: { annotations: { [heartbeatAnnotation]: new Date().toISOString() } } }, { budgetMs: opts.budgetMs })
      .then(() => { lastError = undefined; }, (err: unknown) => { lastError = err instanceof Error ? err.message : String(err); })
      .finally(() => { inFlight = undefined; });
  };
  const timer = setInterval(renew, opts.intervalMs ?? heartbeat.intervalMs);
  timer.unref();
  return {
    get lastError() { return lastError; },
    stop: async () => {
      clearInterval(timer);
      await inFlight;
    },
  };
}

/**
 * Releases the lease of a namespace the run leaves behind on purpose (kept on failure): without a heartbeat it
 * counts as a dead run's at once, so `mesh-conformance cleanup` (or a later run, past the TTL) may take it.
 */
export async function releaseHeartbeat(client: KubeClient, namespace: string, opts: { budgetMs: number }): Promise<void> {
  await client.patch<V1Namespace>({ apiVersion: 'v1', kind: 'Namespace', name: namespace },
    { metadata: { annotations: { [heartbeatAnnotation]: null } } }, { budgetMs: opts.budgetMs });
}
