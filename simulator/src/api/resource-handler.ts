/**
 * Serves the resource verbs (get, list, watch, create, update, patch, delete, deletecollection)
 * and the subresources (status, scale, log, binding, eviction, proxy) on top of the ObjectStore.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { apiVersionOf, hasStatusSubresource, qualifiedResource } from '../cluster/resource-types.ts';
import { ApiError } from '../cluster/types.ts';
import type { KubeObject, ListOptions, LogSource, ObjectStore, ResourceType } from '../cluster/types.ts';
import { errorBody, errorText } from '../cluster/field-errors.ts';
import type { FieldError } from '../cluster/field-errors.ts';
import type { ApiHooks } from '../hooks.ts';
import { notFoundPath, readObject, sendError, sendJson, statusOf, successStatus } from './http-util.ts';
import { applyConfiguration, managerFromUserAgent, updateManagedFields } from './field-manager.ts';
import { checkApplyConfiguration, decodeBody, decodePatched, fieldValidationOf, warnUnknownFields } from './field-validation.ts';
import { applyPatch, patchTypeOf } from './patch.ts';
import type { ResourcePath } from './paths.ts';
import { noteCreated } from './request-log.ts';
import { partialObjectMetadata, renderAsOf, renderTable } from './table.ts';

/** Where a proxy or port-forward request is headed. */
export interface ProxyTarget {
  kind: 'service' | 'pod';
  namespace: string;
  /** Object name without the `scheme:` and `:port` parts. */
  name: string;
  /** Port name or number from `name:port`, when given. */
  port?: string;
  scheme?: string;
  /** Path after `/proxy`, with the query string; '/' at least. */
  path: string;
}

/** A pluggable handler for `services/proxy`, `pods/proxy` (plain HTTP). */
export type ProxyHandler = (req: IncomingMessage, res: ServerResponse, target: ProxyTarget) => void;

export interface ResourceHandlerOptions {
  store: ObjectStore;
  /** How often watches that allow bookmarks get one (default defaultBookmarkIntervalMs). */
  bookmarkIntervalMs?: number;
  hooks: Pick<ApiHooks, 'onWatchOpened'>;
  logs?: LogSource;
  serviceProxy?: ProxyHandler;
  podProxy?: ProxyHandler;
}

const maxConflictRetries = 5;

function flag(value: string | null): boolean {
  return value === 'true' || value === '1';
}

function isDryRun(query: URLSearchParams, body?: unknown): boolean {
  if (query.getAll('dryRun').includes('All')) return true;
  const dryRun = (body as { dryRun?: unknown } | undefined)?.dryRun;
  return Array.isArray(dryRun) && dryRun.includes('All');
}

function isCustomResource(store: ObjectStore, type: ResourceType): boolean {
  const crdType = store.types.byPath('apiextensions.k8s.io', 'v1', 'customresourcedefinitions');
  return crdType !== undefined && store.get(crdType, undefined, `${type.plural}.${type.group}`) !== undefined;
}

function methodNotAllowed(): ApiError {
  return new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
}

function requireVerb(type: ResourceType, verb: string): void {
  if (!type.verbs.includes(verb)) throw methodNotAllowed();
}

/** Parses `scheme:name:port` (any part but the name optional) as proxy paths write it. */
export function parseProxyName(raw: string): { scheme?: string; name: string; port?: string } {
  const parts = raw.split(':');
  if (parts.length === 1) return { name: parts[0]! };
  if (parts.length === 2) return { name: parts[0]!, ...(parts[1] ? { port: parts[1] } : {}) };
  return { ...(parts[0] ? { scheme: parts[0] } : {}), name: parts[1]!, ...(parts[2] ? { port: parts[2] } : {}) };
}

/** Handles one request for a resource URL. Throws ApiError for the caller to render. */
export async function handleResource(opts: ResourceHandlerOptions, req: IncomingMessage, res: ServerResponse, rp: ResourcePath, query: URLSearchParams): Promise<void> {
  const { store } = opts;
  const { type } = rp;
  const method = req.method ?? 'GET';
  const renderAs = renderAsOf(req.headers.accept);

  if (rp.subresource) return handleSubresource(opts, req, res, rp, query);

  const present = (obj: KubeObject): unknown => {
    if (renderAs === 'Table') return renderTable(type, [obj], { includeObject: query.get('includeObject') ?? 'Metadata' });
    if (renderAs === 'PartialObjectMetadata') return partialObjectMetadata(obj);
    return obj;
  };

  if (rp.name === undefined) {
    const watch = rp.legacyWatch || flag(query.get('watch'));
    if (method === 'GET' && watch) {
      requireVerb(type, 'watch');
      return serveWatch(opts, req, res, rp, query);
    }
    if (method === 'GET') {
      requireVerb(type, 'list');
      const options = pagedListOptions(rp, query);
      await waitForResourceVersion(store, options.resourceVersion);
      const result = store.list(type, options);
      const listMeta = {
        resourceVersion: result.resourceVersion,
        ...(result.continue ? { continue: result.continue } : {}),
        ...(result.remainingItemCount !== undefined ? { remainingItemCount: result.remainingItemCount } : {}),
      };
      if (renderAs === 'Table') return sendJson(res, 200, renderTable(type, result.items, { includeObject: query.get('includeObject') ?? 'Metadata', listMeta }));
      if (renderAs === 'PartialObjectMetadataList' || renderAs === 'PartialObjectMetadata') {
        return sendJson(res, 200, { kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', metadata: listMeta, items: result.items.map(partialObjectMetadata) });
      }
      return sendJson(res, 200, { kind: type.listKind, apiVersion: apiVersionOf(type), metadata: listMeta, items: result.items });
    }
    if (method === 'POST') {
      requireVerb(type, 'create');
      const body = await readObject(req) as KubeObject | undefined;
      if (!body || typeof body !== 'object') throw new ApiError(400, 'BadRequest', 'the body of the request was empty');
      checkBodyKind(type, body);
      decodeBody(res, type, body, fieldValidationOf(query, 'CreateOptions'));
      body.metadata ??= {};
      if (type.namespaced) {
        if (body.metadata.namespace && rp.namespace && body.metadata.namespace !== rp.namespace) {
          throw new ApiError(400, 'BadRequest', 'the namespace of the provided object does not match the namespace sent on the request');
        }
        if (rp.namespace) body.metadata.namespace = rp.namespace;
      }
      const manager = managerOf(req, query);
      const created = await store.create(type, body, { dryRun: isDryRun(query), managedFields: (_live, next) => updateManagedFields({ type, manager }, undefined, next) });
      if (!isDryRun(query)) noteCreated(res, created.metadata.namespace, created.metadata.name);
      return sendJson(res, 201, present(created));
    }
    if (method === 'DELETE') {
      requireVerb(type, 'deletecollection');
      const body = await readObject(req) as Record<string, unknown> | undefined;
      const items = store.list(type, listOptions(rp, query)).items;
      const deleted: KubeObject[] = [];
      for (const item of items) {
        try {
          deleted.push(await store.delete(type, item.metadata.namespace, item.metadata.name!, deleteOptions(query, body)));
        } catch (err) {
          if (!(err instanceof ApiError && err.code === 404)) throw err;
        }
      }
      return sendJson(res, 200, { kind: type.listKind, apiVersion: apiVersionOf(type), metadata: { resourceVersion: store.currentResourceVersion() }, items: deleted });
    }
    throw methodNotAllowed();
  }

  const name = rp.name;
  const namespace = type.namespaced ? rp.namespace : undefined;
  if (type.namespaced && namespace === undefined) throw notFoundPath();
  switch (method) {
    case 'GET': {
      if (flag(query.get('watch')) || rp.legacyWatch) {
        requireVerb(type, 'watch');
        const fieldSelector = [query.get('fieldSelector'), `metadata.name=${name}`].filter((s) => s).join(',');
        query.set('fieldSelector', fieldSelector);
        return serveWatch(opts, req, res, { ...rp, name: undefined }, query);
      }
      requireVerb(type, 'get');
      const obj = store.get(type, namespace, name);
      if (!obj) throw notFound(type, name);
      return sendJson(res, 200, present(obj));
    }
    case 'PUT': {
      requireVerb(type, 'update');
      const body = await readObject(req) as KubeObject | undefined;
      if (!body || typeof body !== 'object') throw new ApiError(400, 'BadRequest', 'the body of the request was empty');
      checkBodyKind(type, body);
      decodeBody(res, type, body, fieldValidationOf(query, 'UpdateOptions'));
      body.metadata ??= {};
      if (body.metadata.name && body.metadata.name !== name) throw new ApiError(400, 'BadRequest', `the name of the object (${body.metadata.name}) does not match the name on the URL (${name})`);
      body.metadata.name = name;
      if (namespace) body.metadata.namespace = namespace;
      const manager = managerOf(req, query);
      const updated = await store.update(type, body, { dryRun: isDryRun(query), managedFields: (live, next) => updateManagedFields({ type, manager }, live, next) });
      return sendJson(res, 200, present(updated));
    }
    case 'PATCH': {
      requireVerb(type, 'patch');
      const result = await patchObject(opts, req, res, type, namespace, name, query, undefined);
      return sendJson(res, result.created ? 201 : 200, present(result.object));
    }
    case 'DELETE': {
      requireVerb(type, 'delete');
      const body = await readObject(req) as Record<string, unknown> | undefined;
      const deleted = await store.delete(type, namespace, name, deleteOptions(query, body));
      // Objects that wait for finalizers answer 202 Accepted; immediate deletes answer 200.
      const pending = store.get(type, namespace, name) !== undefined && !isDryRun(query, body);
      return sendJson(res, pending ? 202 : 200, deleted);
    }
    default:
      throw methodNotAllowed();
  }
}

function notFound(type: ResourceType, name: string): ApiError {
  return new ApiError(404, 'NotFound', `${qualifiedResource(type)} "${name}" not found`, { name, ...(type.group ? { group: type.group } : {}), kind: type.plural });
}

function checkBodyKind(type: ResourceType, body: KubeObject): void {
  if (body.kind && body.kind !== type.kind) {
    throw new ApiError(400, 'BadRequest', `the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${apiVersionOf(type)}) or kind ${String(body.kind)} is not ${type.kind}`);
  }
}

function listOptions(rp: ResourcePath, query: URLSearchParams): { namespace?: string; labelSelector?: string; fieldSelector?: string } {
  return {
    ...(rp.namespace ? { namespace: rp.namespace } : {}),
    ...(query.get('labelSelector') ? { labelSelector: query.get('labelSelector')! } : {}),
    ...(query.get('fieldSelector') ? { fieldSelector: query.get('fieldSelector')! } : {}),
  };
}

/** A 422 on the list options, as kube-apiserver's ValidateListOptions words it. */
function invalidListOptions(errors: FieldError[]): ApiError {
  return new ApiError(422, 'Invalid', `ListOptions.meta.k8s.io "" is invalid: ${errors.length === 1 ? errorText(errors[0]!) : `[${errors.map(errorText).join(', ')}]`}`, {
    group: 'meta.k8s.io', kind: 'ListOptions',
    causes: errors.map((e) => ({ reason: e.type === 'Forbidden' ? 'FieldValueForbidden' : 'FieldValueNotSupported', message: errorBody(e), field: e.field })),
  });
}

/** The options of a list: selectors, paging and resourceVersion semantics, validated like ValidateListOptions. */
function pagedListOptions(rp: ResourcePath, query: URLSearchParams): ListOptions {
  const errors: FieldError[] = [];
  const match = query.get('resourceVersionMatch') ?? '';
  const rv = query.get('resourceVersion') ?? '';
  const cont = query.get('continue') ?? '';
  if (match !== '') {
    if (rv === '') errors.push({ type: 'Forbidden', field: 'resourceVersionMatch', detail: 'resourceVersionMatch is forbidden unless resourceVersion is provided' });
    if (cont !== '') errors.push({ type: 'Forbidden', field: 'resourceVersionMatch', detail: 'resourceVersionMatch is forbidden when continue is provided' });
    if (match !== 'Exact' && match !== 'NotOlderThan') errors.push({ type: 'NotSupported', field: 'resourceVersionMatch', value: match, detail: 'supported values: "Exact", "NotOlderThan", ""' });
    if (match === 'Exact' && rv === '0') errors.push({ type: 'Forbidden', field: 'resourceVersionMatch', detail: 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"' });
  }
  if (query.get('sendInitialEvents') !== null) errors.push({ type: 'Forbidden', field: 'sendInitialEvents', detail: 'sendInitialEvents is forbidden for list' });
  if (errors.length > 0) throw invalidListOptions(errors);
  if (cont !== '' && rv !== '' && rv !== '0') throw new ApiError(400, 'BadRequest', 'specifying resource version is not allowed when using continue');
  const limit = Number(query.get('limit') ?? '0');
  return {
    ...listOptions(rp, query),
    ...(Number.isInteger(limit) && limit > 0 ? { limit } : {}),
    ...(cont !== '' ? { continue: cont } : {}),
    ...(rv !== '' ? { resourceVersion: rv } : {}),
    ...(match === 'Exact' || match === 'NotOlderThan' ? { resourceVersionMatch: match } : {}),
  };
}

/** Like the watch cache, a list at a resourceVersion the server has not reached waits up to 3 s for it (then 504). */
async function waitForResourceVersion(store: ObjectStore, rv: string | undefined): Promise<void> {
  const wanted = Number(rv);
  if (!rv || !Number.isInteger(wanted)) return;
  const deadline = Date.now() + 3_000;
  while (Number(store.currentResourceVersion()) < wanted && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
}

function deleteOptions(query: URLSearchParams, body: Record<string, unknown> | undefined): { dryRun: boolean; propagationPolicy?: string } {
  const propagation = query.get('propagationPolicy') ?? (typeof body?.propagationPolicy === 'string' ? body.propagationPolicy : undefined);
  return { dryRun: isDryRun(query, body), ...(propagation ? { propagationPolicy: propagation } : {}) };
}

/** The resourceVersion a merge or apply patch pins (`metadata.resourceVersion`), if any. */
function pinnedResourceVersion(patch: unknown): string | undefined {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return undefined;
  const metadata = (patch as Record<string, unknown>).metadata;
  if (metadata === null || typeof metadata !== 'object') return undefined;
  const rv = (metadata as Record<string, unknown>).resourceVersion;
  return typeof rv === 'string' ? rv : undefined;
}

/** The manager a write is recorded under: `?fieldManager`, else the User-Agent's product (kube-apiserver's default). */
function managerOf(req: IncomingMessage, query: URLSearchParams): string {
  return query.get('fieldManager') ?? managerFromUserAgent(req.headers['user-agent']);
}

/** A 409 that is optimistic concurrency (retried), not an apply conflict between field managers (answered). */
function isVersionConflict(err: unknown): boolean {
  return err instanceof ApiError && err.code === 409 && !(err.details?.causes ?? []).some((c) => c.reason === 'FieldManagerConflict');
}

/**
 * PATCH: read, patch, update with the read resourceVersion, retrying when another writer got in between (unless the
 * patch itself pinned a resourceVersion). Apply patches go through the field manager (field-manager.ts): merged by
 * the kind's schema, fields no longer applied removed, conflicts answered; they create missing objects.
 */
async function patchObject(opts: ResourceHandlerOptions, req: IncomingMessage, res: ServerResponse, type: ResourceType, namespace: string | undefined, name: string, query: URLSearchParams, subresource: string | undefined): Promise<{ object: KubeObject; created: boolean }> {
  const { store } = opts;
  const patchType = patchTypeOf(req.headers['content-type']);
  const directive = fieldValidationOf(query, 'PatchOptions');
  const patch = await readObject(req, patchType === 'apply');
  if (patch === undefined) throw new ApiError(400, 'BadRequest', 'the body of the request was empty');
  const dryRun = isDryRun(query);
  const fieldManager = query.get('fieldManager') ?? undefined;
  const force = flag(query.get('force'));
  if (patchType === 'apply') {
    if (!fieldManager) throw new ApiError(422, 'Invalid', `PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch`, { group: 'meta.k8s.io', kind: 'PatchOptions', causes: [{ reason: 'FieldValueRequired', message: 'Required value: is required for apply patch', field: 'fieldManager' }] });
    return applyObject(store, type, namespace, name, patch as KubeObject, { manager: fieldManager, force, dryRun, ...(subresource ? { subresource } : {}) });
  }
  if (force) throw new ApiError(422, 'Invalid', `PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch`, { group: 'meta.k8s.io', kind: 'PatchOptions', causes: [{ reason: 'FieldValueForbidden', message: 'Forbidden: may not be specified for non-apply patch', field: 'force' }] });
  const manager = fieldManager ?? managerFromUserAgent(req.headers['user-agent']);
  const builtin = !isCustomResource(store, type);
  const pinnedRv = pinnedResourceVersion(patch);

  for (let attempt = 0; ; attempt++) {
    const existing = store.get(type, namespace, name);
    if (!existing) throw notFound(type, name);
    const patched = applyPatch(patchType, existing, patch, builtin) as KubeObject;
    if (!patched || typeof patched !== 'object') throw new ApiError(422, 'Invalid', `${type.kind} "${name}" is invalid: the patch produced no object`);
    const unknown = decodePatched(type, patchType, patched, patch, directive);
    patched.metadata ??= {};
    patched.metadata.name = name;
    if (namespace) patched.metadata.namespace = namespace;
    if (!pinnedRv) patched.metadata.resourceVersion = existing.metadata.resourceVersion!;
    try {
      const object = await store.update(type, patched, {
        dryRun, ...(subresource ? { subresource } : {}),
        managedFields: (live, next) => updateManagedFields({ type, manager, ...(subresource ? { subresource } : {}) }, live, next),
      });
      warnUnknownFields(res, unknown);
      return { object, created: false };
    } catch (err) {
      if (!isVersionConflict(err) || pinnedRv || attempt >= maxConflictRetries) throw err;
    }
  }
}

/** Server-side apply of `config` (creating the object when it does not exist), retried on optimistic-concurrency conflicts. */
async function applyObject(store: ObjectStore, type: ResourceType, namespace: string | undefined, name: string, config: KubeObject,
  o: { manager: string; force: boolean; dryRun: boolean; subresource?: string }): Promise<{ object: KubeObject; created: boolean }> {
  if (!config || typeof config !== 'object' || Array.isArray(config)) throw new ApiError(400, 'BadRequest', 'the body of the request could not be decoded: expected an object');
  checkBodyKind(type, config);
  config.apiVersion ||= apiVersionOf(type);
  config.kind ||= type.kind;
  config.metadata ??= {};
  if (config.metadata.name && config.metadata.name !== name) throw new ApiError(400, 'BadRequest', `the name of the object (${config.metadata.name}) does not match the name on the URL (${name})`);
  if (namespace && config.metadata.namespace && config.metadata.namespace !== namespace) {
    throw new ApiError(400, 'BadRequest', 'the namespace of the provided object does not match the namespace sent on the request');
  }
  checkApplyConfiguration(type, config);
  const req = { type, manager: o.manager, force: o.force, ...(o.subresource ? { subresource: o.subresource } : {}) };
  for (let attempt = 0; ; attempt++) {
    const existing = store.get(type, namespace, name);
    if (!existing && o.subresource) throw notFound(type, name);
    const { object, managedFields } = applyConfiguration(req, existing, config);
    object.metadata.name = name;
    if (namespace) object.metadata.namespace = namespace;
    try {
      if (!existing) return { object: await store.create(type, object, { dryRun: o.dryRun, managedFields: () => managedFields }), created: true };
      object.metadata.resourceVersion = existing.metadata.resourceVersion!;
      const updated = await store.update(type, object, { dryRun: o.dryRun, ...(o.subresource ? { subresource: o.subresource } : {}), managedFields: () => managedFields });
      return { object: updated, created: false };
    } catch (err) {
      const raced = isVersionConflict(err) || (err instanceof ApiError && err.code === 409 && err.reason === 'AlreadyExists');
      if (!raced || attempt >= maxConflictRetries) throw err;
    }
  }
}

async function handleSubresource(opts: ResourceHandlerOptions, req: IncomingMessage, res: ServerResponse, rp: ResourcePath, query: URLSearchParams): Promise<void> {
  const { store } = opts;
  const { type } = rp;
  const sub = rp.subresource!;
  const method = req.method ?? 'GET';
  const namespace = type.namespaced ? rp.namespace : undefined;
  if (type.namespaced && namespace === undefined) throw notFoundPath();
  if (!type.subresources.includes(sub)) throw notFoundPath();

  if (sub === 'proxy') return serveProxy(opts, req, res, rp);
  const rawName = rp.name!;
  const existing = store.get(type, namespace, rawName);
  if (!existing) throw notFound(type, rawName);

  switch (sub) {
    case 'status':
    case 'finalize': {
      if (method === 'GET') return sendJson(res, 200, existing);
      if (method === 'PUT') {
        const body = await readObject(req) as KubeObject;
        decodeBody(res, type, body, fieldValidationOf(query, 'UpdateOptions'));
        body.metadata = { ...body.metadata, name: rawName, ...(namespace ? { namespace } : {}) };
        const manager = managerOf(req, query);
        const managedFields = (live: KubeObject | undefined, next: KubeObject) => updateManagedFields({ type, manager, subresource: sub }, live, next);
        if (sub === 'finalize') return sendJson(res, 200, await store.update(type, body, { dryRun: isDryRun(query), managedFields }));
        return sendJson(res, 200, await store.update(type, body, { subresource: 'status', dryRun: isDryRun(query), managedFields }));
      }
      if (method === 'PATCH') {
        const result = await patchObject(opts, req, res, type, namespace, rawName, query, hasStatusSubresource(type) ? 'status' : undefined);
        return sendJson(res, 200, result.object);
      }
      throw methodNotAllowed();
    }
    case 'scale':
      return serveScale(opts, req, res, type, existing, query);
    case 'log':
      return serveLog(opts, res, existing, query);
    case 'binding': {
      if (method !== 'POST') throw methodNotAllowed();
      const body = await readObject(req) as { target?: { name?: string } } | undefined;
      const node = body?.target?.name;
      if (!node) throw new ApiError(400, 'BadRequest', 'binding target name is required');
      const assigned = (existing.spec as Record<string, unknown> | undefined)?.nodeName;
      if (typeof assigned === 'string' && assigned !== '') {
        throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on pods/binding "${rawName}": pod ${rawName} is already assigned to node "${assigned}"`, { name: rawName, kind: 'pods/binding' });
      }
      await store.mutate(type, namespace, rawName, (pod) => {
        (pod.spec as Record<string, unknown>).nodeName = node;
      }, { subresource: 'binding' });
      return sendJson(res, 201, successStatus({ name: rawName, kind: type.plural }));
    }
    case 'eviction': {
      if (method !== 'POST') throw methodNotAllowed();
      await store.delete(type, namespace, rawName);
      return sendJson(res, 201, successStatus({ name: rawName, kind: type.plural }));
    }
    case 'portforward':
      throw new ApiError(400, 'BadRequest', 'Upgrade request required');
    default:
      throw new ApiError(400, 'BadRequest', `${sub} is not supported by the simulated cluster`);
  }
}

async function serveScale(opts: ResourceHandlerOptions, req: IncomingMessage, res: ServerResponse, type: ResourceType, obj: KubeObject, query: URLSearchParams): Promise<void> {
  const scaleOf = (o: KubeObject): KubeObject => {
    const spec = (o.spec ?? {}) as Record<string, unknown>;
    const status = (o.status ?? {}) as Record<string, unknown>;
    const matchLabels = ((spec.selector ?? {}) as { matchLabels?: Record<string, string> }).matchLabels ?? {};
    return {
      kind: 'Scale', apiVersion: 'autoscaling/v1',
      metadata: { name: o.metadata.name!, namespace: o.metadata.namespace!, uid: o.metadata.uid!, resourceVersion: o.metadata.resourceVersion!, creationTimestamp: o.metadata.creationTimestamp! },
      spec: { replicas: spec.replicas ?? 0 },
      status: { replicas: status.replicas ?? 0, selector: Object.entries(matchLabels).map(([k, v]) => `${k}=${v}`).join(',') },
    };
  };
  const method = req.method ?? 'GET';
  if (method === 'GET') return sendJson(res, 200, scaleOf(obj));
  let desired: unknown;
  if (method === 'PUT') {
    desired = ((await readObject(req) as KubeObject | undefined)?.spec as Record<string, unknown> | undefined)?.replicas;
  } else if (method === 'PATCH') {
    const patchType = patchTypeOf(req.headers['content-type']);
    const patched = applyPatch(patchType, scaleOf(obj), await readObject(req, patchType === 'apply'), true) as KubeObject;
    desired = (patched.spec as Record<string, unknown> | undefined)?.replicas;
  } else {
    throw methodNotAllowed();
  }
  if (typeof desired !== 'number' || desired < 0) throw new ApiError(422, 'Invalid', `Scale.autoscaling "${obj.metadata.name}" is invalid: spec.replicas: Invalid value: must be greater than or equal to 0`);
  if (isDryRun(query)) return sendJson(res, 200, scaleOf(obj));
  // The scale subresource writes spec.replicas of the object, recorded as the caller's Update with subresource "scale".
  const manager = managerOf(req, query);
  let updated: KubeObject | undefined;
  for (let attempt = 0; !updated; attempt++) {
    const current = opts.store.get(type, obj.metadata.namespace, obj.metadata.name!);
    if (!current) throw notFound(type, obj.metadata.name!);
    (current.spec as Record<string, unknown>).replicas = desired;
    try {
      updated = await opts.store.update(type, current, { managedFields: (live, next) => updateManagedFields({ type, manager, subresource: 'scale' }, live, next) });
    } catch (err) {
      if (!isVersionConflict(err) || attempt >= maxConflictRetries) throw err;
    }
  }
  return sendJson(res, 200, scaleOf(updated));
}

interface ContainerStatusLike {
  name: string;
  state?: { running?: unknown; terminated?: unknown; waiting?: { reason?: string } };
  lastState?: { terminated?: unknown };
}

function serveLog(opts: ResourceHandlerOptions, res: ServerResponse, pod: KubeObject, query: URLSearchParams): void {
  const spec = (pod.spec ?? {}) as { containers?: { name: string }[]; initContainers?: { name: string }[] };
  const names = [...(spec.containers ?? []), ...(spec.initContainers ?? [])].map((c) => c.name);
  let container = query.get('container') ?? undefined;
  if (!container) {
    const main = (spec.containers ?? []).map((c) => c.name);
    if (main.length !== 1) {
      throw new ApiError(400, 'BadRequest', `a container name must be specified for pod ${pod.metadata.name}, choose one of: [${main.join(' ')}] or one of the init containers: [${(spec.initContainers ?? []).map((c) => c.name).join(' ')}]`);
    }
    container = main[0]!;
  }
  if (!names.includes(container)) throw new ApiError(400, 'BadRequest', `container ${container} is not valid for pod ${pod.metadata.name}`);
  const tail = query.get('tailLines');
  const previous = flag(query.get('previous'));
  let text = opts.logs?.logs(pod.metadata.namespace!, pod.metadata.name!, container, {
    ...(tail !== null ? { tailLines: Number(tail) } : {}), previous,
  });
  if (text === undefined) {
    // No log file: the kubelet answers from the container's status. A container that ran (or runs) but wrote
    // nothing has an empty log; only one that never started is "waiting to start", with its waiting reason.
    const status = (pod.status ?? {}) as { initContainerStatuses?: ContainerStatusLike[]; containerStatuses?: ContainerStatusLike[] };
    const cs = [...(status.initContainerStatuses ?? []), ...(status.containerStatuses ?? [])].find((s) => s.name === container);
    if (previous) {
      if (!cs?.lastState?.terminated) throw new ApiError(400, 'BadRequest', `previous terminated container "${container}" in pod "${pod.metadata.name}" not found`);
      text = '';
    } else if (cs?.state?.running || cs?.state?.terminated) {
      text = '';
    } else {
      throw new ApiError(400, 'BadRequest', `container "${container}" in pod "${pod.metadata.name}" is waiting to start: ${cs?.state?.waiting?.reason ?? 'ContainerCreating'}`);
    }
  }
  // Logs are text, as upstream; client-node returns them as a string only with text/plain.
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-cache, private' });
  res.end(text);
}

/** Builds the proxy target of a `services/<name>/proxy/...` or `pods/<name>/proxy/...` request. */
export function proxyTargetOf(rp: ResourcePath, rawUrl: string): ProxyTarget {
  const parsed = parseProxyName(rp.name ?? '');
  const queryIndex = rawUrl.indexOf('?');
  const search = queryIndex >= 0 ? rawUrl.slice(queryIndex) : '';
  return {
    kind: rp.type.kind === 'Service' ? 'service' : 'pod',
    namespace: rp.namespace ?? 'default',
    name: parsed.name,
    ...(parsed.port ? { port: parsed.port } : {}),
    ...(parsed.scheme ? { scheme: parsed.scheme } : {}),
    path: `${rp.rest || '/'}${search}`,
  };
}

function serveProxy(opts: ResourceHandlerOptions, req: IncomingMessage, res: ServerResponse, rp: ResourcePath): void {
  const target = proxyTargetOf(rp, req.url ?? '');
  const handler = target.kind === 'service' ? opts.serviceProxy : opts.podProxy;
  const type = rp.type;
  if (!opts.store.get(type, target.namespace, target.name)) throw notFound(type, target.name);
  if (!handler) throw new ApiError(503, 'ServiceUnavailable', `no endpoints available for ${type.kind.toLowerCase()} "${target.name}"`);
  handler(req, res, target);
}

/** How often a watch that allows bookmarks gets one (the watch cache's bookmarkFrequency). */
export const defaultBookmarkIntervalMs = 60_000;

/**
 * The watch options kube-apiserver 1.27–1.31 accept (ValidateListOptions with the WatchList feature gate off, as it is
 * by default before 1.32): `sendInitialEvents` is refused, and `resourceVersionMatch` needs it.
 */
function validateWatchOptions(query: URLSearchParams): void {
  const errors: FieldError[] = [];
  const match = query.get('resourceVersionMatch') ?? '';
  if (query.get('sendInitialEvents') !== null) {
    if (match !== 'NotOlderThan') errors.push({ type: 'Forbidden', field: 'resourceVersionMatch', detail: 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan' });
    errors.push({ type: 'Forbidden', field: 'sendInitialEvents', detail: 'sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled' });
  } else if (match !== '') {
    errors.push({ type: 'Forbidden', field: 'resourceVersionMatch', detail: 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided' });
  }
  if (errors.length > 0) throw invalidListOptions(errors);
}

/**
 * Streams watch events as newline-delimited JSON until the client leaves, the timeout passes (timeoutSeconds, else
 * kube-apiserver's 30–60 minutes), or a hook (`onWatchOpened`) cuts it. With `allowWatchBookmarks`, a BOOKMARK carrying
 * the current resourceVersion comes every bookmark interval and 2 s before the timeout, as from the watch cache.
 */
function serveWatch(opts: ResourceHandlerOptions, req: IncomingMessage, res: ServerResponse, rp: ResourcePath, query: URLSearchParams): void {
  const { store } = opts;
  const type = rp.type;
  validateWatchOptions(query);
  const asTable = renderAsOf(req.headers.accept) === 'Table';
  const includeObject = query.get('includeObject') ?? 'Metadata';
  let firstTable = true;
  let unsubscribe: (() => void) | undefined;
  let disposeHook: () => void = () => undefined;
  const timers: NodeJS.Timeout[] = [];
  let ended = false;

  const end = (): void => {
    if (ended) return;
    ended = true;
    unsubscribe?.();
    disposeHook();
    for (const timer of timers) clearTimeout(timer);
    res.end();
  };
  const write = (eventType: string, obj: unknown): void => {
    if (ended) return;
    let object = obj;
    if (asTable && eventType !== 'ERROR' && eventType !== 'BOOKMARK') {
      object = renderTable(type, [obj as KubeObject], { includeObject, omitColumns: !firstTable });
      firstTable = false;
    }
    res.write(`${JSON.stringify({ type: eventType, object })}\n`);
  };
  const bookmark = (): void => write('BOOKMARK', { kind: type.kind, apiVersion: apiVersionOf(type), metadata: { resourceVersion: store.currentResourceVersion() } });

  res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
  res.flushHeaders();
  req.on('close', end);
  res.on('close', end);
  try {
    unsubscribe = store.watch(type, {
      ...listOptions(rp, query),
      ...(query.get('resourceVersion') !== null ? { resourceVersion: query.get('resourceVersion')! } : {}),
      allowBookmarks: flag(query.get('allowWatchBookmarks')),
    }, write);
  } catch (err) {
    // Like kube-apiserver: a too-old resourceVersion is an ERROR event in a 200 stream.
    if (err instanceof ApiError) {
      write('ERROR', statusOf(err));
      end();
      return;
    }
    throw err;
  }
  if (ended) unsubscribe();
  const requested = Number(query.get('timeoutSeconds') ?? '0');
  // Without timeoutSeconds kube-apiserver ends a watch after --min-request-timeout (1800 s) times a random 1–2.
  const timeoutMs = requested > 0 ? requested * 1000 : 1_800_000 * (1 + Math.random());
  timers.push(setTimeout(end, timeoutMs));
  if (flag(query.get('allowWatchBookmarks'))) {
    const interval = opts.bookmarkIntervalMs ?? defaultBookmarkIntervalMs;
    const schedule = (): void => {
      timers.push(setTimeout(() => {
        bookmark();
        schedule();
      }, interval));
    };
    schedule();
    if (timeoutMs > 2_000) timers.push(setTimeout(bookmark, timeoutMs - 2_000));
  }
  disposeHook = opts.hooks.onWatchOpened(end);
}

/** Sends a handler failure as Status, unless the response has already started (watch, proxy). */
export function renderFailure(res: ServerResponse, err: ApiError): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  sendError(res, err);
}
