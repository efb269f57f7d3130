/**
 * Records core/v1 Events the way client-go's EventRecorder does, so `kubectl describe` and
 * `kubectl get events` show what the simulated controllers did. Repeated events (same object, type,
 * reason and message) are aggregated into one Event with a growing count, as the real recorder does.
 * Use one recorder per component (`deployment-controller`, `kubelet`, `osm-controller`, ...).
 */
import type { KubeObject, ObjectStore } from '../cluster/types.ts';
import { nowTimestamp } from './kube-objects.ts';
import { typeFor } from './resource-lookup.ts';

export const eventTypes = ['Normal', 'Warning'] as const;
export type EventType = (typeof eventTypes)[number];

export class EventRecorder {
  /** Aggregation key -> Event name in the store. */
  private readonly recorded = new Map<string, { namespace: string; name: string }>();
  private pending: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: ObjectStore,
    private readonly component: string,
    private readonly host?: string,
  ) {}

  /**
   * Records an event about `involved`. Never throws and never blocks the caller: recording is
   * best-effort, as in Kubernetes, and the writes are serialised so counts do not race.
   */
  record(involved: KubeObject, type: EventType, reason: string, message: string): void {
    this.pending = this.pending.then(() => this.write(involved, type, reason, message)).catch(() => undefined);
  }

  /** Resolves when every event recorded so far has been written (tests, shutdown). */
  flush(): Promise<void> {
    return this.pending;
  }

  private async write(involved: KubeObject, type: EventType, reason: string, message: string): Promise<void> {
    const eventType = typeFor(this.store, 'Event');
    const namespace = involved.metadata.namespace ?? 'default';
    const key = [involved.metadata.uid, involved.kind, namespace, involved.metadata.name, type, reason, message].join('\u0000');
    const now = nowTimestamp();
    const existing = this.recorded.get(key);
    if (existing && this.store.get(eventType, existing.namespace, existing.name)) {
      await this.store.mutate(eventType, existing.namespace, existing.name, (event) => {
        event['count'] = (typeof event['count'] === 'number' ? event['count'] : 1) + 1;
        event['lastTimestamp'] = now;
      });
      return;
    }
    // Same naming scheme as client-go: <object>.<unix nanos in hex>.
    const name = `${involved.metadata.name ?? 'unknown'}.${(BigInt(Date.now()) * 1_000_000n + BigInt(Math.floor(Math.random() * 1_000_000))).toString(16)}`;
    await this.store.create(eventType, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: {
        apiVersion: involved.apiVersion,
        kind: involved.kind,
        name: involved.metadata.name,
        ...(involved.metadata.namespace ? { namespace: involved.metadata.namespace } : {}),
        ...(involved.metadata.uid ? { uid: involved.metadata.uid } : {}),
        ...(involved.metadata.resourceVersion ? { resourceVersion: involved.metadata.resourceVersion } : {}),
      },
      reason,
      message,
      type,
      count: 1,
      firstTimestamp: now,
      lastTimestamp: now,
      eventTime: null,
      source: { component: this.component, ...(this.host ? { host: this.host } : {}) },
      reportingComponent: this.component,
      reportingInstance: this.host ?? '',
    });
    this.recorded.set(key, { namespace, name });
  }
}
