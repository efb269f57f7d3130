/**
 * kube-controller-manager's daemonset controller, reduced to what the simulated clusters run (the AKS Istio CNI
 * node agent): one pod per node that the pod template's nodeSelector and tolerations admit, named
 * `<ds>-<5 random>`, owned by the DaemonSet and pinned to its node with the node affinity upstream uses
 * (`matchFields metadata.name In [<node>]`, so the default scheduler binds it); pods on nodes that no longer fit
 * are deleted, deleted pods recreated; status counts desired, current, ready and available pods. Pod creation goes
 * through the store, so admission applies. Rolling updates of the template are not modelled (pods keep their spec).
 */
import type { KubeObject, ObjectStore, StoreEvent } from '../cluster/types.ts';
import { ApiError } from '../cluster/types.ts';
import { EventRecorder } from '../cluster/event-recorder.ts';
import { unfitReason } from '../node/scheduler.ts';
import { arr, clone, controllerOf, controllerRef, isOwnedBy, isPodReady, isTerminating, keyOf, obj, podPhase, randomSuffix, spec, splitKey, status } from './kube-objects.ts';
import { QueueController } from './queue-controller.ts';
import { typeFor } from './resource-lookup.ts';

/** The node a DaemonSet pod is pinned to (its matchFields term), if any. */
export function pinnedNode(pod: KubeObject): string | undefined {
  if (typeof spec(pod)['nodeName'] === 'string') return spec(pod)['nodeName'] as string;
  const terms = arr(obj(obj(obj(spec(pod)['affinity'])['nodeAffinity'])['requiredDuringSchedulingIgnoredDuringExecution'])['nodeSelectorTerms']);
  for (const term of terms) {
    const field = arr(term['matchFields']).find((f) => f['key'] === 'metadata.name' && f['operator'] === 'In');
    const values = field?.['values'];
    if (Array.isArray(values) && typeof values[0] === 'string') return values[0];
  }
  return undefined;
}

export class DaemonSetController extends QueueController {
  private readonly events: EventRecorder;

  constructor(store: ObjectStore) {
    super(store, { name: 'daemonset', component: 'daemonset-controller', baseBackoffMs: 250, maxBackoffMs: 5_000 });
    this.events = new EventRecorder(store, { component: 'daemonset-controller' });
  }

  protected initialKeys(): string[] {
    return this.store.list(typeFor(this.store, 'DaemonSet')).items.map(keyOf);
  }

  protected onChange(event: StoreEvent): void {
    const kind = event.object.kind;
    if (kind === 'DaemonSet' && event.type !== 'DELETED') this.queue.enqueue(keyOf(event.object));
    else if (kind === 'Pod') {
      const owner = controllerOf(event.object);
      if (owner?.kind === 'DaemonSet') this.queue.enqueue(`${event.object.metadata.namespace ?? ''}/${owner.name}`);
    } else if (kind === 'Node') {
      for (const key of this.initialKeys()) this.queue.enqueue(key);
    }
  }

  protected async reconcile(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const dsType = typeFor(this.store, 'DaemonSet');
    const podType = typeFor(this.store, 'Pod');
    const ds = this.store.get(dsType, namespace, name);
    if (!ds || isTerminating(ds)) return;
    const template = obj(spec(ds)['template']);
    const nodes = this.store.list(typeFor(this.store, 'Node')).items;
    // A node fits when the pod template would schedule there (nodeSelector, affinity, taints), as upstream checks.
    const probe = (node: KubeObject): boolean => unfitReason({ apiVersion: 'v1', kind: 'Pod', metadata: {}, spec: obj(template['spec']) }, node) === undefined;
    const wanted = nodes.filter(probe).map((n) => n.metadata.name ?? '');
    const pods = this.store.list(podType, { namespace }).items.filter((p) => isOwnedBy(p, ds) && !isTerminating(p));

    for (const pod of pods) {
      const node = pinnedNode(pod);
      if (node === undefined || !wanted.includes(node) || podPhase(pod) === 'Failed') {
        await this.store.delete(podType, namespace, pod.metadata.name ?? '', { propagationPolicy: 'Background' }).catch(() => undefined);
      }
    }
    for (const node of wanted) {
      if (pods.some((p) => pinnedNode(p) === node)) continue;
      await this.createPod(ds, template, node);
    }

    const current = this.store.list(podType, { namespace }).items.filter((p) => isOwnedBy(p, ds) && !isTerminating(p));
    const ready = current.filter((p) => isPodReady(p)).length;
    const next = {
      currentNumberScheduled: current.length,
      desiredNumberScheduled: wanted.length,
      numberMisscheduled: 0,
      numberReady: ready,
      numberAvailable: ready,
      ...(wanted.length - ready > 0 ? { numberUnavailable: wanted.length - ready } : {}),
      updatedNumberScheduled: current.length,
      observedGeneration: ds.metadata.generation ?? 1,
    };
    if (JSON.stringify(status(ds)) === JSON.stringify(next)) return;
    await this.store.mutate(dsType, namespace, name, (o) => {
      o['status'] = next;
    }, { subresource: 'status' }).catch(() => undefined);
  }

  private async createPod(ds: KubeObject, template: Record<string, unknown>, node: string): Promise<void> {
    const meta = obj(template['metadata']);
    const podSpec = clone(obj(template['spec']));
    const affinity = obj(podSpec['affinity']);
    podSpec['affinity'] = {
      ...affinity,
      nodeAffinity: {
        ...obj(affinity['nodeAffinity']),
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] }],
        },
      },
    };
    // The tolerations upstream adds to every DaemonSet pod, so node conditions never evict or block it.
    const tolerations = arr(podSpec['tolerations']);
    for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable', 'node.kubernetes.io/disk-pressure', 'node.kubernetes.io/memory-pressure', 'node.kubernetes.io/pid-pressure', 'node.kubernetes.io/unschedulable']) {
      const effect = key.endsWith('ready') || key.endsWith('unreachable') ? 'NoExecute' : 'NoSchedule';
      if (!tolerations.some((t) => t['key'] === key)) tolerations.push({ key, operator: 'Exists', effect });
    }
    podSpec['tolerations'] = tolerations;
    const pod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: `${ds.metadata.name ?? ''}-${randomSuffix()}`,
        namespace: ds.metadata.namespace,
        labels: { ...(meta['labels'] as Record<string, string> | undefined), 'controller-revision-hash': randomSuffix(10), 'pod-template-generation': String(ds.metadata.generation ?? 1) },
        ...(meta['annotations'] ? { annotations: clone(meta['annotations'] as Record<string, string>) } : {}),
        ownerReferences: [controllerRef(ds)],
      },
      spec: podSpec,
    };
    try {
      const created = await this.store.create(typeFor(this.store, 'Pod'), pod);
      await this.events.record({ involved: ds, type: 'Normal', reason: 'SuccessfulCreate', message: `Created pod: ${created.metadata.name ?? ''}` });
    } catch (error) {
      const message = error instanceof ApiError ? error.message : String(error);
      await this.events.record({ involved: ds, type: 'Warning', reason: 'FailedCreate', message: `Error creating: ${message}` });
      throw error;
    }
  }
}
