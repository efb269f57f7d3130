import type { V1Pod } from '@kubernetes/client-node';
import type { KubeClient } from '../k8s/kube-client.ts';
import { resourceTypes } from '../k8s/resources.ts';
import { WatchedCollection } from '../k8s/watched-collection.ts';
import { intervals } from '../timeouts.ts';
import { newestPod, podRunningAndReady } from '../wait/conditions.ts';
import type { WaitResult } from '../wait/wait-for.ts';
import { waitFor } from '../wait/wait-for.ts';

/**
 * Waits, watching the namespace's pods, until the newest pod matching `selector` is Running with every
 * container ready; fails fast on Unschedulable, image-pull and crash-loop states with the reason quoted.
 */
export async function waitForPodRunningAndReady(
  client: KubeClient,
  namespace: string,
  selector: string,
  opts: { timeoutMs: number; signal?: AbortSignal; expectedContainers: number },
): Promise<WaitResult<V1Pod>> {
  const deadline = Date.now() + opts.timeoutMs;
  const pods = await new WatchedCollection<V1Pod>(client, resourceTypes.pod, { namespace, labelSelector: selector }, opts.timeoutMs).start();
  let seen: string | undefined;
  try {
    return await waitFor<V1Pod>({
      description: () => `Pod ${namespace}/${seen ?? `(${selector})`} to be Running with ${opts.expectedContainers}/${opts.expectedContainers} ready`,
      timeoutMs: Math.max(0, deadline - Date.now()),
      limitMs: opts.timeoutMs,
      signal: opts.signal,
      intervalMs: intervals.watchResync,
      changes: pods.subscribe,
      probe: () => {
        const pod = newestPod(pods.list());
        seen = pod?.metadata?.name ?? seen;
        const o = podRunningAndReady(pod);
        return pods.lastError && !o.done ? { ...o, observed: `${o.observed} (watch: ${pods.lastError})` } : o;
      },
    });
  } finally {
    await pods.stop();
  }
}
