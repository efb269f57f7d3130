/**
 * The ObjectStore the simulator's components use when a real kube-apiserver holds the cluster (upstream mode): reads
 * come from informer caches (one list+watch per kind, as client-go's shared informers), writes go through the API
 * (POST/PUT/DELETE, so admission, validation, defaulting, field management and the real controllers see them), and
 * every change reaches `onChange` listeners as the embedded store's do. A component written against ObjectStore runs
 * unchanged in both modes: that is the point of this class.
 *
 * - Read-your-writes: a successful write puts the server's answer into the cache at once (when it is newer than what
 *   the cache holds) and tells the listeners; the watch event with the same resourceVersion is then skipped. Deletions
 *   are left to the watch (the object may linger behind finalizers or a grace period, as on a real cluster).
 * - Kinds: the builtin kinds the embedded API server serves (cluster/resource-types.ts), plus every CRD once it is
 *   Established. Creating a CRD through this store returns once its kind is served and cached, as an installer that
 *   waits for `condition=Established` does.
 * - A watch that ends is resumed from the last resourceVersion seen; a 410 Gone (compacted) relists and emits the
 *   differences, as a reflector does.
 * - Admission plugins are served as real webhooks: addAdmissionPlugin hands them to the webhook server
 *   (admission-webhooks.ts), which kube-apiserver calls through the webhook configurations.
 */
import type {
  AdmissionPlugin, KubeObject, ListOptions, ListResult, ManagedFieldsHook, ObjectStore, ResourceType, StoreEvent, WatchEventType,
  WatchOptions,
} from '../cluster/types.ts';
import { ApiError } from '../cluster/types.ts';
import { createResourceTypeRegistry, resourceTypesFromCrd, stringField } from '../cluster/resource-types.ts';
import type { ResourceTypeRegistryImpl } from '../cluster/resource-types.ts';
import { parseSelectors } from '../cluster/selectors.ts';
import type { ApiClient, WatchEvent } from './api-client.ts';
import { resourcePath } from './api-client.ts';

export interface ApiBackedStoreOptions {
  client: ApiClient;
  /** Where addAdmissionPlugin() sends plugins (the webhook server). */
  admission: { add(plugin: AdmissionPlugin): void };
  /** Rewrites an object before it is written (the upstream form of a fault hook, see upstream-hooks.ts). */
  beforeWrite?: (type: ResourceType, obj: KubeObject) => void;
  /** Progress and error lines. */
  log?: (line: string) => void;
  /** Bound on a CRD becoming Established and its kind cached (default 30 s). */
  crdTimeoutMs?: number;
}

const conflictRetries = 10;
/** Server-side watch timeout: a stream ends (and is resumed) within 5–10 minutes, as client-go's reflectors ask. */
const watchTimeoutSeconds = () => String(300 + Math.floor(Math.random() * 300));

function bucketOf(type: ResourceType): string {
  return `${type.group}/${type.plural}`;
}

function keyOf(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

function rvNumber(obj: KubeObject | undefined): number {
  return Number(obj?.metadata.resourceVersion ?? 0) || 0;
}

/** The cached form of an object: without managedFields (nobody in-process reads them; the server keeps them on PUT). */
function cached(obj: KubeObject): KubeObject {
  if (obj.metadata.managedFields) delete obj.metadata.managedFields;
  return obj;
}

function apiVersionOf(type: ResourceType): string {
  return type.group === '' ? type.version : `${type.group}/${type.version}`;
}

/** One kind's list+watch loop and its cache. */
class Informer {
  readonly objects = new Map<string, KubeObject>();
  resourceVersion = '0';
  readonly synced: Promise<void>;
  private markSynced!: () => void;
  private failSync!: (e: Error) => void;
  private readonly abort = new AbortController();

  constructor(
    readonly type: ResourceType,
    private readonly client: ApiClient,
    private readonly emit: (type: StoreEvent['type'], obj: KubeObject, old: KubeObject | undefined) => void,
    private readonly log: (line: string) => void,
  ) {
    this.synced = new Promise((resolve, reject) => {
      this.markSynced = resolve;
      this.failSync = reject;
    });
    // A kind that never syncs is reported by whoever awaits it; an unhandled rejection would end the process.
    this.synced.catch(() => undefined);
  }

  start(): void {
    void this.run();
  }

  stop(): void {
    this.abort.abort();
    this.failSync(new Error(`informer for ${bucketOf(this.type)} stopped`));
  }

  /** The newest state the watch delivered, or the answer of our own write, whichever is newer. */
  upsert(obj: KubeObject): void {
    const key = keyOf(obj.metadata.namespace, obj.metadata.name ?? '');
    const old = this.objects.get(key);
    if (old && rvNumber(old) >= rvNumber(obj)) return;
    this.objects.set(key, cached(obj));
    this.emit(old ? 'MODIFIED' : 'ADDED', obj, old);
  }

  private remove(obj: KubeObject): void {
    const key = keyOf(obj.metadata.namespace, obj.metadata.name ?? '');
    const old = this.objects.get(key);
    if (!old) return;
    this.objects.delete(key);
    this.emit('DELETED', cached(obj), old);
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    const path = resourcePath(this.type);
    let failures = 0;
    let relist = true;
    while (!signal.aborted) {
      try {
        if (relist) {
          await this.relist(path);
          relist = false;
          this.markSynced();
        }
        await this.client.watch(path, { resourceVersion: this.resourceVersion, allowWatchBookmarks: 'true', timeoutSeconds: watchTimeoutSeconds() }, (e) => this.apply(e), signal);
        failures = 0;
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof ApiError && error.code === 410) {
          relist = true;
          continue;
        }
        failures++;
        if (failures === 1 || failures % 20 === 0) this.log(`watch of ${bucketOf(this.type)} failed (${failures}x): ${error instanceof Error ? error.message : String(error)}`);
        if (error instanceof ApiError && error.code === 404) relist = true;
        await new Promise((r) => setTimeout(r, Math.min(5_000, 100 * 2 ** Math.min(failures, 6))));
      }
    }
  }

  private async relist(path: string): Promise<void> {
    const list = await this.client.json<{ metadata: { resourceVersion: string }; items: KubeObject[] }>('GET', path);
    const apiVersion = apiVersionOf(this.type);
    const seen = new Set<string>();
    for (const item of list.items) {
      item.apiVersion = apiVersion;
      item.kind = this.type.kind;
      const key = keyOf(item.metadata.namespace, item.metadata.name ?? '');
      seen.add(key);
      const old = this.objects.get(key);
      if (old && old.metadata.resourceVersion === item.metadata.resourceVersion) continue;
      this.objects.set(key, cached(item));
      this.emit(old ? 'MODIFIED' : 'ADDED', item, old);
    }
    for (const [key, old] of [...this.objects]) {
      if (seen.has(key)) continue;
      this.objects.delete(key);
      this.emit('DELETED', old, old);
    }
    this.resourceVersion = list.metadata.resourceVersion;
  }

  private apply(event: WatchEvent): void {
    if (event.type === 'ERROR') {
      const status = event.object as unknown as { code?: number; reason?: string; message?: string };
      throw new ApiError(status.code ?? 500, status.reason ?? '', status.message ?? 'watch error');
    }
    const rv = event.object.metadata.resourceVersion;
    if (rv) this.resourceVersion = rv;
    if (event.type === 'BOOKMARK') return;
    if (event.type === 'DELETED') this.remove(event.object);
    else this.upsert(event.object);
  }
}

/** An ObjectStore over a real API server: informer caches for reads, the API for writes. */
export class ApiBackedStore implements ObjectStore {
  readonly types: ResourceTypeRegistryImpl;
  private readonly informers = new Map<string, Informer>();
  private readonly listeners = new Set<(event: StoreEvent) => void>();
  private readonly watchers = new Set<{ bucket: string; deliver: (e: StoreEvent) => void }>();
  private readonly log: (line: string) => void;
  private maxResourceVersion = 0;
  private stopped = false;

  constructor(private readonly opts: ApiBackedStoreOptions) {
    this.types = createResourceTypeRegistry();
    this.log = opts.log ?? (() => undefined);
  }

  /** Starts an informer per builtin kind and resolves once every cache holds its first list (WaitForCacheSync). */
  async start(): Promise<void> {
    for (const type of this.types.all()) this.inform(type);
    await Promise.all([...this.informers.values()].map((i) => i.synced));
  }

  /** Stops every watch. */
  stop(): void {
    this.stopped = true;
    for (const informer of this.informers.values()) informer.stop();
    this.listeners.clear();
  }

  // ---- ObjectStore ----

  get(resource: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    const obj = this.informers.get(bucketOf(resource))?.objects.get(keyOf(resource.namespaced ? namespace : undefined, name));
    return obj ? this.present(resource, structuredClone(obj)) : undefined;
  }

  list(resource: ResourceType, opts: ListOptions = {}): ListResult {
    const informer = this.informers.get(bucketOf(resource));
    const matches = parseSelectors(opts.labelSelector, opts.fieldSelector);
    const items = [...(informer?.objects.values() ?? [])]
      .filter((o) => !resource.namespaced || !opts.namespace || o.metadata.namespace === opts.namespace)
      .filter(matches)
      .sort((a, b) => keyOf(a.metadata.namespace, a.metadata.name ?? '').localeCompare(keyOf(b.metadata.namespace, b.metadata.name ?? '')))
      .map((o) => this.present(resource, structuredClone(o)));
    return { items, resourceVersion: informer?.resourceVersion ?? '0' };
  }

  watch(resource: ResourceType, opts: WatchOptions, onEvent: (type: WatchEventType, obj: KubeObject) => void): () => void {
    const matches = parseSelectors(opts.labelSelector, opts.fieldSelector);
    const inScope = (o: KubeObject): boolean => (!resource.namespaced || !opts.namespace || o.metadata.namespace === opts.namespace) && matches(o);
    if (!opts.resourceVersion || opts.resourceVersion === '0') {
      for (const o of this.list(resource, opts).items) onEvent('ADDED', o);
    }
    const watcher = { bucket: bucketOf(resource), deliver: (e: StoreEvent) => {
      if (inScope(e.object)) onEvent(e.type, this.present(resource, structuredClone(e.object)));
    } };
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }

  onChange(listener: (event: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  addAdmissionPlugin(plugin: AdmissionPlugin): void {
    this.opts.admission.add(plugin);
  }

  currentResourceVersion(): string {
    return String(this.maxResourceVersion);
  }

  async create(resource: ResourceType, obj: KubeObject, opts: { dryRun?: boolean; managedFields?: ManagedFieldsHook } = {}): Promise<KubeObject> {
    const body = structuredClone(obj);
    body.apiVersion = apiVersionOf(resource);
    body.kind = resource.kind;
    const namespace = resource.namespaced ? body.metadata.namespace ?? 'default' : undefined;
    if (namespace) body.metadata.namespace = namespace;
    this.opts.beforeWrite?.(resource, body);
    const created = await this.opts.client.json('POST', `${resourcePath(resource, namespace)}${opts.dryRun ? '?dryRun=All' : ''}`, body);
    if (opts.dryRun) return created;
    this.written(resource, created);
    if (resource.kind === 'CustomResourceDefinition') await this.crdServed(created);
    return this.present(resource, structuredClone(created));
  }

  async update(resource: ResourceType, obj: KubeObject, opts: { subresource?: string; dryRun?: boolean; managedFields?: ManagedFieldsHook } = {}): Promise<KubeObject> {
    const body = structuredClone(obj);
    body.apiVersion = apiVersionOf(resource);
    body.kind = resource.kind;
    const namespace = resource.namespaced ? body.metadata.namespace ?? 'default' : undefined;
    if (!opts.subresource) this.opts.beforeWrite?.(resource, body);
    const path = resourcePath(resource, namespace, body.metadata.name ?? '', opts.subresource);
    const updated = await this.opts.client.json('PUT', `${path}${opts.dryRun ? '?dryRun=All' : ''}`, body);
    if (opts.dryRun) return updated;
    this.written(resource, updated);
    if (resource.kind === 'CustomResourceDefinition') await this.crdServed(updated);
    return this.present(resource, structuredClone(updated));
  }

  async mutate(resource: ResourceType, namespace: string | undefined, name: string, mutator: (obj: KubeObject) => void, opts: { subresource?: string } = {}): Promise<KubeObject> {
    let current = this.get(resource, namespace, name);
    for (let attempt = 0; ; attempt++) {
      if (!current) throw new ApiError(404, 'NotFound', `${resource.group ? `${resource.plural}.${resource.group}` : resource.plural} "${name}" not found`, { name, kind: resource.plural, ...(resource.group ? { group: resource.group } : {}) });
      mutator(current);
      try {
        return await this.update(resource, current, opts);
      } catch (error) {
        if (!(error instanceof ApiError && error.code === 409) || attempt >= conflictRetries) throw error;
        // The cache was behind the server: read the live object, as a retry-on-conflict loop does.
        current = await this.opts.client.json('GET', resourcePath(resource, namespace, name)).then((o) => this.present(resource, cached(o)), (e: unknown) => {
          if (e instanceof ApiError && e.code === 404) return undefined;
          throw e;
        });
      }
    }
  }

  async delete(resource: ResourceType, namespace: string | undefined, name: string, opts: { dryRun?: boolean; propagationPolicy?: string; gracePeriodSeconds?: number } = {}): Promise<KubeObject> {
    const body = {
      apiVersion: 'v1', kind: 'DeleteOptions',
      ...(opts.propagationPolicy ? { propagationPolicy: opts.propagationPolicy } : {}),
      ...(opts.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: opts.gracePeriodSeconds } : {}),
      ...(opts.dryRun ? { dryRun: ['All'] } : {}),
    };
    const answer = await this.opts.client.json('DELETE', resourcePath(resource, resource.namespaced ? namespace : undefined, name), body);
    // Still there (finalizers, a grace period): that is a modification; gone: the watch tells.
    if (!opts.dryRun && answer.kind === resource.kind && answer.metadata?.deletionTimestamp) this.written(resource, answer);
    return answer;
  }

  // ---- internals ----

  private present(resource: ResourceType, obj: KubeObject): KubeObject {
    const apiVersion = apiVersionOf(resource);
    return obj.apiVersion === apiVersion ? obj : { ...obj, apiVersion };
  }

  private written(resource: ResourceType, obj: KubeObject): void {
    const informer = this.informers.get(bucketOf(resource));
    if (!informer || obj.kind !== resource.kind) return;
    informer.upsert(structuredClone(obj));
  }

  private inform(type: ResourceType): Informer | undefined {
    if (!type.verbs.includes('list') || !type.verbs.includes('watch')) return undefined;
    const bucket = bucketOf(type);
    const existing = this.informers.get(bucket);
    if (existing) return existing;
    const informer = new Informer(type, this.opts.client, (kind, obj, old) => this.dispatch({ type: kind, resource: type, object: obj, ...(old ? { oldObject: old } : {}) }), this.log);
    this.informers.set(bucket, informer);
    informer.start();
    return informer;
  }

  private dispatch(event: StoreEvent): void {
    if (this.stopped) return;
    this.maxResourceVersion = Math.max(this.maxResourceVersion, rvNumber(event.object));
    if (event.resource.kind === 'CustomResourceDefinition') this.syncCrd(event);
    for (const watcher of this.watchers) if (watcher.bucket === bucketOf(event.resource)) watcher.deliver(event);
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (error) {
        this.log(`a listener failed on ${event.type} ${event.resource.kind} ${event.object.metadata.namespace ?? ''}/${event.object.metadata.name ?? ''}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }

  /** Serves (and caches) a CRD's kind once Established; forgets it when the CRD goes. */
  private syncCrd(event: StoreEvent): void {
    const crd = event.object;
    const spec = (crd.spec ?? {}) as Record<string, unknown>;
    const group = stringField(spec.group);
    const plural = stringField((spec.names as Record<string, unknown> | undefined)?.plural);
    if (event.type === 'DELETED' || !isEstablished(crd)) {
      if (event.type !== 'DELETED') return;
      for (const t of this.types.all()) if (t.group === group && t.plural === plural) this.types.unregister(t.group, t.version, t.plural);
      const informer = this.informers.get(`${group}/${plural}`);
      informer?.stop();
      this.informers.delete(`${group}/${plural}`);
      return;
    }
    const types = resourceTypesFromCrd(crd);
    for (const t of this.types.all()) {
      if (t.group === group && t.plural === plural && !types.some((n) => n.version === t.version)) this.types.unregister(t.group, t.version, t.plural);
    }
    for (const t of types) this.types.register(t);
    // The storage version is what the objects are stored as; any served version reads them.
    const versions = Array.isArray(spec.versions) ? (spec.versions as { name?: string; storage?: boolean }[]) : [];
    const storage = versions.find((v) => v.storage)?.name;
    const informed = types.find((t) => t.version === storage) ?? types[0];
    if (informed) this.inform(informed);
  }

  /** Resolves once the CRD's kind is served and its cache synced (bounded). */
  private async crdServed(crd: KubeObject): Promise<void> {
    const spec = (crd.spec ?? {}) as Record<string, unknown>;
    const bucket = `${stringField(spec.group)}/${stringField((spec.names as Record<string, unknown> | undefined)?.plural)}`;
    const timeoutMs = this.opts.crdTimeoutMs ?? 30_000;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const informer = this.informers.get(bucket);
      if (informer) {
        await informer.synced;
        return;
      }
      if (Date.now() > deadline) throw new Error(`CustomResourceDefinition ${crd.metadata.name ?? ''} not Established within ${timeoutMs / 1000}s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

function isEstablished(crd: KubeObject): boolean {
  const conditions = ((crd.status as { conditions?: { type?: string; status?: string }[] } | undefined)?.conditions) ?? [];
  return conditions.some((c) => c.type === 'Established' && c.status === 'True');
}
