/**
 * The OpenAPI documents kube-apiserver publishes, built from the kinds the server serves: `/openapi/v2` (one Swagger
 * document, as JSON or as gnostic protobuf, openapi-protobuf.ts) and `/openapi/v3` (an index of one document per
 * group-version, as JSON). Builtin kinds carry their upstream definitions (builtin-schemas.ts); a custom resource
 * carries its CRD's openAPIV3Schema the way the apiextensions-apiserver publishes it (v2: nullable and
 * preserve-unknown-fields subtrees opened up, as ToStructuralOpenAPIV2 does). Every PATCH declares the
 * `fieldValidation` parameter, so kubectl leaves field validation to the server, and the paths carry
 * `x-kubernetes-group-version-kind`, which kubectl's explain and patch logic look up.
 */
import { createHash } from 'node:crypto';
import type { JsonSchema, ResourceType, ResourceTypeRegistry } from '../cluster/types.ts';
import { builtinDefinitionName, builtinOpenApi } from './builtin-schemas.ts';
import { encodeOpenApiV2 } from './openapi-protobuf.ts';

/** One serialized document with its entity tag (the hash of the JSON, as kube-openapi computes it). */
export interface ServedDocument {
  json: Buffer;
  etag: string;
  lastModified: Date;
  /** v2 only: the gnostic protobuf encoding. */
  proto?: Buffer;
}

const v2Prefix = '#/definitions/';
const v3Prefix = '#/components/schemas/';
const objectMetaRef = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';
const listMetaRef = 'io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta';
const statusRef = 'io.k8s.apimachinery.pkg.apis.meta.v1.Status';
const deleteOptionsRef = 'io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions';
const patchRef = 'io.k8s.apimachinery.pkg.apis.meta.v1.Patch';
const scaleRef = 'io.k8s.api.autoscaling.v1.Scale';
const metadataDescription = 'Standard object\'s metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';
const listMetadataDescription = 'Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds';

function isObj(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function gvPath(group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`;
}

/** `networking.k8s.io` → `networking`, `policy.openservicemesh.io` → `policyOpenservicemeshIo`, core → `core`. */
function groupTag(group: string): string {
  if (group === '') return 'core';
  const parts = group.replace(/\.k8s\.io$/, '').split(/[.-]/);
  return parts.map((p, i) => (i === 0 ? p : p.charAt(0).toUpperCase() + p.slice(1))).join('');
}

function upperFirst(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** The definition name kube-apiserver gives a custom resource's kind: the group reversed (`io.openservicemesh.policy.v1alpha1.IngressBackend`). */
export function customModelName(group: string, version: string, kind: string): string {
  return `${group.split('.').reverse().join('.')}.${version}.${kind}`;
}

function modelName(t: ResourceType, kind = t.kind): string | undefined {
  return t.custom ? customModelName(t.group, t.version, kind) : builtinDefinitionName(t.group, t.version, kind);
}

// ---- custom resource definitions (apiextensions-apiserver's builder.go and v2/conversion.go) ----

/** ToStructuralOpenAPIV2: what kubectl's v2 parser copes with. */
function toOpenApiV2(s: JsonSchema): JsonSchema {
  const out: JsonSchema = { ...s };
  for (const junctor of ['allOf', 'oneOf', 'anyOf', 'not']) delete out[junctor];
  if (out.nullable === true) {
    delete out.type;
    delete out.items;
    delete out.properties;
  }
  delete out.nullable;
  if (out['x-kubernetes-preserve-unknown-fields'] === true) {
    delete out.items;
    delete out.properties;
    if (out.type === 'object') delete out.type;
  }
  if (out.items === undefined && out.type === 'array') delete out.type;
  if (isObj(out.properties)) {
    const props = out.properties;
    out.properties = Object.fromEntries(Object.entries(props).map(([k, v]) => [k, isObj(v) ? toOpenApiV2(v) : v]));
    const nullable = Object.entries(props).filter(([, v]) => isObj(v) && v.nullable === true).map(([k]) => k);
    if (Array.isArray(out.required) && nullable.length > 0) out.required = (out.required as string[]).filter((r) => !nullable.includes(r));
  }
  if (isObj(out.items)) out.items = toOpenApiV2(out.items);
  if (isObj(out.additionalProperties)) {
    if (out.additionalProperties.nullable === true) delete out.required;
    out.additionalProperties = toOpenApiV2(out.additionalProperties);
  }
  return out;
}

function typeMetaProperties(): Record<string, JsonSchema> {
  const pod = builtinOpenApi().definitions['io.k8s.api.core.v1.Pod'];
  const props = (pod?.properties ?? {}) as Record<string, JsonSchema>;
  return { apiVersion: props.apiVersion ?? { type: 'string' }, kind: props.kind ?? { type: 'string' } };
}

function metadataProperty(ref: string, description: string, v2: boolean): JsonSchema {
  return v2 ? { description, $ref: `${v2Prefix}${ref}` } : { description, allOf: [{ $ref: `${v3Prefix}${ref}` }] };
}

/** A custom resource kind's definition (buildKubeNative). */
function customKindDefinition(t: ResourceType, v2: boolean): JsonSchema {
  const gvk = [{ group: t.group, version: t.version, kind: t.kind }];
  const schema = t.schema;
  if (!schema || (v2 && schema['x-kubernetes-preserve-unknown-fields'] === true)) return { type: 'object', 'x-kubernetes-group-version-kind': gvk };
  const converted = v2 ? toOpenApiV2(schema) : structuredClone(schema);
  const properties = isObj(converted.properties) ? converted.properties : {};
  return {
    ...converted,
    properties: { ...typeMetaProperties(), metadata: metadataProperty(objectMetaRef, metadataDescription, v2), ...Object.fromEntries(Object.entries(properties).filter(([k]) => !['apiVersion', 'kind', 'metadata'].includes(k))) },
    'x-kubernetes-group-version-kind': gvk,
  };
}

function customListDefinition(t: ResourceType, v2: boolean): JsonSchema {
  const prefix = v2 ? v2Prefix : v3Prefix;
  return {
    description: `${t.listKind} is a list of ${t.kind}`,
    type: 'object',
    required: ['items'],
    properties: {
      ...typeMetaProperties(),
      items: { description: `List of ${t.plural}. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md`, type: 'array', items: { $ref: `${prefix}${customModelName(t.group, t.version, t.kind)}` } },
      metadata: metadataProperty(listMetaRef, listMetadataDescription, v2),
    },
    'x-kubernetes-group-version-kind': [{ group: t.group, version: t.version, kind: t.listKind }],
  };
}

// ---- paths ----

interface Operation {
  method: 'get' | 'put' | 'post' | 'delete' | 'patch';
  action: string;
  verb: string;
  description: string;
  query: string[];
  body?: string;
  response: string;
  codes: string[];
  gvk: { group: string; version: string; kind: string };
}

const listQuery = ['allowWatchBookmarks', 'continue', 'fieldSelector', 'labelSelector', 'limit', 'resourceVersion', 'resourceVersionMatch', 'sendInitialEvents', 'timeoutSeconds', 'watch'];
const writeQuery = ['dryRun', 'fieldManager', 'fieldValidation'];
const patchQuery = [...writeQuery, 'force'];
const deleteQuery = ['dryRun', 'gracePeriodSeconds', 'orphanDependents', 'propagationPolicy'];

/** The paths of one kind: collection, object, and the status and scale subresources, as registerResourceHandlers lays them out. */
function pathsOf(t: ResourceType): { path: string; pathParams: string[]; ops: Operation[] }[] {
  const kindName = modelName(t);
  const listName = modelName(t, t.listKind);
  if (!kindName || !listName) return [];
  const gvk = { group: t.group, version: t.version, kind: t.kind };
  const base = `/${gvPath(t.group, t.version)}${t.namespaced ? '/namespaces/{namespace}' : ''}/${t.plural}`;
  const nsParams = t.namespaced ? ['namespace'] : [];
  const has = (verb: string) => t.verbs.includes(verb);
  const collection: Operation[] = [];
  if (has('list')) collection.push({ method: 'get', action: 'list', verb: 'list', description: `list or watch objects of kind ${t.kind}`, query: listQuery, response: listName, codes: ['200'], gvk });
  if (has('create')) collection.push({ method: 'post', action: 'post', verb: 'create', description: `create ${/^[AEIOU]/.test(t.kind) ? 'an' : 'a'} ${t.kind}`, query: writeQuery, body: kindName, response: kindName, codes: ['200', '201', '202'], gvk });
  if (has('deletecollection')) collection.push({ method: 'delete', action: 'deletecollection', verb: 'deleteCollection', description: `delete collection of ${t.kind}`, query: [...deleteQuery, ...listQuery.filter((q) => q !== 'watch' && q !== 'allowWatchBookmarks')], body: deleteOptionsRef, response: statusRef, codes: ['200'], gvk });
  const item: Operation[] = [];
  if (has('get')) item.push({ method: 'get', action: 'get', verb: 'read', description: `read the specified ${t.kind}`, query: [], response: kindName, codes: ['200'], gvk });
  if (has('update')) item.push({ method: 'put', action: 'put', verb: 'replace', description: `replace the specified ${t.kind}`, query: writeQuery, body: kindName, response: kindName, codes: ['200', '201'], gvk });
  if (has('delete')) item.push({ method: 'delete', action: 'delete', verb: 'delete', description: `delete ${/^[AEIOU]/.test(t.kind) ? 'an' : 'a'} ${t.kind}`, query: deleteQuery, body: deleteOptionsRef, response: statusRef, codes: ['200', '202'], gvk });
  if (has('patch')) item.push({ method: 'patch', action: 'patch', verb: 'patch', description: `partially update the specified ${t.kind}`, query: patchQuery, body: patchRef, response: kindName, codes: ['200', '201'], gvk });
  const out = [
    { path: base, pathParams: nsParams, ops: collection },
    { path: `${base}/{name}`, pathParams: ['name', ...nsParams], ops: item },
  ];
  if (t.namespaced && has('list')) {
    out.push({ path: `/${gvPath(t.group, t.version)}/${t.plural}`, pathParams: [], ops: [{ ...collection[0]!, verb: 'list', description: `list or watch objects of kind ${t.kind}` }] });
  }
  const sub = (name: string, schema: string, subGvk: Operation['gvk'], what: string): void => {
    out.push({
      path: `${base}/{name}/${name}`, pathParams: ['name', ...nsParams], ops: [
        { method: 'get', action: 'get', verb: 'read', description: `read ${what} of the specified ${t.kind}`, query: [], response: schema, codes: ['200'], gvk: subGvk },
        { method: 'put', action: 'put', verb: 'replace', description: `replace ${what} of the specified ${t.kind}`, query: writeQuery, body: schema, response: schema, codes: ['200', '201'], gvk: subGvk },
        { method: 'patch', action: 'patch', verb: 'patch', description: `partially update ${what} of the specified ${t.kind}`, query: patchQuery, body: patchRef, response: schema, codes: ['200', '201'], gvk: subGvk },
      ],
    });
  };
  if (t.subresources.includes('status')) sub('status', kindName, gvk, 'status');
  if (t.subresources.includes('scale')) sub('scale', scaleRef, { group: 'autoscaling', version: 'v1', kind: 'Scale' }, 'scale');
  return out.filter((p) => p.ops.length > 0);
}

function operationId(t: ResourceType, op: Operation, path: string): string {
  const allNamespaces = t.namespaced && !path.includes('{namespace}');
  const scope = t.namespaced && !allNamespaces ? 'Namespaced' : '';
  const suffix = path.endsWith('/status') ? 'Status' : path.endsWith('/scale') ? 'Scale' : '';
  return `${op.verb}${upperFirst(groupTag(t.group))}${upperFirst(t.version)}${scope}${t.kind}${suffix}${allNamespaces ? 'ForAllNamespaces' : ''}`;
}

const pathParamDescriptions: Record<string, (t: ResourceType) => string> = {
  name: (t) => `name of the ${t.kind}`,
  namespace: () => 'object name and auth scope, such as for teams and projects',
};

function queryParameter(name: string): JsonSchema {
  return builtinOpenApi().parameters[name] ?? { name, in: 'query', type: 'string', uniqueItems: true };
}

/**
 * The PATCH content types of a kind. Custom resources have no strategic merge patch (apiextensions-apiserver's builder
 * leaves it out), which is what tells kubectl's client-side apply to send a JSON merge patch for them.
 */
function patchTypesOf(t: ResourceType): string[] {
  return ['application/json-patch+json', 'application/merge-patch+json', ...(t.custom ? [] : ['application/strategic-merge-patch+json']), 'application/apply-patch+yaml'];
}

function v2Operation(t: ResourceType, op: Operation, path: string): JsonSchema {
  const ref = (name: string) => ({ $ref: `${v2Prefix}${name}` });
  const responses: Record<string, unknown> = {};
  for (const code of op.codes) responses[code] = { description: code === '200' ? 'OK' : code === '201' ? 'Created' : 'Accepted', schema: ref(op.response) };
  responses['401'] = { description: 'Unauthorized' };
  const patch = op.method === 'patch';
  return {
    description: op.description,
    consumes: patch ? patchTypesOf(t) : ['*/*'],
    produces: ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf', ...(op.action === 'list' ? ['application/json;stream=watch'] : [])],
    schemes: ['https'],
    tags: [`${groupTag(t.group)}_${t.version}`],
    operationId: operationId(t, op, path),
    ...((op.body || op.query.length > 0) ? {
      parameters: [
        ...(op.body ? [{ name: 'body', in: 'body', ...(op.method === 'delete' ? {} : { required: true }), schema: ref(op.body) }] : []),
        ...op.query.map(queryParameter),
      ],
    } : {}),
    responses,
    'x-kubernetes-action': op.action,
    'x-kubernetes-group-version-kind': op.gvk,
  };
}

function v3Operation(t: ResourceType, op: Operation, path: string): JsonSchema {
  const ref = (name: string) => ({ $ref: `${v3Prefix}${name}` });
  const content = (name: string) => ({ 'application/json': { schema: ref(name) }, 'application/yaml': { schema: ref(name) } });
  const responses: Record<string, unknown> = {};
  for (const code of op.codes) responses[code] = { description: code === '200' ? 'OK' : code === '201' ? 'Created' : 'Accepted', content: content(op.response) };
  responses['401'] = { description: 'Unauthorized' };
  const patch = op.method === 'patch';
  return {
    tags: [`${groupTag(t.group)}_${t.version}`],
    description: op.description,
    operationId: operationId(t, op, path),
    ...(op.query.length > 0 ? {
      parameters: op.query.map((name) => {
        const { name: n, in: where, description, ...schema } = queryParameter(name);
        return { name: n, in: where, description, schema };
      }),
    } : {}),
    ...(op.body ? {
      requestBody: {
        content: patch
          ? Object.fromEntries(patchTypesOf(t).sort().map((m) => [m, { schema: ref(op.body!) }]))
          : { '*/*': { schema: ref(op.body) } },
        ...(op.method === 'delete' ? {} : { required: true }),
      },
    } : {}),
    responses,
    'x-kubernetes-action': op.action,
    'x-kubernetes-group-version-kind': op.gvk,
  };
}

// ---- documents ----

/** Rewrites v2 references to v3 ones and, as kube-openapi's v3 builder does, moves a `$ref` with siblings into `allOf`. */
function toV3Schema(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toV3Schema);
  if (!isObj(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === 'properties' && isObj(v)) out[k] = Object.fromEntries(Object.entries(v).map(([pk, pv]) => [pk, toV3Schema(pv)]));
    else if (k === '$ref' && typeof v === 'string') out[k] = v.replace(v2Prefix, v3Prefix);
    else out[k] = toV3Schema(v);
  }
  if (typeof out.$ref === 'string' && Object.keys(out).length > 1) {
    const { $ref, ...rest } = out;
    return { ...rest, allOf: [{ $ref }] };
  }
  return out;
}

/** Adds `name` and every definition it references (transitively) to `into`. */
function addWithReferences(name: string, lookup: (name: string) => JsonSchema | undefined, into: Map<string, JsonSchema>): void {
  if (into.has(name)) return;
  const def = lookup(name);
  if (!def) return;
  into.set(name, def);
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (isObj(v)) {
      for (const [k, x] of Object.entries(v)) {
        if (k === '$ref' && typeof x === 'string') addWithReferences(x.replace(v2Prefix, '').replace(v3Prefix, ''), lookup, into);
        else walk(x);
      }
    }
  };
  walk(def);
}

function definitionsFor(types: ResourceType[], v2: boolean): Record<string, JsonSchema> {
  const builtin = builtinOpenApi().definitions;
  const custom = new Map<string, JsonSchema>();
  for (const t of types.filter((x) => x.custom)) {
    custom.set(customModelName(t.group, t.version, t.kind), customKindDefinition(t, v2));
    custom.set(customModelName(t.group, t.version, t.listKind), customListDefinition(t, v2));
  }
  const lookup = (name: string): JsonSchema | undefined => custom.get(name) ?? builtin[name];
  const out = new Map<string, JsonSchema>();
  for (const name of [statusRef, deleteOptionsRef, patchRef]) addWithReferences(name, lookup, out);
  for (const t of types) {
    for (const kind of [t.kind, t.listKind]) {
      const name = modelName(t, kind);
      if (name) addWithReferences(name, lookup, out);
    }
    if (t.subresources.includes('scale')) addWithReferences(scaleRef, lookup, out);
  }
  return Object.fromEntries([...out].sort(([a], [b]) => a.localeCompare(b)));
}

function servedDocument(doc: unknown, withProto: boolean): ServedDocument {
  const json = Buffer.from(JSON.stringify(doc));
  const etag = createHash('sha512').update(json).digest('hex').toUpperCase();
  return { json, etag, lastModified: new Date(), ...(withProto ? { proto: encodeOpenApiV2(doc as Record<string, unknown>) } : {}) };
}

/**
 * The OpenAPI documents of one API server, rebuilt when the served kinds change (a CRD added, removed or edited).
 * Use one per server: `v2()` for `/openapi/v2`, `v3Index()` and `v3(path)` for `/openapi/v3`.
 */
export class OpenApiDocuments {
  private v2Cache: { key: string; doc: ServedDocument } | undefined;
  private readonly v3Cache = new Map<string, { key: string; doc: ServedDocument }>();

  constructor(private readonly registry: ResourceTypeRegistry, private readonly gitVersion: string) {}

  private infoVersion(): string {
    const m = /^v?(\d+)\.(\d+)/.exec(this.gitVersion);
    return m ? `${m[1]}.${m[2]}` : this.gitVersion;
  }

  private key(types: ResourceType[]): string {
    return types.map((t) => `${t.group}/${t.version}/${t.plural}/${t.kind}/${t.namespaced}/${t.verbs.join(',')}/${t.subresources.join(',')}/${t.schema ? JSON.stringify(t.schema) : ''}`).sort().join('\n');
  }

  /** `GET /openapi/v2`: every served kind in one Swagger document. */
  v2(): ServedDocument {
    const types = this.registry.all();
    const key = this.key(types);
    if (this.v2Cache?.key === key) return this.v2Cache.doc;
    const paths: Record<string, unknown> = {};
    for (const t of [...types].sort((a, b) => a.group.localeCompare(b.group) || a.version.localeCompare(b.version) || a.plural.localeCompare(b.plural))) {
      for (const p of pathsOf(t)) {
        const item: Record<string, unknown> = {};
        for (const op of p.ops) item[op.method] = v2Operation(t, op, p.path);
        item.parameters = p.pathParams.map((name) => ({ uniqueItems: true, type: 'string', description: pathParamDescriptions[name]!(t), name, in: 'path', required: true }));
        paths[p.path] = item;
      }
    }
    const doc = {
      swagger: '2.0',
      info: { title: 'Kubernetes', version: this.infoVersion() },
      paths,
      definitions: definitionsFor(types, true),
      securityDefinitions: { BearerToken: { description: 'Bearer Token authentication', type: 'apiKey', name: 'authorization', in: 'header' } },
      security: [{ BearerToken: [] }],
    };
    this.v2Cache = { key, doc: servedDocument(doc, true) };
    return this.v2Cache.doc;
  }

  /** `GET /openapi/v3`: one entry per group-version, its URL carrying the document's hash (so clients cache by URL). */
  v3Index(): Record<string, unknown> {
    const paths: Record<string, unknown> = {};
    const gvs = new Set(this.registry.all().map((t) => gvPath(t.group, t.version)));
    for (const p of [...gvs].sort()) {
      const doc = this.v3(p);
      if (doc) paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${doc.etag}` };
    }
    return { paths };
  }

  /** `GET /openapi/v3/<api/v1|apis/group/version>`, or undefined when nothing is served there. */
  v3(gv: string): ServedDocument | undefined {
    const types = this.registry.all().filter((t) => gvPath(t.group, t.version) === gv);
    if (types.length === 0) return undefined;
    const key = this.key(types);
    const cached = this.v3Cache.get(gv);
    if (cached?.key === key) return cached.doc;
    const paths: Record<string, unknown> = {};
    for (const t of [...types].sort((a, b) => a.plural.localeCompare(b.plural))) {
      for (const p of pathsOf(t)) {
        const item: Record<string, unknown> = {};
        for (const op of p.ops) item[op.method] = v3Operation(t, op, p.path);
        item.parameters = p.pathParams.map((name) => ({ name, in: 'path', description: pathParamDescriptions[name]!(t), required: true, schema: { type: 'string', uniqueItems: true } }));
        paths[p.path] = item;
      }
    }
    const schemas = Object.fromEntries(Object.entries(definitionsFor(types, false)).map(([k, v]) => [k, toV3Schema(v)]));
    const doc = {
      openapi: '3.0.0',
      info: { title: 'Kubernetes', version: this.gitVersion },
      paths,
      components: { schemas, securitySchemes: { BearerToken: { type: 'apiKey', description: 'Bearer Token authentication', name: 'authorization', in: 'header' } } },
    };
    const served = servedDocument(doc, false);
    this.v3Cache.set(gv, { key, doc: served });
    return served;
  }
}
