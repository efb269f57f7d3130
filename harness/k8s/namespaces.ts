import type { V1Namespace } from '@kubernetes/client-node';
import { heartbeatAnnotation } from '../cleanup/leftovers.ts';
import type { MeshProfile } from '../mesh/mesh-profile.ts';
import { intervals } from '../timeouts.ts';
import { namespaceGone } from '../wait/conditions.ts';
import type { WaitResult } from '../wait/wait-for.ts';
import { waitFor } from '../wait/wait-for.ts';
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

/** Onboards a namespace into the mesh as `osm namespace add` does (strategic-merge PATCH of labels and annotations). */
export async function onboardNamespace(client: KubeClient, mesh: MeshProfile, name: string, budgetMs: number): Promise<V1Namespace> {
  return client.patch<V1Namespace>({ apiVersion: 'v1', kind: 'Namespace', name }, { metadata: mesh.onboardNamespacePatch() }, { budgetMs });
}

/** Enables metrics for a namespace as `osm metrics enable` does (before workloads start: injection reads it at pod CREATE). */
export async function enableNamespaceMetrics(client: KubeClient, mesh: MeshProfile, name: string, budgetMs: number): Promise<V1Namespace> {
  return client.patch<V1Namespace>({ apiVersion: 'v1', kind: 'Namespace', name }, { metadata: mesh.enableMetricsPatch() }, { budgetMs });
}

/** Waits (watching) until the namespace no longer exists; the timeout names its phase and finalizers. */
export async function waitForNamespaceGone(client: KubeClient, name: string, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<WaitResult<unknown>> {
  const watched = await new WatchedCollection<V1Namespace>(client, resourceTypes.namespace, { fieldSelector: `metadata.name=${name}` }, opts.timeoutMs).start();
  try {
    return await waitFor({
      description: `Namespace ${name} to be deleted`,
      timeoutMs: opts.timeoutMs,
      signal: opts.signal,
      intervalMs: intervals.watchResync,
      changes: watched.subscribe,
      probe: () => namespaceGone(watched.get(name)),
    });
  } finally {
    await watched.stop();
  }
}
