/**
 * Records core/v1 Events the way client-go's event recorder does: one Event per (object, reason, message, source),
 * whose `count` and `lastTimestamp` grow when the same thing happens again.
 */
import { randomBytes } from 'node:crypto';
import type { KubeObject, ObjectStore, ResourceType } from '../cluster/types.ts';

export type EventType = 'Normal' | 'Warning';

export interface EventSource {
  component: string; // 'kubelet', 'default-scheduler', 'nginx-ingress-controller'
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

/** Writes Events for one component. Use one per emitting component; failures to write are swallowed (as client-go drops them). */
export class EventRecorder {
  private readonly recent = new Map<string, string>(); // aggregation key -> Event name

  constructor(
    private readonly store: ObjectStore,
    private readonly eventType: ResourceType,
    private readonly source: EventSource,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async record(input: EventInput): Promise<void> {
    const meta = input.involved.metadata;
    const namespace = meta.namespace ?? 'default';
    const key = [meta.uid, input.fieldPath ?? '', input.reason, input.message, input.type].join('\u0000');
    const now = this.clock().toISOString();
    const existing = this.recent.get(key);
    try {
      if (existing && this.store.get(this.eventType, namespace, existing)) {
        await this.store.mutate(this.eventType, namespace, existing, (event) => {
          event.count = ((event.count as number | undefined) ?? 1) + 1;
          event.lastTimestamp = now;
        });
        return;
      }
      const name = `${meta.name ?? 'object'}.${randomBytes(8).toString('hex')}`;
      this.recent.set(key, name);
      await this.store.create(this.eventType, {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace },
        involvedObject: {
          apiVersion: input.involved.apiVersion,
          kind: input.involved.kind,
          name: meta.name,
          namespace: meta.namespace,
          uid: meta.uid,
          resourceVersion: meta.resourceVersion,
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
    } catch {
      // Events are best effort, as in client-go: a dropped Event must not break the pod's lifecycle.
    }
  }
}
