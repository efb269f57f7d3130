/**
 * The four PATCH content types kube-apiserver accepts: JSON merge patch (RFC 7386), strategic
 * merge patch (builtin kinds: lists merged by key), JSON patch (RFC 6902), and server-side apply
 * (approximated as a strategic merge of the applied configuration; see README.md).
 */
import { ApiError } from '../cluster/types.ts';

type Json = unknown;
type Obj = Record<string, Json>;

/** The PATCH content types, as the Content-Type header names them. */
export const patchTypes = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;
export type PatchType = keyof typeof patchTypes;

function isObj(v: Json): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** RFC 7386 JSON merge patch: objects merge, null deletes, everything else replaces. */
export function mergePatch(target: Json, patch: Json): Json {
  if (!isObj(patch)) return structuredClone(patch);
  const out: Obj = isObj(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

/**
 * Merge keys of the lists strategic merge patch merges element-wise in builtin kinds
 * (the `patchMergeKey` tags of k8s.io/api). Lists not named here are replaced, as they are upstream.
 */
function mergeKeyFor(field: string, items: Json[]): string | undefined {
  switch (field) {
    case 'containers':
    case 'initContainers':
    case 'ephemeralContainers':
    case 'env':
    case 'volumes':
    case 'imagePullSecrets':
      return 'name';
    case 'volumeMounts':
    case 'volumeDevices':
      return 'mountPath';
    case 'conditions':
      return 'type';
    case 'ownerReferences':
      return 'uid';
    case 'hostAliases':
      return 'ip';
    case 'ports': {
      // Container ports merge on containerPort, Service ports on port.
      const sample = items.find(isObj);
      return sample && 'containerPort' in sample ? 'containerPort' : 'port';
    }
    default:
      return undefined;
  }
}

/** Lists of scalars that strategic merge treats as sets (`finalizers`). */
const setLists = new Set(['finalizers']);

function strategicMergeList(field: string, target: Json[], patch: Json[]): Json[] {
  const key = mergeKeyFor(field, [...patch, ...target]);
  if (setLists.has(field)) {
    const out = [...target];
    for (const v of patch) if (!out.includes(v)) out.push(v);
    return out;
  }
  if (!key) {
    // `$patch: replace` markers in a replaced list are dropped.
    return patch.filter((item) => !(isObj(item) && item.$patch === 'replace')).map((item) => stripDirectives(item));
  }
  if (patch.some((item) => isObj(item) && item.$patch === 'replace')) {
    return patch.filter((item) => !(isObj(item) && item.$patch === 'replace')).map((item) => stripDirectives(item));
  }
  const out = target.map((item) => structuredClone(item));
  for (const item of patch) {
    if (!isObj(item)) continue;
    const index = out.findIndex((existing) => isObj(existing) && existing[key] === item[key]);
    if (item.$patch === 'delete') {
      if (index >= 0) out.splice(index, 1);
      continue;
    }
    if (index >= 0) out[index] = strategicMerge(out[index], item);
    else out.push(stripDirectives(item));
  }
  return out;
}

function stripDirectives(value: Json): Json {
  if (Array.isArray(value)) return value.map(stripDirectives);
  if (!isObj(value)) return value;
  const out: Obj = {};
  for (const [k, v] of Object.entries(value)) {
    if (k.startsWith('$')) continue;
    out[k] = stripDirectives(v);
  }
  return out;
}

/**
 * Strategic merge patch for builtin kinds: maps merge, listed lists merge by key, `$patch: delete|replace`,
 * `$retainKeys` and `$deleteFromPrimitiveList/<field>` are honoured; `$setElementOrder` is ignored.
 */
export function strategicMerge(target: Json, patch: Json): Json {
  if (!isObj(patch)) return structuredClone(patch);
  if (patch.$patch === 'replace') return stripDirectives(patch);
  if (patch.$patch === 'delete') return undefined;
  const out: Obj = isObj(target) ? { ...target } : {};
  const retain = Array.isArray(patch.$retainKeys) ? (patch.$retainKeys as string[]) : undefined;
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$deleteFromPrimitiveList/')) {
      const field = key.slice('$deleteFromPrimitiveList/'.length);
      if (Array.isArray(out[field]) && Array.isArray(value)) out[field] = (out[field] as Json[]).filter((v) => !(value as Json[]).includes(v));
      continue;
    }
    if (key.startsWith('$')) continue;
    if (value === null) {
      delete out[key];
    } else if (Array.isArray(value)) {
      out[key] = strategicMergeList(key, Array.isArray(out[key]) ? (out[key] as Json[]) : [], value);
    } else if (isObj(value)) {
      const merged = strategicMerge(out[key], value);
      if (merged === undefined) delete out[key];
      else out[key] = merged;
    } else {
      out[key] = value;
    }
  }
  if (retain) for (const key of Object.keys(out)) if (!retain.includes(key)) delete out[key];
  return out;
}

function decodePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new ApiError(422, 'Invalid', `the json patch path "${pointer}" must start with /`);
  return pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(doc: Json, tokens: string[], op: string): { parent: Obj | Json[]; last: string } {
  let cur = doc;
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[Number(token)];
    else if (isObj(cur)) cur = cur[token];
    else cur = undefined;
    if (cur === undefined) throw new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: ${op} operation does not apply: doc is missing path: "/${tokens.join('/')}"`);
  }
  if (!Array.isArray(cur) && !isObj(cur)) throw new ApiError(422, 'Invalid', `${op} operation does not apply: doc is missing path: "/${tokens.join('/')}"`);
  return { parent: cur, last: tokens[tokens.length - 1]! };
}

function getAt(doc: Json, tokens: string[]): Json {
  let cur = doc;
  for (const token of tokens) {
    if (Array.isArray(cur)) cur = cur[Number(token)];
    else if (isObj(cur)) cur = cur[token];
    else return undefined;
  }
  return cur;
}

function addAt(doc: Json, tokens: string[], value: Json, op: string): Json {
  if (tokens.length === 0) return value;
  const { parent, last } = parentOf(doc, tokens, op);
  if (Array.isArray(parent)) {
    const index = last === '-' ? parent.length : Number(last);
    if (!Number.isInteger(index) || index < 0 || index > parent.length) throw new ApiError(422, 'Invalid', `${op} operation does not apply: index ${last} out of bounds`);
    parent.splice(index, 0, value);
  } else {
    parent[last] = value;
  }
  return doc;
}

function removeAt(doc: Json, tokens: string[], op: string): Json {
  const { parent, last } = parentOf(doc, tokens, op);
  if (Array.isArray(parent)) {
    const index = Number(last);
    if (!(index >= 0 && index < parent.length)) throw new ApiError(422, 'Invalid', `${op} operation does not apply: index ${last} out of bounds`);
    parent.splice(index, 1);
  } else {
    if (!(last in parent)) throw new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: ${op} operation does not apply: doc is missing key: /${tokens.join('/')}`);
    delete parent[last];
  }
  return doc;
}

function pointerField(value: Json): string {
  return typeof value === 'string' ? value : '';
}

/** RFC 6902 JSON patch. */
export function jsonPatch(target: Json, operations: Json): Json {
  if (!Array.isArray(operations)) throw new ApiError(400, 'BadRequest', 'json patch must be an array of operations');
  let doc = structuredClone(target);
  for (const raw of operations) {
    if (!isObj(raw)) throw new ApiError(400, 'BadRequest', 'json patch operation must be an object');
    const op = String(raw.op);
    const path = decodePointer(pointerField(raw.path));
    switch (op) {
      case 'add':
        doc = addAt(doc, path, structuredClone(raw.value), op);
        break;
      case 'remove':
        doc = removeAt(doc, path, op);
        break;
      case 'replace':
        doc = removeAt(doc, path, op);
        doc = addAt(doc, path, structuredClone(raw.value), op);
        break;
      case 'move': {
        const from = decodePointer(pointerField(raw.from));
        const value = getAt(doc, from);
        doc = removeAt(doc, from, op);
        doc = addAt(doc, path, value, op);
        break;
      }
      case 'copy':
        doc = addAt(doc, path, structuredClone(getAt(doc, decodePointer(pointerField(raw.from)))), op);
        break;
      case 'test':
        if (JSON.stringify(getAt(doc, path)) !== JSON.stringify(raw.value)) {
          throw new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: testing value /${path.join('/')} failed`);
        }
        break;
      default:
        throw new ApiError(400, 'BadRequest', `unexpected json patch operation "${op}"`);
    }
  }
  return doc;
}

/** Picks the patch type from a Content-Type header; throws 415 for anything else. */
export function patchTypeOf(contentType: string | undefined): PatchType {
  const bare = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  for (const [name, type] of Object.entries(patchTypes)) if (type === bare) return name as PatchType;
  throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${Object.values(patchTypes).join(', ')}`);
}

/**
 * Applies a patch of `type` to `target`. `builtin` says whether the kind has a strategic schema
 * (custom resources answer 415 to strategic merge patch, as upstream).
 */
export function applyPatch(type: PatchType, target: Json, patch: Json, builtin: boolean): Json {
  switch (type) {
    case 'json':
      return jsonPatch(target, patch);
    case 'merge':
      return mergePatch(target, patch);
    case 'strategic':
      if (!builtin) throw new ApiError(415, 'UnsupportedMediaType', 'strategic merge patch is not supported for custom resources: use merge patch or json patch');
      return strategicMerge(target, patch);
    case 'apply':
      // Without field ownership, apply is a merge of the applied configuration into the live object.
      return builtin ? strategicMerge(target, patch) : mergePatch(target, patch);
  }
}
