import type { KubernetesObject } from '@kubernetes/client-node';
import type { ObjectVerdict } from '../ingress/ingress-profile.ts';
import type { KubeClient } from '../k8s/kube-client.ts';
import type { ResourceType } from '../k8s/resources.ts';
import { WatchedCollection } from '../k8s/watched-collection.ts';
import { intervals } from '../timeouts.ts';
import type { Condition, WaitResult } from './wait-for.ts';
import { waitFor } from './wait-for.ts';

/**
 * Waits, watching one object by name, until `condition` holds (or reports a failure). Use it for status
 * convergence of a single object: an Ingress address, a policy being accepted.
 */
export async function waitForObject<O extends KubernetesObject, T>(client: KubeClient, type: ResourceType, namespace: string | undefined, name: string,
  description: string, condition: Condition<O, T>, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<WaitResult<T>> {
  const deadline = Date.now() + opts.timeoutMs;
  const watched = await new WatchedCollection<O>(client, type, { ...(namespace !== undefined ? { namespace } : {}), fieldSelector: `metadata.name=${name}` }, opts.timeoutMs).start();
  try {
    return await waitFor<T>({
      description, timeoutMs: Math.max(0, deadline - Date.now()), limitMs: opts.timeoutMs, signal: opts.signal, intervalMs: intervals.watchResync,
      changes: watched.subscribe,
      probe: () => {
        const o = condition(watched.get(name));
        // The type itself is gone (its CRD deleted): no status will ever come.
        if (watched.notServed && !o.done) return { ...o, failure: `${watched.notServed}; its CustomResourceDefinition was deleted or is not installed` };
        return watched.lastError && !o.done ? { ...o, observed: `${o.observed} (watch: ${watched.lastError})` } : o;
      },
    });
  } finally {
    await watched.stop();
  }
}

/** Waits for an ingress profile's verdict on one object (a Gateway programmed, an Ingress with an address). */
export async function waitForVerdict<T>(client: KubeClient, v: ObjectVerdict<T>, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<WaitResult<T>> {
  return waitForObject<KubernetesObject, T>(client, v.type, v.namespace, v.name, v.description, (obj) => v.verdict(obj), opts);
}
