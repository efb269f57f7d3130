/**
 * Installs a flavor into a store (nodes, namespaces, CRDs, OSM, ingress) and waits until its
 * workloads run. Objects go through store.create like `kubectl apply`, so defaulting, admission and the
 * controllers treat them as any other object; already existing objects are left as they are.
 */
import type { KubeObject, ObjectStore, StoreEvent } from '../cluster/types.ts';
import { ApiError } from '../cluster/types.ts';
import { matchesLabelSelector } from '../controllers/label-selector.ts';
import type { LabelSelector } from '../controllers/label-selector.ts';
import { arr, isPodReady, isTerminating, num, obj, podPhase, spec, status, str } from '../controllers/kube-objects.ts';
import { typeFor } from '../controllers/resource-lookup.ts';
import type { SimHooks } from '../hooks.ts';
import type { AwaitedWorkload, Flavor } from './flavor.ts';

/** Creates `object` unless an object of that kind and name exists. Returns whether it was created. */
export async function createIfMissing(store: ObjectStore, object: KubeObject): Promise<boolean> {
  const type = store.types.byKind(object.kind, object.apiVersion);
  if (!type) throw new Error(`cannot install ${object.kind} ${object.metadata.name}: kind ${object.apiVersion}/${object.kind} is not served (is its CRD installed?)`);
  if (store.get(type, object.metadata.namespace, object.metadata.name ?? '')) return false;
  try {
    await store.create(type, object);
    return true;
  } catch (error) {
    if (error instanceof ApiError && error.code === 409) return false;
    throw new Error(`cannot install ${object.kind} ${object.metadata.namespace ? `${object.metadata.namespace}/` : ''}${object.metadata.name}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Creates the flavor's nodes and objects in order. */
export async function installFlavor(store: ObjectStore, flavor: Flavor, hooks: SimHooks): Promise<void> {
  for (const node of flavor.nodes(hooks)) await createIfMissing(store, node);
  for (const object of flavor.objects(hooks)) await createIfMissing(store, object);
}

/** One line per awaited workload describing its pods, for progress and timeout messages. */
export function describeWorkloads(store: ObjectStore, workloads: AwaitedWorkload[]): string[] {
  return workloads.map((w) => {
    const d = store.get(typeFor(store, 'Deployment'), w.namespace, w.name);
    if (!d) return `${w.namespace}/${w.name}: Deployment not found`;
    const pods = podsOf(store, d);
    const podText = pods.length === 0 ? 'no pods' : pods.map((p) => `${p.metadata.name} ${podSummary(p)}`).join(', ');
    return `${w.namespace}/${w.name}: ${pods.filter(isPodReady).length}/${num(spec(d)['replicas']) ?? 1} ready (${podText})`;
  });
}

function podsOf(store: ObjectStore, d: KubeObject): KubeObject[] {
  const selector = obj(spec(d)['selector']) as LabelSelector;
  return store.list(typeFor(store, 'Pod'), { namespace: d.metadata.namespace }).items.filter((p) => !isTerminating(p) && matchesLabelSelector(selector, p.metadata.labels));
}

function podSummary(pod: KubeObject): string {
  const phase = podPhase(pod);
  const waiting = [...arr(status(pod)['initContainerStatuses']), ...arr(status(pod)['containerStatuses'])]
    .map((c) => str(obj(obj(c['state'])['waiting'])['reason']))
    .find((r) => r !== undefined);
  const unschedulable = arr(status(pod)['conditions']).find((c) => c['type'] === 'PodScheduled' && c['status'] === 'False');
  if (unschedulable) return `${phase}: ${str(unschedulable['message']) ?? 'Unschedulable'}`;
  return waiting ? `${phase}/${waiting}` : phase;
}

function workloadReady(store: ObjectStore, w: AwaitedWorkload): boolean {
  const d = store.get(typeFor(store, 'Deployment'), w.namespace, w.name);
  if (!d) return false;
  const want = num(spec(d)['replicas']) ?? 1;
  const pods = podsOf(store, d);
  return pods.filter((p) => podPhase(p) === 'Running' && isPodReady(p)).length >= want;
}

/**
 * Resolves once every awaited workload has its replicas Running and Ready, re-checking on each store
 * change (no polling). Rejects after `timeoutMs` naming each workload and the state last seen.
 */
export function waitForWorkloads(store: ObjectStore, workloads: AwaitedWorkload[], timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let done = false;
    const check = (event?: StoreEvent): void => {
      if (done) return;
      if (event && event.object.kind !== 'Pod' && event.object.kind !== 'Deployment') return;
      if (!workloads.every((w) => workloadReady(store, w))) return;
      done = true;
      clearTimeout(timer);
      unsubscribe();
      resolve();
    };
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      unsubscribe();
      reject(new Error(`Timed out after ${Math.round(timeoutMs / 1000)}s waiting for the control-plane pods to be Running and Ready; last seen:\n  ${describeWorkloads(store, workloads).join('\n  ')}`));
    }, timeoutMs);
    const unsubscribe = store.onChange(check);
    check();
  });
}
