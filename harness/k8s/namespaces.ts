import type { V1Namespace } from '@kubernetes/client-node';
import { heartbeatAnnotation } from '../cleanup/leftovers.ts';
import type { NamespaceMetadata } from '../mesh/mesh-profile.ts';
import { intervals } from '../timeouts.ts';
import { namespaceGone } from '../wait/conditions.ts';
import type { WaitResult } from '../wait/wait-for.ts';
import { WaitTimeoutError, waitFor } from '../wait/wait-for.ts';
import { finalizerHolders } from './namespace-contents.ts';
import type { KubeClient } from './kube-client.ts';
import { resourceTypes } from './resources.ts';
import { runLabels } from './run-labels.ts';
import { WatchedCollection } from './watched-collection.ts';

/** Prefix of every namespace a run creates (`mesh-conformance-<random>`). */
export const namespacePrefix = 'mesh-conformance-';

/** Creates a fresh namespace with a server-generated name, labelled with the run id and creation time. */
export async function createRunNamespace(client: KubeClient, runId: string, budgetMs: number): Promise<V1Namespace> {
  return client.create<V1Namespace>({
    apiVersion: 'v1', kind: 'Namespace',
    // The first heartbeat is written at creation: a concurrent run's sweep sees the run alive from the start.
    metadata: { generateName: namespacePrefix, labels: runLabels(runId), annotations: { [heartbeatAnnotation]: new Date().toISOString() } },
  }, { budgetMs });
}

/** Patches a namespace's labels and annotations (strategic merge), as a mesh's onboarding tool does. */
export async function patchNamespaceMetadata(client: KubeClient, name: string, metadata: NamespaceMetadata, budgetMs: number): Promise<V1Namespace> {
  return client.patch<V1Namespace>({ apiVersion: 'v1', kind: 'Namespace', name }, { metadata }, { budgetMs });
}

/**
 * Waits (watching) until the namespace no longer exists; the timeout names its phase, its conditions and the
 * objects in it whose finalizers hold it (found through discovery, within `budgetMs`).
 */
export async function waitForNamespaceGone(client: KubeClient, name: string, opts: { timeoutMs: number; signal?: AbortSignal; budgetMs?: number }): Promise<WaitResult<unknown>> {
  const deadline = Date.now() + opts.timeoutMs;
  const watched = await new WatchedCollection<V1Namespace>(client, resourceTypes.namespace, { fieldSelector: `metadata.name=${name}` }, opts.timeoutMs).start();
  try {
    return await waitFor({
      description: `Namespace ${name} to be deleted`,
      timeoutMs: Math.max(0, deadline - Date.now()),
      limitMs: opts.timeoutMs,
      signal: opts.signal,
      intervalMs: intervals.watchResync,
      changes: watched.subscribe,
      probe: () => namespaceGone(watched.get(name)),
    });
  } catch (err) {
    if (!(err instanceof WaitTimeoutError)) throw err;
    const holders = await finalizerHolders(client, name, { budgetMs: opts.budgetMs ?? 10_000 }).catch(() => []);
    if (!holders.length) throw err;
    const observed = `${err.lastObserved}; held by ${holders.join(', ')}`;
    throw new WaitTimeoutError(`${err.message}; held by ${holders.join(', ')}: remove the finalizers (their controller may be gone), e.g. \`kubectl patch -n ${name} <kind>/<name> --type merge -p '{"metadata":{"finalizers":null}}'\``, err.description, observed);
  } finally {
    await watched.stop();
  }
}
