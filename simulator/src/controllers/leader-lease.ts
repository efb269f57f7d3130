/**
 * kube-controller-manager's leader election: it holds the Lease `kube-system/kube-controller-manager` and renews it
 * every RetryPeriod (2 s), as client-go's leaderelection does. Besides making `kubectl get lease -n kube-system` look
 * like a real control plane, the renewals keep resourceVersions moving while nothing else happens, as on any real
 * cluster, so a client that resumes a watch from an old resourceVersion meets compaction as it would there.
 */
import { randomUUID } from 'node:crypto';
import { ApiError } from '../cluster/types.ts';
import type { ObjectStore, ResourceType } from '../cluster/types.ts';

export interface LeaderLeaseOptions {
  namespace?: string;
  name?: string;
  /** `<host>_<uuid>` upstream. */
  identity?: string;
  renewIntervalMs?: number;
  leaseDurationSeconds?: number;
}

/** MicroTime, as Lease spec times are written (`2026-01-01T00:00:00.000000Z`). */
function microTime(date = new Date()): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export class LeaderLease {
  private timer: NodeJS.Timeout | undefined;
  private readonly namespace: string;
  private readonly name: string;
  private readonly identity: string;
  private readonly intervalMs: number;
  private readonly durationSeconds: number;

  constructor(private readonly store: ObjectStore, opts: LeaderLeaseOptions = {}) {
    this.namespace = opts.namespace ?? 'kube-system';
    this.name = opts.name ?? 'kube-controller-manager';
    this.identity = opts.identity ?? `${this.name}_${randomUUID()}`;
    this.intervalMs = opts.renewIntervalMs ?? 2_000;
    this.durationSeconds = opts.leaseDurationSeconds ?? 15;
  }

  start(): this {
    const tick = (): void => {
      void this.renew().catch(() => undefined).finally(() => {
        if (this.timer) this.timer = setTimeout(tick, this.intervalMs).unref();
      });
    };
    this.timer = setTimeout(tick, 0).unref();
    return this;
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private leaseType(): ResourceType | undefined {
    return this.store.types.byPath('coordination.k8s.io', 'v1', 'leases');
  }

  /** Acquires the lease (creating it, once its namespace exists) or renews it. */
  private async renew(): Promise<void> {
    const type = this.leaseType();
    if (!type) return;
    const now = microTime();
    if (!this.store.get(type, this.namespace, this.name)) {
      try {
        await this.store.create(type, {
          apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.name, namespace: this.namespace },
          spec: { holderIdentity: this.identity, leaseDurationSeconds: this.durationSeconds, acquireTime: now, renewTime: now, leaseTransitions: 0 },
        });
      } catch (err) {
        // The namespace does not exist yet (the flavor creates kube-system), or another writer won: next tick.
        if (!(err instanceof ApiError)) throw err;
      }
      return;
    }
    await this.store.mutate(type, this.namespace, this.name, (lease) => {
      const spec = (lease.spec ?? {}) as Record<string, unknown>;
      if (spec.holderIdentity !== this.identity) {
        spec.holderIdentity = this.identity;
        spec.acquireTime = now;
        spec.leaseTransitions = (typeof spec.leaseTransitions === 'number' ? spec.leaseTransitions : 0) + 1;
      }
      spec.renewTime = now;
      lease.spec = spec;
    });
  }
}
