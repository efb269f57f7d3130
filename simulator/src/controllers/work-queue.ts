/**
 * A keyed work queue in the style of client-go's workqueue: each key is reconciled by at most one
 * worker at a time, a key enqueued while it is being reconciled runs once more afterwards, and a failed
 * reconcile is retried with capped exponential backoff. Controllers enqueue from store.onChange, so they
 * react to events instead of polling.
 */

export interface WorkQueueOptions {
  /** Name used in error logs. */
  name: string;
  reconcile: (key: string) => Promise<void>;
  /** Called when a reconcile throws; the key is retried after a backoff either way. */
  onError?: (key: string, error: unknown) => void;
  /** First retry delay; doubles per consecutive failure up to maxBackoffMs. */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
}

export class WorkQueue {
  private readonly running = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly idleWaiters: (() => void)[] = [];
  private stopped = false;

  constructor(private readonly opts: WorkQueueOptions) {}

  /** Schedules a reconcile of `key` (deduplicated while one is pending). */
  enqueue(key: string): void {
    if (this.stopped) return;
    if (this.running.has(key)) {
      this.dirty.add(key);
      return;
    }
    this.running.add(key);
    // A microtask hop keeps reconciles out of the store's synchronous onChange dispatch.
    queueMicrotask(() => void this.run(key));
  }

  /** Re-enqueues `key` after `ms` (for controllers that must re-check something time-based). */
  enqueueAfter(key: string, ms: number): void {
    if (this.stopped || this.timers.has(key)) return;
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.enqueue(key);
    }, ms);
    timer.unref();
    this.timers.set(key, timer);
  }

  private async run(key: string): Promise<void> {
    let failed = false;
    try {
      do {
        this.dirty.delete(key);
        if (this.stopped) break;
        await this.opts.reconcile(key);
      } while (this.dirty.has(key));
      this.failures.delete(key);
    } catch (error) {
      failed = true;
      this.opts.onError?.(key, error);
    } finally {
      this.running.delete(key);
    }
    if (failed && !this.stopped) {
      const n = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, n);
      const delay = Math.min((this.opts.baseBackoffMs ?? 100) * 2 ** (n - 1), this.opts.maxBackoffMs ?? 5_000);
      this.enqueueAfter(key, delay);
    } else if (this.dirty.has(key)) {
      this.enqueue(key);
    }
    this.notifyIdle();
  }

  /** Whether nothing is being reconciled right now (pending retries do not count). */
  isIdle(): boolean {
    return this.running.size === 0;
  }

  /** Resolves once no reconcile is running; for tests and orderly shutdown. */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private notifyIdle(): void {
    if (!this.isIdle()) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.dirty.clear();
  }
}

/** Logs a reconcile failure once per distinct message, so a retry loop does not flood stderr. */
export function logOnceHandler(component: string): (key: string, error: unknown) => void {
  const seen = new Set<string>();
  return (key, error) => {
    const message = error instanceof Error ? error.message : String(error);
    const line = `${component}: reconcile ${key} failed: ${message}`;
    if (seen.has(line)) return;
    seen.add(line);
    if (process.env['SIM_DEBUG']) process.stderr.write(`${line}\n`);
  };
}
