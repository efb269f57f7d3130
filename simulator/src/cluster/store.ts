/**
 * The simulated cluster's object store: what etcd plus the generic registry of kube-apiserver do.
 * One global resourceVersion counter, admission on writes, finalizers (a Namespace is marked Terminating while
 * its `spec.finalizers` hold it; `propagationPolicy: Orphan` adds the `orphan` finalizer), CRD registration, and
 * watches that replay a recent history. Writes notify watchers synchronously on commit, so an event reaches a
 * client with no added delay. Emptying a Terminating namespace and garbage-collecting dependents are the
 * controllers' work (controllers/namespace-controller.ts, controllers/garbage-collector.ts), as upstream.
 */
import { randomUUID } from 'node:crypto';
import { applyDefaults, ClusterIpAllocator } from '../api/defaulting.ts';
import { apiVersionOf, createResourceTypeRegistry, hasStatusSubresource, qualifiedResource, resourceTypesFromCrd, stringField } from './resource-types.ts';
import { objectMetaSchema, resolveBuiltinRef } from '../api/builtin-schemas.ts';
import { invalid } from './field-errors.ts';
import { deepEqualJson } from './json-equal.ts';
import { applySchemaDefaults, pruneUnknownFields, validateAgainstSchema } from './structural-schema.ts';
import { validateBuiltinUpdate } from './update-validation.ts';
import { podQosClass } from '../api/pod-qos.ts';
import { parseSelectors } from './selectors.ts';
import type { ObjectMatcher } from './selectors.ts';
import { ApiError } from './types.ts';
import type {
  AdmissionPlugin, AdmissionRequest, KubeObject, ListOptions, ListResult, ManagedFieldsHook, ObjectStore, ResourceType,
  ResourceTypeRegistry, StoreEvent, WatchEventType, WatchOptions,
} from './types.ts';

/** How many past events a watch or a paged list can go back to at most (kube-apiserver's watch cache is bounded too). */
const historyCapacity = 10_000;
/**
 * How long a resourceVersion stays usable: kube-apiserver compacts etcd every 5 minutes (--etcd-compaction-interval),
 * after which a watch, an Exact list or a continue token from before the compaction answers 410.
 */
export const defaultCompactionWindowMs = 5 * 60_000;
const conflictRetries = 10;

/** Answers SelfSubjectAccessReview creates; the default allows everything. */
export type AccessReviewHook = (spec: Record<string, unknown>) => { allowed: boolean; reason?: string };

export interface StoreOptions {
  accessReview?: AccessReviewHook;
  /** How many events watches can replay (tests shrink it to provoke 410 Gone). */
  historyCapacity?: number;
  /** How long events stay in the history (default defaultCompactionWindowMs); the watch-expired fault shortens it. */
  compactionWindowMs?: number;
}

interface HistoryEntry {
  rv: number;
  /** When it was committed (Date.now()), for compaction. */
  time: number;
  type: StoreEvent['type'];
  bucket: string;
  object: KubeObject;
  oldObject: KubeObject | undefined;
}

interface Watcher {
  bucket: string;
  deliver: (entry: HistoryEntry) => void;
}

function bucketOf(type: ResourceType): string {
  return `${type.group}/${type.plural}`;
}

function keyOf(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

/** Structural equality for JSON values; key order does not matter. */
export const deepEqual = deepEqualJson;

function withoutMetaAndStatus(obj: KubeObject): Record<string, unknown> {
  const { metadata: _m, status: _s, ...rest } = obj;
  return rest;
}

/** Whether an update changes nothing: the same object but for its resourceVersion and the times of managedFields. */
function sameIgnoringVersion(a: KubeObject, b: KubeObject): boolean {
  const strip = (o: KubeObject) => ({
    ...o,
    metadata: { ...o.metadata, resourceVersion: undefined, managedFields: (o.metadata.managedFields ?? []).map((e) => ({ ...(e as object), time: undefined })) },
  });
  return deepEqual(strip(a), strip(b));
}

const suffixAlphabet = 'bcdfghjklmnpqrstvwxz2456789';
function randomSuffix(): string {
  let out = '';
  for (let i = 0; i < 5; i++) out += suffixAlphabet[Math.floor(Math.random() * suffixAlphabet.length)];
  return out;
}

const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function validateName(type: ResourceType, obj: KubeObject): void {
  const name = obj.metadata.name ?? '';
  const invalid = (field: string, detail: string): ApiError =>
    new ApiError(422, 'Invalid', `${type.kind} "${name}" is invalid: ${field}: ${detail}`, {
      name, kind: type.kind, ...(type.group ? { group: type.group } : {}), causes: [{ reason: 'FieldValueInvalid', message: detail, field }],
    });
  if (name === '') throw invalid('metadata.name', 'Required value: name or generateName is required');
  // Namespaces, services and pods' hostnames must be labels; most other names may contain dots.
  const label = type.kind === 'Namespace' || type.kind === 'Service';
  const ok = label ? dns1123Label.test(name) && name.length <= 63 : dns1123Subdomain.test(name) && name.length <= 253;
  if (!ok) {
    const what = label ? 'a lowercase RFC 1123 label must consist of lower case alphanumeric characters or \'-\', and must start and end with an alphanumeric character'
      : 'a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, \'-\' or \'.\', and must start and end with an alphanumeric character';
    throw invalid('metadata.name', `Invalid value: "${name}": ${what}`);
  }
  if (type.kind === 'Pod') {
    const containers = (obj.spec as Record<string, unknown> | undefined)?.containers;
    if (!Array.isArray(containers) || containers.length === 0) throw invalid('spec.containers', 'Required value');
  }
}

/** The store's own implementation; createStore() returns it typed as the shared ObjectStore contract. */
export class MemoryStore implements ObjectStore {
  readonly types: ResourceTypeRegistry;
  private rv = 1;
  private readonly buckets = new Map<string, Map<string, KubeObject>>();
  private readonly history: (HistoryEntry | undefined)[];
  private historyStart = 0;
  private historyLength = 0;
  /** The newest resourceVersion no longer in the history: anything at or before it can no longer be replayed. */
  private compacted = 0;
  private readonly compactionWindowMs: number;
  private readonly watchers = new Set<Watcher>();
  private readonly listeners = new Set<(event: StoreEvent) => void>();
  private readonly plugins: AdmissionPlugin[] = [];
  private readonly ips = new ClusterIpAllocator();
  private readonly accessReview: AccessReviewHook;

  constructor(registry: ResourceTypeRegistry, options: StoreOptions = {}) {
    this.types = registry;
    this.history = new Array<HistoryEntry | undefined>(options.historyCapacity ?? historyCapacity);
    this.accessReview = options.accessReview ?? (() => ({ allowed: true }));
    this.compactionWindowMs = options.compactionWindowMs ?? defaultCompactionWindowMs;
  }

  /** The newest resourceVersion that has been compacted away (0 while nothing has). */
  compactedResourceVersion(): string {
    this.compact();
    return String(this.compacted);
  }

  currentResourceVersion(): string {
    return String(this.rv);
  }

  addAdmissionPlugin(plugin: AdmissionPlugin): void {
    this.plugins.push(plugin);
  }

  onChange(listener: (event: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ---- reads ----

  get(resource: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    const obj = this.raw(resource, namespace, name);
    return obj ? this.present(resource, structuredClone(obj)) : undefined;
  }

  /**
   * Lists like kube-apiserver: the latest state by default; with `resourceVersionMatch: Exact` or a continue token, the
   * state at that resourceVersion (410 once it is compacted away); `limit` pages in key order with a continue token and,
   * without selectors, `remainingItemCount`. `resourceVersion: "0"` is served as the watch cache serves it: complete,
   * `limit` ignored.
   */
  list(resource: ResourceType, opts: ListOptions = {}): ListResult {
    const matches = parseSelectors(opts.labelSelector, opts.fieldSelector);
    const current = this.rv;
    const rvParam = opts.resourceVersion ?? '';
    let at = current;
    let startKey = '';
    if (opts.continue) {
      const token = decodeContinue(opts.continue);
      startKey = token.start;
      if (token.rv !== -1) {
        this.compact();
        if (token.rv < this.compacted) throw expiredContinue(token.start);
        at = token.rv;
      }
    } else if (rvParam !== '') {
      const wanted = Number(rvParam);
      if (!/^\d+$/.test(rvParam)) throw new ApiError(400, 'BadRequest', `invalid resource version: ${rvParam}`);
      if (wanted > current) throw tooLargeResourceVersion(wanted, current);
      if (opts.resourceVersionMatch === 'Exact') {
        this.compact();
        if (wanted < this.compacted) throw new ApiError(410, 'Expired', 'The resourceVersion for the provided list is too old.');
        at = wanted;
      }
    }
    const limit = rvParam === '0' && !opts.continue ? 0 : Math.max(0, opts.limit ?? 0);
    const prefix = resource.namespaced && opts.namespace ? `${opts.namespace}/` : '';
    const entries = [...this.objectsAt(resource, at)]
      .filter(([key]) => key.startsWith(prefix))
      .map(([key, obj]) => ({ key: resource.namespaced ? key.slice(prefix.length) : key.slice(1), obj }))
      .filter(({ key }) => key >= startKey)
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const items: KubeObject[] = [];
    let lastKey = '';
    let examined = 0;
    for (const { key, obj } of entries) {
      if (limit > 0 && items.length >= limit) break;
      examined++;
      if (!matches(obj)) continue;
      items.push(this.present(resource, structuredClone(obj)));
      lastKey = key;
    }
    const result: ListResult = { items, resourceVersion: String(at) };
    const remaining = entries.length - examined;
    if (limit > 0 && remaining > 0 && items.length >= limit) {
      result.continue = encodeContinue(`${lastKey}\u0000`, at);
      if (!opts.labelSelector && !opts.fieldSelector) result.remainingItemCount = remaining;
    }
    return result;
  }

  /** A kind's objects (by `namespace/name` key) as they were at resourceVersion `rv`: the current ones with later events undone. */
  private objectsAt(resource: ResourceType, rv: number): Map<string, KubeObject> {
    const objects = new Map(this.bucket(resource));
    if (rv >= this.rv) return objects;
    const bucket = bucketOf(resource);
    for (let i = this.historyLength - 1; i >= 0; i--) {
      const entry = this.history[(this.historyStart + i) % this.history.length]!;
      if (entry.rv <= rv) break;
      if (entry.bucket !== bucket) continue;
      const key = keyOf(entry.object.metadata.namespace, entry.object.metadata.name ?? '');
      if (entry.type === 'ADDED') objects.delete(key);
      else if (entry.oldObject) objects.set(key, entry.oldObject);
    }
    return objects;
  }

  watch(resource: ResourceType, opts: WatchOptions, onEvent: (type: WatchEventType, obj: KubeObject) => void): () => void {
    const selector = parseSelectors(opts.labelSelector, opts.fieldSelector);
    const inScope: ObjectMatcher = resource.namespaced && opts.namespace
      ? (o) => o.metadata.namespace === opts.namespace && selector(o)
      : selector;
    const bucket = bucketOf(resource);
    const send = (type: WatchEventType, obj: KubeObject): void => {
      try {
        onEvent(type, this.present(resource, obj));
      } catch (err) {
        console.error(`store: watch listener failed: ${(err as Error).message}`);
      }
    };
    const deliver = (entry: HistoryEntry): void => {
      const now = inScope(entry.object);
      if (entry.type === 'ADDED') {
        if (now) send('ADDED', entry.object);
      } else if (entry.type === 'DELETED') {
        if (now) send('DELETED', entry.object);
      } else {
        const before = entry.oldObject ? inScope(entry.oldObject) : now;
        // An object entering or leaving the selection is ADDED or DELETED for this watcher, as in kube-apiserver.
        if (now && before) send('MODIFIED', entry.object);
        else if (now) send('ADDED', entry.object);
        else if (before) send('DELETED', entry.object);
      }
    };

    const from = opts.resourceVersion ?? '';
    if (from === '' || from === '0') {
      for (const obj of this.bucket(resource).values()) if (inScope(obj)) send('ADDED', obj);
    } else {
      const since = Number(from);
      if (!Number.isFinite(since)) throw new ApiError(400, 'BadRequest', `invalid resource version: ${from}`);
      this.compact();
      // Like the watch cache: events after `since` must all still be there (kube-apiserver words it with oldest-1).
      if (since < this.compacted) throw new ApiError(410, 'Expired', `too old resource version: ${since} (${this.compacted})`);
      for (let i = 0; i < this.historyLength; i++) {
        const entry = this.history[(this.historyStart + i) % this.history.length]!;
        if (entry.rv > since && entry.bucket === bucket) deliver(entry);
      }
    }

    const watcher: Watcher = { bucket, deliver };
    this.watchers.add(watcher);
    return () => {
      this.watchers.delete(watcher);
    };
  }

  // ---- writes ----

  async create(resource: ResourceType, input: KubeObject, opts: { dryRun?: boolean; managedFields?: ManagedFieldsHook } = {}): Promise<KubeObject> {
    const obj = structuredClone(input);
    obj.apiVersion ||= apiVersionOf(resource);
    obj.kind ||= resource.kind;
    obj.metadata ??= {};
    const meta = obj.metadata;
    if (resource.kind === 'SelfSubjectAccessReview') return this.answerAccessReview(resource, obj);
    if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${randomSuffix()}`;
    if (resource.namespaced) {
      if (!meta.namespace) meta.namespace = 'default';
      this.checkNamespaceWritable(resource, meta.namespace, meta.name ?? '');
    } else {
      delete meta.namespace;
    }
    validateName(resource, obj);
    delete meta.deletionTimestamp;
    delete meta.resourceVersion;
    meta.uid = randomUUID();
    meta.creationTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    // Like upstream, only kinds with a spec carry a generation (ConfigMaps and Secrets do not).
    if (obj.spec !== undefined || resource.kind === 'Deployment') meta.generation = 1;
    else delete meta.generation;
    delete meta.managedFields;
    // Like the registry strategies' PrepareForCreate: a kind with a status subresource starts without a client's status
    // (a Node keeps its own; a Namespace and a Pod get theirs from defaulting).
    if (hasStatusSubresource(resource) && resource.kind !== 'Node') delete obj.status;
    applyDefaults(resource, obj, this.ips);
    this.applySchema(resource, obj);
    if (opts.managedFields) meta.managedFields = opts.managedFields(undefined, obj);
    if (resource.kind === 'CustomResourceDefinition') {
      validateCrdVersions(obj);
      prepareCrd(obj);
    }

    await this.admit({ operation: 'CREATE', resource, namespace: meta.namespace, object: obj, dryRun: opts.dryRun === true });

    if (this.raw(resource, meta.namespace, meta.name!)) {
      throw new ApiError(409, 'AlreadyExists', `${qualifiedResource(resource)} "${meta.name}" already exists`, detailsOf(resource, meta.name!));
    }
    if (resource.namespaced) this.checkNamespaceWritable(resource, meta.namespace!, meta.name!);
    if (opts.dryRun) return this.present(resource, obj);
    if (resource.kind === 'CustomResourceDefinition') this.registerCrd(obj);
    this.commit(resource, 'ADDED', obj, undefined);
    return this.present(resource, structuredClone(obj));
  }

  async update(resource: ResourceType, input: KubeObject, opts: { subresource?: string; dryRun?: boolean; managedFields?: ManagedFieldsHook } = {}): Promise<KubeObject> {
    const name = input.metadata?.name ?? '';
    const namespace = resource.namespaced ? input.metadata?.namespace ?? 'default' : undefined;
    const existing = this.raw(resource, namespace, name);
    if (!existing) throw notFound(resource, name);
    const requestedRv = input.metadata?.resourceVersion;
    if (requestedRv && requestedRv !== existing.metadata.resourceVersion) throw conflict(resource, name);

    const next = this.nextVersion(resource, existing, structuredClone(input), opts.subresource);
    applyDefaults(resource, next, this.ips, existing);
    this.applySchema(resource, next);
    // Field ownership is the API server's (api/field-manager.ts); in-process writers leave it as it was.
    if (opts.managedFields) next.metadata.managedFields = opts.managedFields(structuredClone(existing), next);
    else if (existing.metadata.managedFields) next.metadata.managedFields = structuredClone(existing.metadata.managedFields);
    else delete next.metadata.managedFields;

    await this.admit({
      operation: 'UPDATE', resource, namespace, object: next, oldObject: structuredClone(existing),
      ...(opts.subresource ? { subresource: opts.subresource } : {}), dryRun: opts.dryRun === true,
    });

    // Admission may have waited: re-read, and detect a write that happened meanwhile.
    const current = this.raw(resource, namespace, name);
    if (!current) throw notFound(resource, name);
    if (current.metadata.resourceVersion !== existing.metadata.resourceVersion) {
      if (requestedRv) throw conflict(resource, name);
      return this.update(resource, input, opts);
    }
    if (current.metadata.generation !== undefined && !deepEqual(withoutMetaAndStatus(next), withoutMetaAndStatus(current))) next.metadata.generation = current.metadata.generation + 1;
    if (opts.dryRun) return this.present(resource, next);
    if (sameIgnoringVersion(next, current)) return this.present(resource, structuredClone(current));
    if (next.metadata.deletionTimestamp && !hasFinalizers(resource, next)) {
      this.remove(resource, next, current);
      return this.present(resource, structuredClone(next));
    }
    if (resource.kind === 'CustomResourceDefinition') this.registerCrd(next);
    this.commit(resource, 'MODIFIED', next, current);
    return this.present(resource, structuredClone(next));
  }

  async mutate(resource: ResourceType, namespace: string | undefined, name: string, mutator: (obj: KubeObject) => void, opts: { subresource?: string } = {}): Promise<KubeObject> {
    for (let attempt = 0; ; attempt++) {
      const current = this.get(resource, namespace, name);
      if (!current) throw notFound(resource, name);
      mutator(current);
      try {
        return await this.update(resource, current, opts);
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 409) || attempt >= conflictRetries) throw err;
      }
    }
  }

  async delete(resource: ResourceType, namespace: string | undefined, name: string, opts: { dryRun?: boolean; propagationPolicy?: string } = {}): Promise<KubeObject> {
    const ns = resource.namespaced ? namespace : undefined;
    const existing = this.raw(resource, ns, name);
    if (!existing) throw notFound(resource, name);
    await this.admit({ operation: 'DELETE', resource, namespace: ns, object: structuredClone(existing), dryRun: opts.dryRun === true });
    const current = this.raw(resource, ns, name);
    if (!current) throw notFound(resource, name);
    if (opts.dryRun) return this.present(resource, structuredClone(current));

    if (current.metadata.deletionTimestamp) return this.present(resource, structuredClone(current));
    const marked = structuredClone(current);
    // Like the generic registry: Orphan is carried out by the garbage collector through this finalizer.
    // Foreground is not modelled and deletes like Background.
    if (opts.propagationPolicy === 'Orphan' && resource.kind !== 'Namespace' && !marked.metadata.finalizers?.includes(orphanFinalizer)) {
      marked.metadata.finalizers = [...(marked.metadata.finalizers ?? []), orphanFinalizer];
    }
    if (hasFinalizers(resource, marked)) {
      marked.metadata.deletionTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      marked.metadata.deletionGracePeriodSeconds = 0;
      if (resource.kind === 'Namespace') marked.status = { ...(marked.status as Record<string, unknown> | undefined), phase: 'Terminating' };
      this.commit(resource, 'MODIFIED', marked, current);
      return this.present(resource, structuredClone(marked));
    }
    const removed = this.remove(resource, current);
    return this.present(resource, structuredClone(removed));
  }

  // ---- internals ----

  private bucket(resource: ResourceType): Map<string, KubeObject> {
    const key = bucketOf(resource);
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new Map();
      this.buckets.set(key, bucket);
    }
    return bucket;
  }

  private raw(resource: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.bucket(resource).get(keyOf(resource.namespaced ? namespace : undefined, name));
  }

  /** The object as seen through `resource`'s version (a CRD serves several versions of one stored object). */
  private present(resource: ResourceType, obj: KubeObject): KubeObject {
    const apiVersion = apiVersionOf(resource);
    if (obj.apiVersion === apiVersion) return obj;
    return { ...obj, apiVersion };
  }

  private namespaceType(): ResourceType {
    return this.types.byPath('', 'v1', 'namespaces')!;
  }

  private checkNamespaceWritable(resource: ResourceType, namespace: string, name: string): void {
    const ns = this.raw(this.namespaceType(), undefined, namespace);
    if (!ns) throw new ApiError(404, 'NotFound', `namespaces "${namespace}" not found`, { name: namespace, kind: 'namespaces' });
    if (ns.metadata.deletionTimestamp) {
      throw new ApiError(403, 'Forbidden', `${qualifiedResource(resource)} "${name}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`, {
        name, kind: resource.plural, ...(resource.group ? { group: resource.group } : {}),
        causes: [{ reason: 'NamespaceTerminating', message: `namespace ${namespace} is being terminated`, field: 'metadata.namespace' }],
      });
    }
  }

  /** Builds the object an update stores: immutable metadata from the old object, status by subresource rules. */
  private nextVersion(resource: ResourceType, existing: KubeObject, input: KubeObject, subresource: string | undefined): KubeObject {
    let next: KubeObject;
    if (subresource === 'status') {
      next = structuredClone(existing);
      if (input.status !== undefined) next.status = input.status;
      else delete next.status;
    } else {
      next = input;
      next.apiVersion ||= existing.apiVersion;
      next.kind ||= existing.kind;
      next.metadata ??= {};
      if (hasStatusSubresource(resource)) {
        if (existing.status !== undefined) next.status = structuredClone(existing.status);
        else delete next.status;
      }
    }
    const m = next.metadata;
    m.name = existing.metadata.name!;
    if (resource.namespaced) m.namespace = existing.metadata.namespace!;
    else delete m.namespace;
    m.uid = existing.metadata.uid!;
    m.creationTimestamp = existing.metadata.creationTimestamp!;
    if (existing.metadata.generation !== undefined) m.generation = existing.metadata.generation;
    else delete m.generation;
    if (existing.metadata.deletionTimestamp) m.deletionTimestamp = existing.metadata.deletionTimestamp;
    else delete m.deletionTimestamp;
    delete m.generateName;
    if (existing.metadata.generateName) m.generateName = existing.metadata.generateName;
    m.resourceVersion = existing.metadata.resourceVersion!;
    return next;
  }

  /** A custom resource as its schema makes it: unknown fields pruned, defaults set (the API server already warned). */
  private applySchema(resource: ResourceType, obj: KubeObject): void {
    if (!resource.custom || !resource.schema) return;
    pruneUnknownFields(obj, resource.schema, { builtin: false, resolve: resolveBuiltinRef, objectMeta: objectMetaSchema() });
    applySchemaDefaults(obj, resource.schema);
  }

  /**
   * The API server's own validation, between mutating and validating admission as upstream orders them: a custom
   * resource against its CRD's schema (422 Invalid with one cause per field), a builtin kind's update rules.
   */
  private validateObject(req: AdmissionRequest): void {
    if (req.operation === 'DELETE') return;
    const { resource, object } = req;
    const name = object.metadata.name ?? '';
    if (resource.custom && resource.schema) {
      this.applySchema(resource, object);
      const errors = validateAgainstSchema(object, resource.schema);
      if (errors.length > 0) throw invalid(resource, name, errors);
    }
    // PrepareForCreate after mutating admission: the QoS class of the pod as admitted (sidecars included).
    if (req.operation === 'CREATE' && resource.group === '' && resource.kind === 'Pod') {
      object.status = { ...(object.status ?? {}), qosClass: podQosClass(object.spec) };
    }
    // podStatusStrategy.PrepareForUpdate: a status write without a QoS class keeps the stored one ("backfill it for
    // backward compatibility because the old kubelet dropped this field"); only another class is refused below.
    if (req.operation === 'UPDATE' && req.subresource === 'status' && resource.group === '' && resource.kind === 'Pod' && req.oldObject) {
      const status = (object.status ?? {}) as Record<string, unknown>;
      const previous = (req.oldObject.status as Record<string, unknown> | undefined)?.qosClass;
      if ((status.qosClass === undefined || status.qosClass === '') && previous !== undefined) object.status = { ...status, qosClass: previous };
    }
    if (req.operation === 'UPDATE' && req.oldObject && (req.subresource === undefined || req.subresource === 'status')) {
      const errors = validateBuiltinUpdate(resource, object, req.oldObject, req.subresource);
      if (errors.length > 0) throw invalid(resource, name, errors);
    }
  }

  private async admit(req: AdmissionRequest): Promise<void> {
    for (const plugin of this.plugins) if (plugin.mutate) await plugin.mutate(req);
    this.validateObject(req);
    for (const plugin of this.plugins) {
      if (!plugin.validate) continue;
      const denial = await plugin.validate(req);
      // What kube-apiserver answers for a webhook that denies without a code: 400, no reason.
      if (denial !== undefined) throw new ApiError(400, '', `admission webhook "${plugin.name}" denied the request: ${denial}`);
    }
  }

  private answerAccessReview(resource: ResourceType, obj: KubeObject): KubeObject {
    // kube-apiserver refuses any metadata but managedFields (ValidateSelfSubjectAccessReview: "must be empty"); the
    // internal object has no kind yet, so the error names the kind as `.authorization.k8s.io`.
    const { managedFields: _managedFields, ...meta } = obj.metadata;
    if (Object.entries(meta).some(([key, value]) => !isZeroMetadataValue(key, value))) {
      throw invalid({ ...resource, kind: '' }, '', [{ type: 'Invalid', field: 'metadata', value: obj.metadata, detail: 'must be empty' }]);
    }
    const verdict = this.accessReview((obj.spec ?? {}) as Record<string, unknown>);
    return {
      ...obj,
      metadata: { creationTimestamp: undefined, ...obj.metadata },
      status: { allowed: verdict.allowed, ...(verdict.reason ? { reason: verdict.reason } : {}) },
    };
  }

  /** Stores a new version, records it in the history and tells every watcher and listener. */
  private commit(resource: ResourceType, type: StoreEvent['type'], obj: KubeObject, old: KubeObject | undefined): void {
    this.rv++;
    obj.metadata.resourceVersion = String(this.rv);
    const bucket = this.bucket(resource);
    const key = keyOf(obj.metadata.namespace, obj.metadata.name!);
    if (type === 'DELETED') bucket.delete(key);
    else bucket.set(key, obj);
    const entry: HistoryEntry = { rv: this.rv, time: Date.now(), type, bucket: bucketOf(resource), object: obj, oldObject: old };
    this.record(entry);
    for (const watcher of this.watchers) if (watcher.bucket === entry.bucket) watcher.deliver(entry);
    for (const listener of this.listeners) {
      const event: StoreEvent = { type, resource, object: structuredClone(obj), ...(old ? { oldObject: structuredClone(old) } : {}) };
      try {
        listener(event);
      } catch (err) {
        console.error(`store: change listener failed: ${(err as Error).message}`);
      }
    }
  }

  private record(entry: HistoryEntry): void {
    this.compact();
    const capacity = this.history.length;
    if (this.historyLength < capacity) {
      this.history[(this.historyStart + this.historyLength) % capacity] = entry;
      this.historyLength++;
    } else {
      this.compacted = this.history[this.historyStart]!.rv;
      this.history[this.historyStart] = entry;
      this.historyStart = (this.historyStart + 1) % capacity;
    }
  }

  /** Drops the events older than the compaction window (etcd compaction), remembering the newest dropped resourceVersion. */
  private compact(): void {
    const cutoff = Date.now() - this.compactionWindowMs;
    while (this.historyLength > 0) {
      const oldest = this.history[this.historyStart]!;
      if (oldest.time >= cutoff) return;
      this.compacted = oldest.rv;
      this.history[this.historyStart] = undefined;
      this.historyStart = (this.historyStart + 1) % this.history.length;
      this.historyLength--;
    }
  }

  /** Removes an object for good (a CRD takes its instances and kinds with it). */
  private remove(resource: ResourceType, current: KubeObject, old: KubeObject = current): KubeObject {
    const gone = structuredClone(current);
    this.commit(resource, 'DELETED', gone, old);
    if (resource.kind === 'CustomResourceDefinition') this.unregisterCrd(gone);
    return gone;
  }

  private registerCrd(crd: KubeObject): void {
    const types = resourceTypesFromCrd(crd);
    const spec = crd.spec as Record<string, unknown>;
    const group = stringField(spec.group);
    const plural = stringField((spec.names as Record<string, unknown> | undefined)?.plural);
    for (const old of this.types.all()) {
      if (old.group === group && old.plural === plural && !types.some((t) => t.version === old.version)) this.unregisterType(old);
    }
    for (const type of types) this.types.register(type);
  }

  private unregisterCrd(crd: KubeObject): void {
    const types = resourceTypesFromCrd(crd);
    const first = types[0];
    if (first) {
      // Deleting a CRD deletes every instance; watchers see them go.
      for (const obj of [...this.bucket(first).values()]) this.commit(first, 'DELETED', structuredClone(obj), obj);
    }
    for (const type of types) this.unregisterType(type);
  }

  private unregisterType(type: ResourceType): void {
    const registry = this.types as ResourceTypeRegistry & { unregister?: (g: string, v: string, p: string) => void };
    registry.unregister?.(type.group, type.version, type.plural);
  }
}

/** The finalizer by which `propagationPolicy: Orphan` asks the garbage collector to orphan the dependents first. */
export const orphanFinalizer = 'orphan';

/**
 * Whether something still holds the object's deletion: a finalizer in metadata, or, for a Namespace, in
 * `spec.finalizers` (`kubernetes`, removed through `/finalize` by the namespace controller once it is empty).
 */
function hasFinalizers(resource: ResourceType, obj: KubeObject): boolean {
  if ((obj.metadata.finalizers ?? []).length > 0) return true;
  const specFinalizers = (obj.spec as { finalizers?: unknown[] } | undefined)?.finalizers;
  return resource.kind === 'Namespace' && Array.isArray(specFinalizers) && specFinalizers.length > 0;
}

function detailsOf(resource: ResourceType, name: string): { name: string; group?: string; kind: string } {
  return { name, ...(resource.group ? { group: resource.group } : {}), kind: resource.plural };
}

function notFound(resource: ResourceType, name: string): ApiError {
  return new ApiError(404, 'NotFound', `${qualifiedResource(resource)} "${name}" not found`, detailsOf(resource, name));
}

function conflict(resource: ResourceType, name: string): ApiError {
  return new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(resource)} "${name}": the object has been modified; please apply your changes to the latest version and try again`, detailsOf(resource, name));
}


interface ContinueToken {
  v: string;
  rv: number;
  start: string;
}

/** A continue token as kube-apiserver's storage writes it: base64url (unpadded) JSON of {v, rv, start}. */
function encodeContinue(start: string, rv: number): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start })).toString('base64url');
}

function decodeContinue(token: string): ContinueToken {
  const invalid = (detail: string) => new ApiError(400, 'BadRequest', `continue key is not valid: ${detail}`);
  let parsed: Partial<ContinueToken>;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Partial<ContinueToken>;
  } catch (err) {
    throw invalid((err as Error).message);
  }
  if (parsed.v !== 'meta.k8s.io/v1') throw invalid('server does not recognize this encoded version');
  if (!parsed.rv) throw invalid('incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  if (!parsed.start) throw invalid('encoded start key empty (version meta.k8s.io/v1)');
  return { v: parsed.v, rv: parsed.rv, start: parsed.start };
}

/** A continue token older than the compaction: 410, with a token that continues from the latest state (rv -1). */
export class ExpiredContinueError extends ApiError {
  constructor(readonly continueToken: string) {
    super(410, 'Expired', 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.');
  }

  override toStatus(): KubeObject {
    return { ...super.toStatus(), metadata: { continue: this.continueToken } };
  }
}

function expiredContinue(start: string): ApiError {
  return new ExpiredContinueError(encodeContinue(start, -1));
}

/** A resourceVersion the store has not reached: kube-apiserver's 504 after waiting for it. */
export function tooLargeResourceVersion(wanted: number, current: number): ApiError {
  return new ApiError(504, 'Timeout', `Timeout: Too large resource version: ${wanted}, current: ${current}`, {
    causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1,
  });
}

/**
 * apiextensions' validation of `spec.versions` that kube-apiserver applies and ours once skipped (a CRD without a
 * storage version was accepted here and refused upstream: simulator/README.md, differences): exactly one version
 * marked as the storage version, in kube-apiserver's words.
 */
function validateCrdVersions(crd: KubeObject): void {
  const versions = Array.isArray((crd.spec as Record<string, unknown> | undefined)?.['versions']) ? ((crd.spec as Record<string, unknown>)['versions'] as Record<string, unknown>[]) : [];
  const storage = versions.filter((v) => v['storage'] === true).length;
  if (versions.length === 0 || storage === 1) return;
  const name = crd.metadata.name ?? '';
  const detail = 'must have exactly one version marked as storage version';
  throw new ApiError(422, 'Invalid', `CustomResourceDefinition.apiextensions.k8s.io "${name}" is invalid: spec.versions: Invalid value: ${JSON.stringify(versions.map((v) => v['name']))}: ${detail}`, {
    name, kind: 'CustomResourceDefinition', group: 'apiextensions.k8s.io', causes: [{ reason: 'FieldValueInvalid', message: detail, field: 'spec.versions' }],
  });
}

/** A CRD as the apiextensions controller leaves it: names accepted and established at once. */
function prepareCrd(crd: KubeObject): void {
  const spec = (crd.spec ?? {}) as Record<string, unknown>;
  const versions = Array.isArray(spec.versions) ? (spec.versions as Record<string, unknown>[]) : [];
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  spec.conversion ??= { strategy: 'None' };
  crd.status = {
    acceptedNames: spec.names ?? {},
    storedVersions: versions.filter((v) => v.storage === true).map((v) => v.name),
    conditions: [
      { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found', lastTransitionTime: now },
      { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted', lastTransitionTime: now },
    ],
  };
}

/**
 * Creates an empty object store serving the builtin kinds (or the kinds of `registry`).
 * Use one per simulated cluster; in-process controllers use it directly, clients go through the API server.
 */
export function createStore(registry: ResourceTypeRegistry = createResourceTypeRegistry(), options: StoreOptions = {}): MemoryStore {
  return new MemoryStore(registry, options);
}

/**
 * Whether a metadata field holds Go's zero value, as `apiequality.Semantic.DeepEqual(metav1.ObjectMeta{}, …)` sees it:
 * a protobuf body (kubectl auth can-i) carries every scalar empty and creationTimestamp as the zero Timestamp.
 */
function isZeroMetadataValue(key: string, value: unknown): boolean {
  if (value === undefined || value === null || value === '' || value === 0 || value === false) return true;
  if (key === 'creationTimestamp' && value === '1970-01-01T00:00:00Z') return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.keys(value).length === 0;
  return false;
}
