import type { V1Namespace } from '@kubernetes/client-node';
import type { KubeClient } from '../k8s/kube-client.ts';
import { heartbeat, heartbeatAnnotation } from './leftovers.ts';

/** A running heartbeat; `stop()` ends it (the lease then goes stale and a sweep may take the namespace). */
export interface Heartbeat {
  /** The last renewal error, if the last renewal failed (the next one retries). */
  readonly lastError: string | undefined;
  stop(): void;
}

/**
 * Renews the run's lease on its namespace (the `mesh-conformance.io/heartbeat` annotation, an ISO time) every
 * `intervalMs`, so that a concurrent run's sweep can tell a live run from a dead one whatever the TTL.
 * Use it for as long as the run owns the namespace; a failed renewal is retried at the next tick.
 */
export function startHeartbeat(client: KubeClient, namespace: string, opts: { budgetMs: number; intervalMs?: number }): Heartbeat {
  let lastError: string | undefined;
  let inFlight = false;
  const renew = (): void => {
    if (inFlight) return;
    inFlight = true;
    client.patch<V1Namespace>({ apiVersion: 'v1', kind: 'Namespace', name: namespace },
      { metadata: { annotations: { [heartbeatAnnotation]: new Date().toISOString() } } }, { budgetMs: opts.budgetMs })
      .then(() => { lastError = undefined; }, (err: unknown) => { lastError = err instanceof Error ? err.message : String(err); })
      .finally(() => { inFlight = false; });
  };
  const timer = setInterval(renew, opts.intervalMs ?? heartbeat.intervalMs);
  timer.unref();
  return {
    get lastError() { return lastError; },
    stop: () => clearInterval(timer),
  };
}
