/**
 * kube-controller-manager's deployment controller, reduced to what a conformance run observes:
 * one ReplicaSet per pod template (`<deployment>-<pod-template-hash>`), a rolling replacement that
 * scales old ReplicaSets down once the new one is ready, and the Deployment status that
 * `kubectl rollout status` and `kubectl get deploy` read.
 */
import type { KubeObject, ObjectStore, StoreEvent } from '../cluster/types.ts';
import { EventRecorder } from '../cluster/event-recorder.ts';
import {
  arr, clone, controllerOf, controllerRef, deepEqual, fnv32a, isOwnedBy, isTerminating, keyOf, num, nowTimestamp, obj,
  safeEncode, spec, splitKey, stableStringify, status,
} from './kube-objects.ts';
import { typeFor } from './resource-lookup.ts';
import { QueueController } from './queue-controller.ts';

export const podTemplateHashLabel = 'pod-template-hash';
const revisionAnnotation = 'deployment.kubernetes.io/revision';

/** The pod-template-hash of a Deployment's template: FNV-1a over the template, safe-encoded. */
export function podTemplateHash(template: unknown, collisionCount = 0): string {
  return safeEncode(String(fnv32a(stableStringify(template) + (collisionCount ? String(collisionCount) : ''))));
}

/** maxUnavailable resolved against the replica count (percentages round down, as for Deployments). */
function maxUnavailable(deployment: KubeObject, desired: number): number {
  const strategy = obj(spec(deployment)['strategy']);
  if (strategy['type'] === 'Recreate') return desired;
  const raw = obj(strategy['rollingUpdate'])['maxUnavailable'] ?? '25%';
  if (typeof raw === 'number') return Math.min(raw, desired);
  const text = typeof raw === 'string' ? raw : '25%';
  const match = /^(\d+)%$/.exec(text);
  return match ? Math.floor((desired * Number(match[1])) / 100) : Number(text) || 0;
}

function replicasOf(o: KubeObject): number {
  return num(spec(o)['replicas']) ?? 1;
}

function statusCount(o: KubeObject, field: string): number {
  return num(status(o)[field]) ?? 0;
}

export class DeploymentController extends QueueController {
  private readonly events: EventRecorder;

  constructor(store: ObjectStore) {
    super(store, { name: 'deployment', component: 'deployment-controller' });
    this.events = new EventRecorder(store, { component: 'deployment-controller' });
  }

  protected initialKeys(): string[] {
    return this.store.list(typeFor(this.store, 'Deployment')).items.map(keyOf);
  }

  protected onChange(event: StoreEvent): void {
    const kind = event.object.kind;
    if (kind === 'Deployment' && event.type !== 'DELETED') {
      this.queue.enqueue(keyOf(event.object));
    } else if (kind === 'ReplicaSet') {
      const owner = controllerOf(event.object);
      if (owner?.kind === 'Deployment') this.queue.enqueue(`${event.object.metadata.namespace ?? ''}/${owner.name}`);
    }
  }

  protected async reconcile(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const deployType = typeFor(this.store, 'Deployment');
    const rsType = typeFor(this.store, 'ReplicaSet');
    const deployment = this.store.get(deployType, namespace, name);
    if (!deployment || isTerminating(deployment)) return;

    const owned = this.store.list(rsType, { namespace }).items.filter((rs) => isOwnedBy(rs, deployment) && !isTerminating(rs));
    const template = obj(spec(deployment)['template']);
    const collisionCount = num(status(deployment)['collisionCount']) ?? 0;
    const hash = podTemplateHash(template, collisionCount);
    const desired = replicasOf(deployment);
    const paused = spec(deployment)['paused'] === true;

    let newRS = owned.find((rs) => rs.metadata.labels?.[podTemplateHashLabel] === hash);
    const oldRSs = owned.filter((rs) => rs !== newRS);
    const maxRevision = Math.max(0, ...owned.map((rs) => Number(rs.metadata.annotations?.[revisionAnnotation] ?? 0)));

    if (!newRS && !paused) {
      newRS = await this.createReplicaSet(deployment, template, hash, maxRevision + 1, desired);
    } else if (newRS && !paused && replicasOf(newRS) !== desired) {
      const from = replicasOf(newRS);
      newRS = await this.store.mutate(rsType, namespace, newRS.metadata.name ?? '', (rs) => {
        (rs['spec'] as Record<string, unknown>)['replicas'] = desired;
      });
      void this.events.record({ involved: deployment, type: 'Normal', reason: 'ScalingReplicaSet', message: `Scaled ${desired > from ? 'up' : 'down'} replica set ${newRS.metadata.name} from ${from} to ${desired}` });
    }

    // Rolling replacement, simplified: old ReplicaSets go to zero once the new one is fully ready,
    // or at once for the Recreate strategy. Availability is kept, which is what rollout checks need.
    const recreate = obj(spec(deployment)['strategy'])['type'] === 'Recreate';
    const newReady = newRS ? statusCount(newRS, 'readyReplicas') >= desired : false;
    if (!paused && (recreate || newReady)) {
      for (const rs of oldRSs) {
        if (replicasOf(rs) === 0) continue;
        const from = replicasOf(rs);
        await this.store.mutate(rsType, namespace, rs.metadata.name ?? '', (o) => {
          (o['spec'] as Record<string, unknown>)['replicas'] = 0;
        });
        void this.events.record({ involved: deployment, type: 'Normal', reason: 'ScalingReplicaSet', message: `Scaled down replica set ${rs.metadata.name} from ${from} to 0` });
      }
    }

    const revision = newRS?.metadata.annotations?.[revisionAnnotation];
    if (revision && deployment.metadata.annotations?.[revisionAnnotation] !== revision) {
      await this.store.mutate(deployType, namespace, name, (d) => {
        d.metadata.annotations = { ...(d.metadata.annotations ?? {}), [revisionAnnotation]: revision };
      });
    }
    await this.writeStatus(namespace, name, newRS);
  }

  private async createReplicaSet(deployment: KubeObject, template: Record<string, unknown>, hash: string, revision: number, replicas: number): Promise<KubeObject> {
    const rsType = typeFor(this.store, 'ReplicaSet');
    const podTemplate = clone(template);
    const templateMeta = obj(podTemplate['metadata']);
    templateMeta['labels'] = { ...(obj(templateMeta['labels']) as Record<string, string>), [podTemplateHashLabel]: hash };
    podTemplate['metadata'] = templateMeta;
    const selector = clone(obj(spec(deployment)['selector']));
    selector['matchLabels'] = { ...(obj(selector['matchLabels']) as Record<string, string>), [podTemplateHashLabel]: hash };
    const name = `${deployment.metadata.name}-${hash}`;
    const rs = await this.store.create(rsType, {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name,
        namespace: deployment.metadata.namespace,
        labels: templateMeta['labels'] as Record<string, string>,
        annotations: {
          'deployment.kubernetes.io/desired-replicas': String(replicas),
          'deployment.kubernetes.io/max-replicas': String(replicas + 1),
          [revisionAnnotation]: String(revision),
        },
        ownerReferences: [controllerRef(deployment)],
      },
      spec: { replicas, selector, template: podTemplate, ...(spec(deployment)['minReadySeconds'] !== undefined ? { minReadySeconds: spec(deployment)['minReadySeconds'] } : {}) },
    });
    void this.events.record({ involved: deployment, type: 'Normal', reason: 'ScalingReplicaSet', message: `Scaled up replica set ${name} from 0 to ${replicas}` });
    return rs;
  }

  private async writeStatus(namespace: string | undefined, name: string, newRS: KubeObject | undefined): Promise<void> {
    const deployType = typeFor(this.store, 'Deployment');
    const rsType = typeFor(this.store, 'ReplicaSet');
    const deployment = this.store.get(deployType, namespace, name);
    if (!deployment) return;
    const owned = this.store.list(rsType, { namespace }).items.filter((rs) => isOwnedBy(rs, deployment));
    const currentNew = newRS ? owned.find((rs) => rs.metadata.uid === newRS.metadata.uid) : undefined;
    const desired = replicasOf(deployment);
    const sum = (field: string) => owned.reduce((n, rs) => n + statusCount(rs, field), 0);
    const replicas = sum('replicas');
    const ready = sum('readyReplicas');
    const available = sum('availableReplicas');
    const updated = currentNew ? statusCount(currentNew, 'replicas') : 0;
    const unavailable = Math.max(0, desired - available);
    const isAvailable = available >= desired - maxUnavailable(deployment, desired);
    const complete = updated === desired && replicas === desired && available === desired;
    const rsName = currentNew?.metadata.name ?? '';

    const previous = arr(status(deployment)['conditions']);
    const now = nowTimestamp();
    const condition = (type: string, condStatus: string, reason: string, message: string): Record<string, unknown> => {
      const old = previous.find((c) => c['type'] === type);
      const same = old && old['status'] === condStatus && old['reason'] === reason && old['message'] === message;
      return {
        type,
        status: condStatus,
        lastUpdateTime: same ? old['lastUpdateTime'] : now,
        lastTransitionTime: old && old['status'] === condStatus ? old['lastTransitionTime'] : now,
        reason,
        message,
      };
    };
    const conditions = [
      isAvailable
        ? condition('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.')
        : condition('Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.'),
      complete
        ? condition('Progressing', 'True', 'NewReplicaSetAvailable', `ReplicaSet "${rsName}" has successfully progressed.`)
        : updated === 0 && rsName !== ''
          ? condition('Progressing', 'True', 'NewReplicaSetCreated', `Created new replica set "${rsName}"`)
          : condition('Progressing', 'True', 'ReplicaSetUpdated', `ReplicaSet "${rsName}" is progressing.`),
    ];
    // Zero counts are omitted, as the real API (omitempty) does.
    const next: Record<string, unknown> = {
      observedGeneration: deployment.metadata.generation ?? 1,
      ...(replicas ? { replicas } : {}),
      ...(updated ? { updatedReplicas: updated } : {}),
      ...(ready ? { readyReplicas: ready } : {}),
      ...(available ? { availableReplicas: available } : {}),
      ...(unavailable ? { unavailableReplicas: unavailable } : {}),
      conditions,
      ...(status(deployment)['collisionCount'] !== undefined ? { collisionCount: status(deployment)['collisionCount'] } : {}),
    };
    if (deepEqual(next, deployment['status'])) return;
    await this.store.mutate(deployType, namespace, name, (d) => {
      d['status'] = next;
    }, { subresource: 'status' });
  }
}

/** Exposed for tests: the revision annotation key. */
export const deploymentRevisionAnnotation = revisionAnnotation;
