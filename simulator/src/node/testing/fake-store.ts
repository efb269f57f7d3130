/**
 * A small in-memory ObjectStore for the node and ingress unit tests: resourceVersions, generateName, uids,
 * status-subresource writes, graceful pod deletion (deletionTimestamp first, removal on a grace-0 delete),
 * equality label selectors and synchronous onChange events. No admission, no validation.
 */
import { randomUUID } from 'node:crypto';
import { ApiError } from '../../cluster/types.ts';
import type {
  AdmissionPlugin,
  KubeObject,
  ListOptions,
  ListResult,
  ObjectStore,
  ResourceType,
  ResourceTypeRegistry,
  StoreEvent,
  WatchEventType,
  WatchOptions,
} from '../../cluster/types.ts';

/** A served resource type with the usual verbs and a status subresource (tests register CRD kinds with it). */
export function type(group: string, version: string, kind: string, plural: string, namespaced: boolean): ResourceType {
  return {
    group,
    version,
    plural,
    singular: kind.toLowerCase(),
    kind,
    listKind: `${kind}List`,
    namespaced,
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    subresources: ['status'],
    printerColumns: [],
  };
}

/** The kinds the node side uses, with their real REST coordinates. */
export const fakeTypes = {
  pod: type('', 'v1', 'Pod', 'pods', true),
  node: type('', 'v1', 'Node', 'nodes', false),
  event: type('', 'v1', 'Event', 'events', true),
  service: type('', 'v1', 'Service', 'services', true),
  endpoints: type('', 'v1', 'Endpoints', 'endpoints', true),
  ingress: type('networking.k8s.io', 'v1', 'Ingress', 'ingresses', true),
  configMap: type('', 'v1', 'ConfigMap', 'configmaps', true),
};

class Registry implements ResourceTypeRegistry {
  private readonly types: ResourceType[] = [];
  all(): ResourceType[] {
    return [...this.types];
  }
  byPath(group: string, version: string, plural: string): ResourceType | undefined {
    return this.types.find((t) => t.group === group && t.version === version && t.plural === plural);
  }
  byKind(kind: string, apiVersion?: string): ResourceType | undefined {
    return this.types.find((t) => t.kind === kind && (!apiVersion || apiVersion === (t.group ? `${t.group}/${t.version}` : t.version)));
  }
  register(t: ResourceType): void {
    this.types.push(t);
  }
}

const clone = <T>(value: T): T => structuredClone(value);

/** The fake store; `objects` is exposed read-only for assertions. */
export class FakeStore implements ObjectStore {
  readonly types = new Registry();
  private rv = 1;
  private readonly data = new Map<string, KubeObject>(); // plural/ns/name
  private readonly listeners = new Set<(event: StoreEvent) => void>();

  constructor() {
    for (const t of Object.values(fakeTypes)) this.types.register(t);
  }

  private key(t: ResourceType, ns: string | undefined, name: string): string {
    return `${t.group}/${t.plural}/${t.namespaced ? ns ?? 'default' : ''}/${name}`;
  }

  private emit(event: StoreEvent): void {
    for (const l of [...this.listeners]) l({ ...event, object: clone(event.object), oldObject: event.oldObject && clone(event.oldObject) });
  }

  create(t: ResourceType, obj: KubeObject): Promise<KubeObject> {
    const o = clone(obj);
    o.apiVersion ??= t.group ? `${t.group}/${t.version}` : t.version;
    o.kind ??= t.kind;
    const meta = o.metadata;
    if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${randomUUID().slice(0, 5)}`;
    if (!meta.name) return Promise.reject(new ApiError(422, 'Invalid', 'name or generateName is required'));
    if (t.namespaced) meta.namespace ??= 'default';
    else delete meta.namespace;
    const k = this.key(t, meta.namespace, meta.name);
    if (this.data.has(k)) return Promise.reject(new ApiError(409, 'AlreadyExists', `${t.plural} "${meta.name}" already exists`));
    meta.uid = randomUUID();
    meta.creationTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    meta.resourceVersion = String(++this.rv);
    meta.generation = 1;
    this.data.set(k, o);
    this.emit({ type: 'ADDED', resource: t, object: o });
    return Promise.resolve(clone(o));
  }

  update(t: ResourceType, obj: KubeObject, opts: { subresource?: string } = {}): Promise<KubeObject> {
    const k = this.key(t, obj.metadata.namespace, obj.metadata.name ?? '');
    const old = this.data.get(k);
    if (!old) return Promise.reject(new ApiError(404, 'NotFound', `${t.plural} "${obj.metadata.name}" not found`));
    if (obj.metadata.resourceVersion && obj.metadata.resourceVersion !== old.metadata.resourceVersion) {
      return Promise.reject(new ApiError(409, 'Conflict', `the object has been modified; please apply your changes to the latest version and try again`));
    }
    let next: KubeObject;
    if (opts.subresource === 'status') {
      next = { ...clone(old), status: clone(obj.status) };
    } else {
      next = { ...clone(obj), status: clone(old.status) };
      next.metadata = { ...clone(obj.metadata), uid: old.metadata.uid, creationTimestamp: old.metadata.creationTimestamp, deletionTimestamp: old.metadata.deletionTimestamp };
      if (JSON.stringify(obj.spec) !== JSON.stringify(old.spec)) next.metadata.generation = (old.metadata.generation ?? 1) + 1;
    }
    next.metadata.resourceVersion = String(++this.rv);
    this.data.set(k, next);
    this.emit({ type: 'MODIFIED', resource: t, object: next, oldObject: old });
    return Promise.resolve(clone(next));
  }

  async mutate(t: ResourceType, ns: string | undefined, name: string, mutator: (obj: KubeObject) => void, opts: { subresource?: string } = {}): Promise<KubeObject> {
    const current = this.get(t, ns, name);
    if (!current) throw new ApiError(404, 'NotFound', `${t.plural} "${name}" not found`);
    mutator(current);
    return this.update(t, current, opts);
  }

  delete(t: ResourceType, ns: string | undefined, name: string, opts: { dryRun?: boolean; propagationPolicy?: string; gracePeriodSeconds?: number } = {}): Promise<KubeObject> {
    const k = this.key(t, ns, name);
    const old = this.data.get(k);
    if (!old) return Promise.reject(new ApiError(404, 'NotFound', `${t.plural} "${name}" not found`));
    // Pods are deleted gracefully: the kubelet stops the containers, then deletes again with grace period 0.
    if (t.plural === 'pods' && !old.metadata.deletionTimestamp && opts.gracePeriodSeconds !== 0) {
      const next = clone(old);
      next.metadata.deletionTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      next.metadata.resourceVersion = String(++this.rv);
      this.data.set(k, next);
      this.emit({ type: 'MODIFIED', resource: t, object: next, oldObject: old });
      return Promise.resolve(clone(next));
    }
    this.data.delete(k);
    this.emit({ type: 'DELETED', resource: t, object: old, oldObject: old });
    return Promise.resolve(clone(old));
  }

  get(t: ResourceType, ns: string | undefined, name: string): KubeObject | undefined {
    const o = this.data.get(this.key(t, ns, name));
    return o && clone(o);
  }

  list(t: ResourceType, opts: ListOptions = {}): ListResult {
    const prefix = `${t.group}/${t.plural}/`;
    const selector = parseEquality(opts.labelSelector);
    const items = [...this.data.entries()]
      .filter(([k]) => k.startsWith(prefix))
      .map(([, o]) => o)
      .filter((o) => !opts.namespace || o.metadata.namespace === opts.namespace)
      .filter((o) => Object.entries(selector).every(([key, v]) => o.metadata.labels?.[key] === v))
      .map(clone);
    return { items, resourceVersion: String(this.rv) };
  }

  watch(t: ResourceType, _opts: WatchOptions, onEvent: (type: WatchEventType, obj: KubeObject) => void): () => void {
    return this.onChange((e) => {
      if (e.resource.plural === t.plural && e.resource.group === t.group) onEvent(e.type, e.object);
    });
  }

  onChange(listener: (event: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  addAdmissionPlugin(_plugin: AdmissionPlugin): void {}

  currentResourceVersion(): string {
    return String(this.rv);
  }

  /** Resolves when `predicate` holds for the object, checked on every change; rejects after `timeoutMs` with the last state. */
  waitFor(t: ResourceType, ns: string | undefined, name: string, description: string, predicate: (obj: KubeObject | undefined) => boolean, timeoutMs = 10_000): Promise<KubeObject | undefined> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const obj = this.get(t, ns, name);
        if (!predicate(obj)) return false;
        cleanup();
        resolve(obj);
        return true;
      };
      const unsubscribe = this.onChange(() => void check());
      const timer = setTimeout(() => {
        cleanup();
        const last = this.get(t, ns, name);
        reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${t.kind} ${ns ?? ''}/${name} ${description}; last seen: ${JSON.stringify(last?.status ?? last ?? null)}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        unsubscribe();
      };
      check();
    });
  }
}

function parseEquality(selector: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const term of (selector ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const [k, v] = term.split(/==?/);
    if (k !== undefined && v !== undefined) out[k.trim()] = v.trim();
  }
  return out;
}
