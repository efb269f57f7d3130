/**
 * kube-controller-manager's replicaset controller: keeps `spec.replicas` pods (`<rs>-<5 random>`) owned by
 * each ReplicaSet, recreates deleted ones, and reports the counts Deployments aggregate. Pod creation
 * goes through the store, so admission (the OSM injector) mutates or rejects it as in a real cluster;
 * a rejected create becomes a FailedCreate event and is retried with backoff.
 */
import type { KubeObject, ObjectStore, StoreEvent } from '../cluster/types.ts';
import { ApiError } from '../cluster/types.ts';
import { matchesLabelSelector } from './label-selector.ts';
import type { LabelSelector } from './label-selector.ts';
import { EventRecorder } from '../cluster/event-recorder.ts';
import {
  clone, controllerOf, controllerRef, deepEqual, isOwnedBy, isPodReady, isTerminating, keyOf, num, obj, podPhase,
  randomSuffix, spec, splitKey, status,
} from './kube-objects.ts';
import { typeFor } from './resource-lookup.ts';
import { QueueController } from './queue-controller.ts';

function isActive(pod: KubeObject): boolean {
  const phase = podPhase(pod);
  return !isTerminating(pod) && phase !== 'Succeeded' && phase !== 'Failed';
}

/** Which surplus pod to delete first: unscheduled, then not ready, then the newest (as upstream ranks them). */
function deletionRank(pod: KubeObject): [number, number, string] {
  const scheduled = typeof spec(pod)['nodeName'] === 'string' ? 1 : 0;
  return [scheduled, isPodReady(pod) ? 1 : 0, String(pod.metadata.creationTimestamp ?? '')];
}

export class ReplicaSetController extends QueueController {
  private readonly events: EventRecorder;
  /** The last pod-create error of each ReplicaSet (`ns/name`), reported as its ReplicaFailure condition until a create succeeds. */
  private readonly createFailures = new Map<string, string>();

  constructor(store: ObjectStore) {
    super(store, { name: 'replicaset', component: 'replicaset-controller', baseBackoffMs: 250, maxBackoffMs: 5_000 });
    this.events = new EventRecorder(store, { component: 'replicaset-controller' });
  }

  protected initialKeys(): string[] {
    return this.store.list(typeFor(this.store, 'ReplicaSet')).items.map(keyOf);
  }

  protected onChange(event: StoreEvent): void {
    const kind = event.object.kind;
    if (kind === 'ReplicaSet' && event.type !== 'DELETED') {
      this.queue.enqueue(keyOf(event.object));
    } else if (kind === 'Pod') {
      const owner = controllerOf(event.object);
      if (owner?.kind === 'ReplicaSet') this.queue.enqueue(`${event.object.metadata.namespace ?? ''}/${owner.name}`);
    }
  }

  protected async reconcile(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const rsType = typeFor(this.store, 'ReplicaSet');
    const podType = typeFor(this.store, 'Pod');
    const rs = this.store.get(rsType, namespace, name);
    if (!rs || isTerminating(rs)) return;

    const pods = this.store.list(podType, { namespace }).items.filter((p) => isOwnedBy(p, rs) && isActive(p));
    const desired = num(spec(rs)['replicas']) ?? 1;
    if (pods.length < desired) {
      for (let i = pods.length; i < desired; i++) {
        const created = await this.createPod(rs);
        if (!created) break;
      }
    } else if (pods.length > desired) {
      const surplus = [...pods].sort((a, b) => {
        const ra = deletionRank(a);
        const rb = deletionRank(b);
        return ra[0] - rb[0] || ra[1] - rb[1] || (ra[2] < rb[2] ? 1 : ra[2] > rb[2] ? -1 : 0);
      }).slice(0, pods.length - desired);
      for (const pod of surplus) {
        try {
          await this.store.delete(podType, namespace, pod.metadata.name ?? '');
          void this.events.record({ involved: rs, type: 'Normal', reason: 'SuccessfulDelete', message: `Deleted pod: ${pod.metadata.name}` });
        } catch (error) {
          if (!(error instanceof ApiError && error.code === 404)) throw error;
        }
      }
    }
    await this.writeStatus(namespace, name);
  }

  /** Creates one pod from the template; false (and a retry later) when admission or the store refuses. */
  private async createPod(rs: KubeObject): Promise<boolean> {
    const podType = typeFor(this.store, 'Pod');
    const template = obj(spec(rs)['template']);
    const templateMeta = obj(template['metadata']);
    const podName = `${rs.metadata.name}-${randomSuffix()}`;
    try {
      await this.store.create(podType, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: podName,
          generateName: `${rs.metadata.name}-`,
          namespace: rs.metadata.namespace,
          labels: clone(obj(templateMeta['labels']) as Record<string, string>),
          ...(templateMeta['annotations'] ? { annotations: clone(obj(templateMeta['annotations']) as Record<string, string>) } : {}),
          ownerReferences: [controllerRef(rs)],
        },
        spec: clone(obj(template['spec'])),
        status: { phase: 'Pending' },
      });
      void this.events.record({ involved: rs, type: 'Normal', reason: 'SuccessfulCreate', message: `Created pod: ${podName}` });
      this.createFailures.delete(`${rs.metadata.namespace ?? ''}/${rs.metadata.name}`);
      return true;
    } catch (error) {
      if (error instanceof ApiError && error.code === 409) return true; // name clash: the next pass creates another
      const message = error instanceof Error ? error.message : String(error);
      void this.events.record({ involved: rs, type: 'Warning', reason: 'FailedCreate', message: `Error creating: ${message}` });
      // As kube-controller-manager's ReplicaSet controller: the error becomes the ReplicaFailure condition (FailedCreate).
      this.createFailures.set(`${rs.metadata.namespace ?? ''}/${rs.metadata.name}`, message);
      await this.writeStatus(rs.metadata.namespace, rs.metadata.name ?? '');
      throw error; // the queue retries with backoff, as the real controller does
    }
  }

  private async writeStatus(namespace: string | undefined, name: string): Promise<void> {
    const rsType = typeFor(this.store, 'ReplicaSet');
    const podType = typeFor(this.store, 'Pod');
    const rs = this.store.get(rsType, namespace, name);
    if (!rs) return;
    const pods = this.store.list(podType, { namespace }).items.filter((p) => isOwnedBy(p, rs) && isActive(p));
    const selector = obj(spec(rs)['selector']) as LabelSelector;
    const replicas = pods.length;
    const labeled = pods.filter((p) => matchesLabelSelector(selector, p.metadata.labels)).length;
    const ready = pods.filter(isPodReady).length;
    const failure = this.createFailures.get(`${namespace ?? ''}/${name}`);
    const previous = (status(rs)['conditions'] as { type?: string; message?: string; lastTransitionTime?: string }[] | undefined)?.find((c) => c.type === 'ReplicaFailure');
    const next: Record<string, unknown> = {
      replicas,
      ...(labeled ? { fullyLabeledReplicas: labeled } : {}),
      ...(ready ? { readyReplicas: ready, availableReplicas: ready } : {}),
      observedGeneration: rs.metadata.generation ?? 1,
      ...(failure ? { conditions: [{ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: failure, lastTransitionTime: previous?.message === failure ? previous.lastTransitionTime : new Date().toISOString() }] } : {}),
    };
    if (deepEqual(next, status(rs))) return;
    await this.store.mutate(rsType, namespace, name, (o) => {
      o['status'] = next;
    }, { subresource: 'status' });
  }
}
