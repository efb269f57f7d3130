import type { V1Pod, V1ReplicaSet } from '@kubernetes/client-node';
import type { KubeClient } from '../k8s/kube-client.ts';
import { resourceTypes } from '../k8s/resources.ts';
import { WatchedCollection } from '../k8s/watched-collection.ts';
import { intervals } from '../timeouts.ts';
import { newestPod, podRunningAndReady } from '../wait/conditions.ts';
import type { WaitResult } from '../wait/wait-for.ts';
import { waitFor } from '../wait/wait-for.ts';

/**
 * Waits, watching the namespace's pods and ReplicaSets, until the newest pod matching `selector` is Running with every
 * container ready; fails fast on Unschedulable, image-pull and crash-loop states, and when the ReplicaSet cannot
 * create the pod at all (admission refused it: `ReplicaFailure` FailedCreate), with the reason quoted.
 */
export async function waitForPodRunningAndReady(
  client: KubeClient,
  namespace: string,
  selector: string,
  opts: { timeoutMs: number; signal?: AbortSignal; expectedContainers: number },
): Promise<WaitResult<V1Pod>> {
  const deadline = Date.now() + opts.timeoutMs;
  const pods = await new WatchedCollection<V1Pod>(client, resourceTypes.pod, { namespace, labelSelector: selector }, opts.timeoutMs).start();
  const sets = await new WatchedCollection<V1ReplicaSet>(client, replicaSetType, { namespace, labelSelector: selector }, opts.timeoutMs).start();
  let seen: string | undefined;
  try {
    return await waitFor<V1Pod>({
      description: () => `Pod ${namespace}/${seen ?? `(${selector})`} to be Running with ${opts.expectedContainers}/${opts.expectedContainers} ready`,
      timeoutMs: Math.max(0, deadline - Date.now()),
      limitMs: opts.timeoutMs,
      signal: opts.signal,
      intervalMs: intervals.watchResync,
      changes: (notify) => {
        const a = pods.subscribe(notify);
        const b = sets.subscribe(notify);
        return () => { a(); b(); };
      },
      probe: () => {
        const pod = newestPod(pods.list());
        seen = pod?.metadata?.name ?? seen;
        const o = podRunningAndReady(pod);
        if (!o.done && !o.failure) {
          const refused = replicaSetCannotCreate(newestReplicaSet(sets.list()));
          if (refused) return { ...o, failure: refused };
        }
        return pods.lastError && !o.done ? { ...o, observed: `${o.observed} (watch: ${pods.lastError})` } : o;
      },
    });
  } finally {
    await Promise.all([pods.stop(), sets.stop()]);
  }
}

const replicaSetType = { apiVersion: 'apps/v1', kind: 'ReplicaSet', plural: 'replicasets', namespaced: true } as const;

function newestReplicaSet(sets: V1ReplicaSet[]): V1ReplicaSet | undefined {
  return [...sets].sort((a, b) => String(b.metadata?.creationTimestamp ?? '').localeCompare(String(a.metadata?.creationTimestamp ?? '')))[0];
}

/**
 * Why the ReplicaSet cannot create its pods, when kube-controller-manager says so (`ReplicaFailure`, reason
 * FailedCreate: admission refused the pod, a quota, a policy engine); undefined otherwise. Waiting cannot fix it: the
 * controller retries the same create.
 */
export function replicaSetCannotCreate(rs: V1ReplicaSet | undefined): string | undefined {
  const c = rs?.status?.conditions?.find((x) => x.type === 'ReplicaFailure' && x.status === 'True');
  return c ? `ReplicaSet ${rs?.metadata?.namespace ?? ''}/${rs?.metadata?.name ?? ''} cannot create its pods (${c.reason ?? 'ReplicaFailure'}): ${c.message ?? 'no message'}` : undefined;
}
