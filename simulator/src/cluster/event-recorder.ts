/**
 * Records core/v1 Events the way client-go's event recorder does, so `kubectl describe` and
 * `kubectl get events` show what the simulated kubelet, scheduler and controllers did. Repeated events
 * (same object, field path, type, reason and message) are aggregated into one Event whose `count` and
 * `lastTimestamp` grow. Use one recorder per emitting component.
 */
import { randomBytes } from 'node:crypto';
import type { KubeObject, ObjectStore } from './types.ts';

export const eventTypes = ['Normal', 'Warning'] as const;
export type EventType = (typeof eventTypes)[number];

export interface EventSource {
  component: string; // 'kubelet', 'default-scheduler', 'deployment-controller', 'nginx-ingress-controller'
  host?: string;
}

export interface EventInput {
  involved: KubeObject;
  /** e.g. `spec.containers{httpbin}`, as the kubelet sets it for container events. */
  fieldPath?: string;
  type: EventType;
  reason: string;
  message: string;
}

export class EventRecorder {
  /** Aggregation key -> name of the Event in the store. */
  private readonly recorded = new Map<string, { namespace: string; name: string }>();
  private pending: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: ObjectStore,
    private readonly source: EventSource,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /**
   * Records an event. Never rejects: recording is best effort, as in client-go, so a dropped Event cannot
   * break a pod's lifecycle. Writes are serialised so aggregated counts do not race; await the result only
   * where the order of events matters to the caller.
   */
  record(input: EventInput): Promise<void> {
    this.pending = this.pending.then(() => this.write(input)).catch(() => undefined);
    return this.pending;
  }

  private async write(input: EventInput): Promise<void> {
    const eventType = this.store.types.byKind('Event', 'v1');
    if (!eventType) return;
    const meta = input.involved.metadata;
    const namespace = meta.namespace ?? 'default';
    const key = [meta.uid, input.fieldPath ?? '', input.type, input.reason, input.message].join('\u0000');
    const now = this.clock().toISOString();
    const existing = this.recorded.get(key);
    if (existing && this.store.get(eventType, existing.namespace, existing.name)) {
      await this.store.mutate(eventType, existing.namespace, existing.name, (event) => {
        event['count'] = (typeof event['count'] === 'number' ? event['count'] : 1) + 1;
        event['lastTimestamp'] = now;
      });
      return;
    }
    // client-go names Events <object>.<unique suffix>.
    const name = `${meta.name ?? 'object'}.${randomBytes(8).toString('hex')}`;
    this.recorded.set(key, { namespace, name });
    await this.store.create(eventType, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: {
        apiVersion: input.involved.apiVersion,
        kind: input.involved.kind,
        name: meta.name,
        ...(meta.namespace ? { namespace: meta.namespace } : {}),
        ...(meta.uid ? { uid: meta.uid } : {}),
        ...(meta.resourceVersion ? { resourceVersion: meta.resourceVersion } : {}),
        ...(input.fieldPath ? { fieldPath: input.fieldPath } : {}),
      },
      reason: input.reason,
      message: input.message,
      type: input.type,
      count: 1,
      firstTimestamp: now,
      lastTimestamp: now,
      eventTime: null,
      source: { component: this.source.component, ...(this.source.host ? { host: this.source.host } : {}) },
      reportingComponent: this.source.component,
      reportingInstance: this.source.host ?? '',
    });
  }
}
