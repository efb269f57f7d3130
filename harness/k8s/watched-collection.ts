import type { KubernetesObject } from '@kubernetes/client-node';
import type { KubeClient } from './kube-client.ts';
import type { ResourceType } from './resources.ts';
import { collectionPath } from './resources.ts';
import { pauseBetweenAttempts } from '../wait/delay.ts';
import { intervals } from '../timeouts.ts';

/** Which objects of a type to follow. */
export interface CollectionQuery {
  namespace?: string | undefined;
  labelSelector?: string | undefined;
  fieldSelector?: string | undefined;
}

type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/**
 * A local, always-current copy of a set of objects (list, then watch from its resourceVersion), the
 * informer pattern: a cut stream is re-established from the last resourceVersion, a 410 Gone relists.
 * Use it behind `waitFor` so a wait reacts within milliseconds of the change instead of polling.
 */
export class WatchedCollection<T extends KubernetesObject = KubernetesObject> {
  private readonly items = new Map<string, T>();
  private readonly listeners = new Set<() => void>();
  private readonly stopper = new AbortController();
  private resourceVersion: string | undefined;
  private current: AbortController | undefined;
  private loop: Promise<void> | undefined;
  /** Counts stream starts: events and ends of a superseded stream (one that took too long to start) are ignored. */
  private generation = 0;
  /** The last problem the stream had, shown in observations while it recovers. */
  lastError: string | undefined;
  /**
   * Set when the API server answered that it does not serve this resource type at all (404 on the collection):
   * a CustomResourceDefinition deleted or never installed. Waiting cannot help; waits fail at once on it.
   */
  notServed: string | undefined;

  constructor(
    private readonly client: KubeClient,
    private readonly type: ResourceType,
    private readonly query: CollectionQuery,
    private readonly budgetMs: number,
  ) {}

  /**
   * Lists once (so `get` answers at once) and starts following changes in the background. A failed first list
   * does not throw: it is the state the wait observes (`lastError`, `notServed`) while the list is retried, so the
   * wait's deadline, not the list's, decides when to give up.
   */
  async start(): Promise<this> {
    try {
      await this.relist();
    } catch (err) {
      this.noteFailure('list failed', err);
    }
    this.loop = this.follow();
    return this;
  }

  private noteFailure(what: string, err: unknown): void {
    const text = err instanceof Error ? err.message : String(err);
    this.lastError = `${what}: ${text}`;
    const code = (err as { code?: unknown }).code;
    const reason = (err as { reason?: unknown }).reason;
    if ((code === 404 && (reason === 'NotFound' || reason === undefined)) || /Unrecognized API version and kind/i.test(text)) {
      this.notServed = `${this.type.apiVersion} ${this.type.plural} is not served by the API server (${text})`;
    }
  }

  /** Stops the stream; safe to call twice. */
  async stop(): Promise<void> {
    this.stopper.abort();
    this.current?.abort();
    await this.loop;
  }

  /** The object with this name, as last seen. */
  get(name: string): T | undefined {
    return this.items.get(name);
  }

  /** All objects, as last seen. */
  list(): T[] {
    return [...this.items.values()];
  }

  /** Calls `listener` after every change; returns the unsubscribe (fits `waitFor`'s `changes`). */
  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  private notify(): void {
    for (const l of this.listeners) l();
  }

  private async relist(): Promise<void> {
    const list = await this.client.list<T>(this.type, this.query, { budgetMs: this.budgetMs, signal: this.stopper.signal });
    this.items.clear();
    for (const item of list.items) {
      const name = item.metadata?.name;
      if (name) this.items.set(name, item);
    }
    this.resourceVersion = list.metadata?.resourceVersion;
    this.notify();
  }

  private async follow(): Promise<void> {
    const path = collectionPath(this.type, this.query.namespace);
    while (!this.stopper.signal.aborted) {
      if (this.resourceVersion === undefined) {
        // No list yet (the first one failed): list again before watching.
        try {
          await this.relist();
          this.lastError = undefined;
          this.notServed = undefined;
        } catch (err) {
          this.noteFailure('list failed', err);
          await pauseBetweenAttempts(intervals.watchRetry, this.stopper.signal);
          continue;
        }
      }
      let gone = false;
      const openedAt = Date.now();
      // client-node's Watch cannot be aborted before the server answers (its controller comes with the response),
      // and sets no timeout: a server that never answers would hold the stream, and stop(), forever. So the start
      // is bounded by the budget and by stop(); a superseded stream is aborted when (if ever) it starts.
      const generation = ++this.generation;
      const ended = await new Promise<unknown>((resolve) => {
        const onStop = (): void => {
          clearTimeout(startTimer);
          resolve(null);
        };
        const startTimer = setTimeout(() => resolve(new Error(`no answer to the watch request within ${this.budgetMs} ms`)), this.budgetMs);
        this.stopper.signal.addEventListener('abort', onStop, { once: true });
        const settle = (err: unknown): void => {
          clearTimeout(startTimer);
          this.stopper.signal.removeEventListener('abort', onStop);
          resolve(err);
        };
        this.client.watch(path, {
          resourceVersion: this.resourceVersion,
          allowWatchBookmarks: true,
          labelSelector: this.query.labelSelector,
          fieldSelector: this.query.fieldSelector,
        }, (type, obj) => {
          if (generation === this.generation && this.apply(type as WatchEventType, obj)) gone = true;
        }, (err: unknown) => { if (generation === this.generation) settle(err); }).then((ctrl) => {
          clearTimeout(startTimer);
          if (generation !== this.generation || this.stopper.signal.aborted) {
            ctrl.abort();
            return;
          }
          this.current = ctrl;
        }, settle);
      });
      if (this.stopper.signal.aborted) return;
      // Whatever ended this stream, its late events must not count any more.
      this.generation += 1;
      const status = (ended as { statusCode?: number } | null)?.statusCode;
      if (gone || status === 410) {
        try {
          await this.relist();
          this.lastError = undefined;
        } catch (err) {
          this.noteFailure('relist failed', err);
          await pauseBetweenAttempts(intervals.watchRetry, this.stopper.signal);
        }
        continue;
      }
      if (ended !== null && ended !== undefined) {
        // A failed stream (non-200, reset): retry from the same resourceVersion after a short pause. A 404 may mean
        // the type is gone: list again to find out.
        this.lastError = `watch failed: ${ended instanceof Error ? ended.message : JSON.stringify(ended)}`;
        if (status === 404) this.resourceVersion = undefined;
        await pauseBetweenAttempts(intervals.watchRetry, this.stopper.signal);
      }
      // ended === null: the server closed the stream (timeout, cut); re-establish from the last resourceVersion,
      // pausing first if it closed at once so a server that refuses watches is not hammered.
      else if (Date.now() - openedAt < 200) await pauseBetweenAttempts(intervals.watchRetry, this.stopper.signal);
    }
  }

  /** Applies one event; returns true when the resourceVersion expired and a relist is needed. */
  private apply(type: WatchEventType, obj: KubernetesObject): boolean {
    if (type === 'ERROR') {
      const code = (obj as { code?: number }).code;
      this.lastError = `watch error event: ${(obj as { message?: string }).message ?? JSON.stringify(obj)}`;
      if (code === 410) {
        this.current?.abort();
        return true;
      }
      return false;
    }
    const rv = obj.metadata?.resourceVersion;
    if (rv) this.resourceVersion = rv;
    if (type === 'BOOKMARK') return false;
    const name = obj.metadata?.name;
    if (!name) return false;
    if (type === 'DELETED') this.items.delete(name);
    else this.items.set(name, obj as T);
    this.notify();
    return false;
  }
}
