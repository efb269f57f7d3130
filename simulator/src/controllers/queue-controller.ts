/**
 * The loop every simulated controller runs, as in kube-controller-manager: subscribe to the store, turn
 * each relevant change into a key on a work queue, and reconcile keys one at a time. Subclasses say which
 * keys exist at start, which changes matter, and how to reconcile a key.
 */
import type { ObjectStore, StoreEvent } from '../cluster/types.ts';
import { logOnceHandler, WorkQueue } from './work-queue.ts';
import type { WorkQueueOptions } from './work-queue.ts';

export type QueueControllerOptions = Omit<WorkQueueOptions, 'reconcile' | 'onError'> & {
  /** The component named in error logs and events (`replicaset-controller`, `osm-controller`). */
  component: string;
};

export abstract class QueueController {
  protected readonly queue: WorkQueue;
  private unsubscribe: (() => void) | undefined;

  constructor(protected readonly store: ObjectStore, opts: QueueControllerOptions) {
    const { component, ...queueOpts } = opts;
    this.queue = new WorkQueue({ ...queueOpts, reconcile: (key) => this.reconcile(key), onError: logOnceHandler(component) });
  }

  start(): this {
    this.unsubscribe = this.store.onChange((event) => this.onChange(event));
    for (const key of this.initialKeys()) this.queue.enqueue(key);
    return this;
  }

  stop(): void {
    this.unsubscribe?.();
    this.queue.stop();
  }

  /** Resolves when no reconcile is running (for tests). */
  whenIdle(): Promise<void> {
    return this.queue.whenIdle();
  }

  /** The keys to reconcile when the controller starts (what already exists). */
  protected abstract initialKeys(): Iterable<string>;
  /** Enqueues the keys a store change affects. */
  protected abstract onChange(event: StoreEvent): void;
  protected abstract reconcile(key: string): Promise<void>;
}
