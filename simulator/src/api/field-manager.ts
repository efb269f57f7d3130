/**
 * Server-side apply and managedFields, as kube-apiserver's field manager does them with structured-merge-diff (SMD):
 * - a field set per manager (manager, operation Apply/Update, apiVersion, subresource), written to
 *   `metadata.managedFields` in the FieldsV1 form (`{"f:spec":{"f:replicas":{}}}`, `k:{"name":"c"}`, `v:"x"`, `.`);
 * - Update operations take ownership of what they change (Compare) from everyone else;
 * - Apply merges the configuration into the live object (granular maps and structs merge, associative lists merge by
 *   key, atomic lists and scalars are replaced), owns exactly the fields of its configuration, removes the fields it
 *   stopped applying unless another manager owns them, and fails with 409 Conflict, worded as upstream, when it
 *   would change a field another manager owns, unless forced.
 * The type information (struct fields, map vs atomic, list types and keys) comes from the kind's OpenAPI schema as
 * kube-openapi's schemaconv derives it: builtin definitions (x-kubernetes-list-type, -list-map-keys, patch
 * strategy/merge key, -map-type) or a CRD's structural schema (lists atomic by default, preserve-unknown-fields
 * subtrees deduced from their values).
 */
import { ApiError } from '../cluster/types.ts';
import type { JsonSchema, KubeObject, ResourceType } from '../cluster/types.ts';
import { deepEqualJson } from '../cluster/json-equal.ts';
import { builtinDefinitionName, builtinOpenApi, resolveBuiltinRef } from './builtin-schemas.ts';

type Json = unknown;
type Obj = Record<string, Json>;

function isObj(v: Json): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

// ---- types (schemaconv) ----

/** What a node of an object is, for SMD: a scalar, a list (atomic, set or map-keyed), a map or struct (granular or atomic). */
type Atom =
  | { kind: 'scalar' }
  | { kind: 'list'; rel: 'atomic' | 'set' | 'map'; keys: string[]; elem: TypeRef }
  | { kind: 'map'; atomic: boolean; fields: Record<string, TypeRef>; elem: TypeRef | undefined };

/** A schema node, or one of schemaconv's two untyped types, plus whether unknown fields are preserved below it. */
interface TypeRef {
  schema?: JsonSchema;
  untyped?: 'deduced' | 'atomic';
  preserve: boolean;
  /** `x-kubernetes-map-type` of the referring property (it overrides the referenced definition's). */
  mapType?: string;
}

const quantityRef = /\.api\.resource\.Quantity$/;
const rawExtensionRef = /\.pkg\.runtime\.RawExtension$/;

function listRelationship(s: JsonSchema): { rel: 'atomic' | 'set' | 'map'; keys: string[] } {
  const type = s['x-kubernetes-list-type'];
  if (type === 'set') return { rel: 'set', keys: [] };
  if (type === 'map') return { rel: 'map', keys: Array.isArray(s['x-kubernetes-list-map-keys']) ? (s['x-kubernetes-list-map-keys'] as string[]) : [] };
  if (type === 'atomic') return { rel: 'atomic', keys: [] };
  const strategy = s['x-kubernetes-patch-strategy'];
  if (strategy === 'merge' || strategy === 'merge,retainKeys') {
    const key = s['x-kubernetes-patch-merge-key'];
    return typeof key === 'string' ? { rel: 'map', keys: [key] } : { rel: 'set', keys: [] };
  }
  return { rel: 'atomic', keys: [] };
}

function refOf(s: JsonSchema | undefined, preserve: boolean): TypeRef {
  return s ? { schema: s, preserve, ...(typeof s['x-kubernetes-map-type'] === 'string' ? { mapType: s['x-kubernetes-map-type'] } : {}) } : { untyped: 'deduced', preserve };
}

function deducedAtom(value: Json, atomic: boolean): Atom {
  const elem: TypeRef = { untyped: atomic ? 'atomic' : 'deduced', preserve: true };
  if (Array.isArray(value)) return { kind: 'list', rel: 'atomic', keys: [], elem: { untyped: 'atomic', preserve: true } };
  if (isObj(value)) return { kind: 'map', atomic, fields: {}, elem };
  return { kind: 'scalar' };
}

/** The atom of `ref` for `value` (untyped nodes take the shape of their value). */
function atomOf(ref: TypeRef, value: Json): Atom {
  if (ref.untyped) return deducedAtom(value, ref.untyped === 'atomic');
  let s = ref.schema!;
  const direct = typeof s.$ref === 'string' ? s.$ref : Array.isArray(s.allOf) && isObj(s.allOf[0]) && typeof s.allOf[0].$ref === 'string' ? s.allOf[0].$ref : undefined;
  if (direct && quantityRef.test(direct)) return { kind: 'scalar' };
  if (direct && rawExtensionRef.test(direct)) return deducedAtom(value, true);
  if (direct) s = resolveBuiltinRef(direct) ?? {};
  const preserve = ref.preserve || s['x-kubernetes-preserve-unknown-fields'] === true;
  const type = typeof s.type === 'string' ? s.type : '';
  const mapType = ref.mapType ?? (typeof s['x-kubernetes-map-type'] === 'string' ? s['x-kubernetes-map-type'] : undefined);
  const asMap = (): Atom => {
    const props = isObj(s.properties) ? (s.properties as Record<string, JsonSchema>) : {};
    const fields = Object.fromEntries(Object.entries(props).map(([k, v]) => [k, refOf(v, preserve)]));
    let elem: TypeRef | undefined;
    if (s.additionalProperties === undefined) elem = preserve || Object.keys(props).length === 0 ? { untyped: 'deduced', preserve } : undefined;
    else if (isObj(s.additionalProperties)) elem = refOf(s.additionalProperties, preserve);
    else if (s.additionalProperties === true) elem = { untyped: 'deduced', preserve };
    return { kind: 'map', atomic: mapType === 'atomic', fields, elem };
  };
  const asList = (): Atom => {
    const { rel, keys } = listRelationship(s);
    return { kind: 'list', rel, keys, elem: isObj(s.items) ? refOf(s.items, preserve) : { untyped: 'atomic', preserve } };
  };
  if (type === 'object' || (type === '' && isObj(s.properties))) return asMap();
  if (type === 'array') return asList();
  if (type === '') {
    if (isObj(value)) return asMap();
    if (Array.isArray(value)) return asList();
  }
  return { kind: 'scalar' };
}

// ---- paths and sets (fieldpath) ----

/** A path element, serialized as FieldsV1 writes it: `f:name`, `k:{"name":"c"}`, `v:"x"`, `i:0`. */
type Element = string;

/** Key fields an associative list defaults when an item omits them (what the v3 schemas' defaults give SMD). */
const keyDefaults: Record<string, Json> = { protocol: 'TCP' };

function sortedJson(value: Json): string {
  if (Array.isArray(value)) return `[${value.map(sortedJson).join(',')}]`;
  if (isObj(value)) return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${sortedJson(value[k])}`).join(',')}}`;
  return JSON.stringify(value);
}

/** The path element of a list item, or undefined for items of atomic lists (which are never addressed). */
function itemElement(atom: Extract<Atom, { kind: 'list' }>, item: Json): Element | undefined {
  if (atom.rel === 'set') return `v:${sortedJson(item)}`;
  if (atom.rel !== 'map' || !isObj(item)) return undefined;
  const key: Obj = {};
  for (const k of [...atom.keys].sort()) {
    if (item[k] !== undefined) key[k] = item[k];
    else if (k in keyDefaults) key[k] = keyDefaults[k];
  }
  return `k:${sortedJson(key)}`;
}

/** A set of field paths: FieldsV1's own shape, a trie whose keys are elements and `.` marks a member. */
export class FieldSet {
  member = false;
  readonly children = new Map<Element, FieldSet>();

  static fromFieldsV1(fields: Json): FieldSet {
    const set = new FieldSet();
    if (!isObj(fields)) return set;
    for (const [k, v] of Object.entries(fields)) {
      if (k === '.') set.member = true;
      else {
        const child = FieldSet.fromFieldsV1(v);
        // A leaf in FieldsV1 (`"f:x": {}`) is a member without children.
        if (isObj(v) && Object.keys(v).length === 0) child.member = true;
        set.children.set(k, child);
      }
    }
    return set;
  }

  toFieldsV1(): Obj {
    const out: Obj = {};
    if (this.member && this.children.size > 0) out['.'] = {};
    for (const k of [...this.children.keys()].sort()) out[k] = this.children.get(k)!.toFieldsV1();
    return out;
  }

  insert(path: Element[]): void {
    if (path.length === 0) {
      this.member = true;
      return;
    }
    const [first, ...rest] = path as [Element, ...Element[]];
    let next = this.children.get(first);
    if (!next) this.children.set(first, (next = new FieldSet()));
    next.insert(rest);
  }

  has(path: Element[]): boolean {
    if (path.length === 0) return this.member;
    const [first, ...rest] = path as [Element, ...Element[]];
    return this.children.get(first)?.has(rest) ?? false;
  }

  child(e: Element): FieldSet | undefined {
    return this.children.get(e);
  }

  isEmpty(): boolean {
    return !this.member && [...this.children.values()].every((c) => c.isEmpty());
  }

  paths(prefix: Element[] = []): Element[][] {
    const out: Element[][] = this.member && prefix.length > 0 ? [prefix] : [];
    for (const [k, c] of this.children) out.push(...c.paths([...prefix, k]));
    return out;
  }

  static of(paths: Element[][]): FieldSet {
    const s = new FieldSet();
    for (const p of paths) s.insert(p);
    return s;
  }

  union(other: FieldSet): FieldSet {
    return FieldSet.of([...this.paths(), ...other.paths()]);
  }

  difference(other: FieldSet): FieldSet {
    return FieldSet.of(this.paths().filter((p) => !other.has(p)));
  }

  intersection(other: FieldSet): FieldSet {
    return FieldSet.of(this.paths().filter((p) => other.has(p)));
  }
}

/** A path as conflict messages print it: `.spec.containers[name="c"].image`, `.metadata.finalizers[="x"]`. */
export function pathString(path: Element[]): string {
  return path.map((e) => {
    const body = e.slice(2);
    if (e.startsWith('f:')) return `.${body}`;
    if (e.startsWith('i:')) return `[${body}]`;
    if (e.startsWith('v:')) return `[=${body}]`;
    const key = JSON.parse(body) as Obj;
    return `[${Object.entries(key).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}]`;
  }).join('');
}

// ---- the SMD walks ----

/** The paths of a value (toFieldSet): leaves, atomic nodes, list items, and map entries that are not struct fields. */
function toFieldSet(value: Json, ref: TypeRef, path: Element[], set: FieldSet): void {
  const atom = atomOf(ref, value);
  if (atom.kind === 'scalar') {
    set.insert(path);
    return;
  }
  if (atom.kind === 'list') {
    if (atom.rel === 'atomic') {
      set.insert(path);
      return;
    }
    if (!Array.isArray(value)) return;
    for (const item of value) {
      const e = itemElement(atom, item);
      if (!e) continue;
      toFieldSet(item, atom.elem, [...path, e], set);
      set.insert([...path, e]);
    }
    return;
  }
  if (atom.atomic) {
    set.insert(path);
    return;
  }
  if (!isObj(value)) return;
  for (const [k, v] of Object.entries(value)) {
    const field = atom.fields[k];
    const tr = field ?? atom.elem;
    if (!tr) continue;
    const p = [...path, `f:${k}`];
    toFieldSet(v, tr, p, set);
    if (v === null || (isObj(v) && Object.keys(v).length === 0) || !field) set.insert(p);
  }
}

interface Comparison { added: FieldSet; modified: FieldSet; removed: FieldSet }

/** Compare: the paths added, modified and removed between two values. */
function compare(lhs: Json, rhs: Json, ref: TypeRef, path: Element[], out: Comparison): void {
  const atom = atomOf(ref, rhs !== undefined ? rhs : lhs);
  const leaf = atom.kind === 'scalar' || (atom.kind === 'list' && atom.rel === 'atomic') || (atom.kind === 'map' && atom.atomic)
    || (atom.kind === 'list' && !Array.isArray(rhs ?? lhs)) || (atom.kind === 'map' && !isObj(rhs ?? lhs));
  if (leaf) {
    if (lhs === undefined) out.added.insert(path);
    else if (rhs === undefined) out.removed.insert(path);
    else if (!deepEqualJson(lhs, rhs)) out.modified.insert(path);
    return;
  }
  if (atom.kind === 'list') {
    const index = (list: Json): Map<Element, Json> => {
      const m = new Map<Element, Json>();
      if (Array.isArray(list)) for (const item of list) {
        const e = itemElement(atom, item);
        if (e) m.set(e, item);
      }
      return m;
    };
    const l = index(lhs);
    const r = index(rhs);
    for (const e of new Set([...l.keys(), ...r.keys()])) compare(l.get(e), r.get(e), atom.elem, [...path, e], out);
  } else if (atom.kind === 'map') {
    const l = isObj(lhs) ? lhs : {};
    const r = isObj(rhs) ? rhs : {};
    for (const k of new Set([...Object.keys(l), ...Object.keys(r)])) {
      const tr = atom.fields[k] ?? atom.elem;
      if (!tr) continue;
      compare(l[k], r[k], tr, [...path, `f:${k}`], out);
    }
  }
  if (path.length > 0) {
    if (lhs === undefined) out.added.insert(path);
    else if (rhs === undefined) out.removed.insert(path);
  }
}

/** Merge (ruleKeepRHS): the configuration over the live object. */
function merge(lhs: Json, rhs: Json, ref: TypeRef): Json {
  if (rhs === undefined) return lhs;
  if (lhs === undefined) return rhs;
  const atom = atomOf(ref, rhs);
  if (atom.kind === 'map' && !atom.atomic && isObj(lhs) && isObj(rhs)) {
    const out: Obj = { ...lhs };
    for (const [k, v] of Object.entries(rhs)) {
      const tr = atom.fields[k] ?? atom.elem ?? { untyped: 'deduced', preserve: true };
      out[k] = merge(lhs[k], v, tr);
    }
    return out;
  }
  if (atom.kind === 'list' && atom.rel !== 'atomic' && Array.isArray(lhs) && Array.isArray(rhs)) return mergeList(atom, lhs, rhs);
  return rhs;
}

/** SMD's list merge order: live items keep their places, configuration items in configuration order. */
function mergeList(atom: Extract<Atom, { kind: 'list' }>, lhs: Json[], rhs: Json[]): Json[] {
  const key = (item: Json): Element => itemElement(atom, item) ?? `x:${sortedJson(item)}`;
  const lKeys = lhs.map(key);
  const rKeys = rhs.map(key);
  const lByKey = new Map(lKeys.map((k, i) => [k, lhs[i]]));
  const rByKey = new Map(rKeys.map((k, i) => [k, rhs[i]]));
  const shared = rKeys.filter((k) => lByKey.has(k));
  const out: Json[] = [];
  const done = new Set<Element>();
  let next = 0;
  let li = 0;
  let ri = 0;
  while (li < lKeys.length || ri < rKeys.length) {
    if (li < lKeys.length && ri < rKeys.length) {
      const lk = lKeys[li]!;
      if (lk === rKeys[ri]) {
        done.add(lk);
        out.push(merge(lByKey.get(lk), rByKey.get(lk), atom.elem));
        li++;
        ri++;
        next++;
        continue;
      }
      if (rByKey.has(lk) && shared[next] !== undefined && shared[next] !== lk) {
        li++;
        continue;
      }
    }
    if (li < lKeys.length) {
      const lk = lKeys[li]!;
      if (!rByKey.has(lk)) {
        out.push(lByKey.get(lk));
        li++;
        continue;
      }
      if (done.has(lk)) li++;
    }
    if (ri < rKeys.length) {
      const rk = rKeys[ri]!;
      done.add(rk);
      out.push(merge(lByKey.get(rk), rByKey.get(rk), atom.elem));
      ri++;
      if (shared[next] === rk) next++;
    }
  }
  return out;
}

/** RemoveItems: the value without the paths of `remove` (containers left empty go too). */
function removeItems(value: Json, remove: FieldSet, ref: TypeRef): Json {
  const atom = atomOf(ref, value);
  if (atom.kind === 'list' && atom.rel !== 'atomic' && Array.isArray(value)) {
    const out: Json[] = [];
    for (const item of value) {
      const e = itemElement(atom, item);
      if (!e) {
        out.push(item);
        continue;
      }
      if (remove.has([e])) continue;
      const sub = remove.child(e);
      out.push(sub ? removeItems(item, sub, atom.elem) : item);
    }
    return out.length > 0 ? out : undefined;
  }
  if (atom.kind === 'map' && !atom.atomic && isObj(value)) {
    const out: Obj = {};
    for (const [k, v] of Object.entries(value)) {
      const e = `f:${k}`;
      if (remove.has([e])) continue;
      const sub = remove.child(e);
      const tr = atom.fields[k] ?? atom.elem ?? { untyped: 'deduced', preserve: true };
      const kept = sub ? removeItems(v, sub, tr) : v;
      if (kept !== undefined) out[k] = kept;
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }
  return value;
}

/** EnsureNamedFieldsAreMembers: every struct field on a path of the set is a member too. */
function withNamedFields(set: FieldSet, value: Json, ref: TypeRef): FieldSet {
  const out = new FieldSet();
  out.member = set.member;
  const atom = atomOf(ref, value);
  for (const [e, child] of set.children) {
    let childValue: Json;
    let childRef: TypeRef | undefined;
    if (atom.kind === 'map' && e.startsWith('f:')) {
      const k = e.slice(2);
      childValue = isObj(value) ? value[k] : undefined;
      childRef = atom.fields[k] ?? atom.elem;
    } else if (atom.kind === 'list') {
      childValue = Array.isArray(value) ? value.find((item) => itemElement(atom, item) === e) : undefined;
      childRef = atom.elem;
    }
    const sub = childRef ? withNamedFields(child, childValue, childRef) : child;
    if (atom.kind === 'map' && e.startsWith('f:') && atom.fields[e.slice(2)]) sub.member = true;
    out.children.set(e, sub);
  }
  return out;
}

// ---- managers ----

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time?: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Obj;
  subresource?: string;
}

interface Manager {
  entry: ManagedFieldsEntry;
  set: FieldSet;
}

function identity(e: { manager: string; operation: string; subresource?: string | undefined }): string {
  return `${e.manager}\u0000${e.operation}\u0000${e.subresource ?? ''}`;
}

function nowSeconds(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

function readManagers(obj: KubeObject | undefined): Manager[] {
  const entries = (obj?.metadata.managedFields ?? []) as ManagedFieldsEntry[];
  return entries.filter((e) => e && typeof e.manager === 'string').map((entry) => ({ entry, set: FieldSet.fromFieldsV1(entry.fieldsV1) }));
}

/** Upstream's order: Apply before Update, then by time, manager, apiVersion, subresource. */
function writeManagers(managers: Manager[]): ManagedFieldsEntry[] {
  return managers.filter((m) => !m.set.isEmpty()).map((m) => ({ ...m.entry, fieldsV1: m.set.toFieldsV1() })).sort((a, b) => (a.operation < b.operation ? -1 : a.operation > b.operation ? 1 : 0)
    || (a.time ?? '').localeCompare(b.time ?? '') || a.manager.localeCompare(b.manager) || a.apiVersion.localeCompare(b.apiVersion) || (a.subresource ?? '').localeCompare(b.subresource ?? ''))
    .map((e) => ({ manager: e.manager, operation: e.operation, apiVersion: e.apiVersion, ...(e.time ? { time: e.time } : {}), fieldsType: 'FieldsV1', fieldsV1: e.fieldsV1, ...(e.subresource ? { subresource: e.subresource } : {}) }));
}

/** How `printManager` names a manager in a conflict: `"kubectl-create" using v1`, `"m" with subresource "scale" using apps/v1`. */
function printManager(e: ManagedFieldsEntry): string {
  const base = `${JSON.stringify(e.manager)}${e.subresource ? ` with subresource ${JSON.stringify(e.subresource)}` : ''}`;
  return e.operation === 'Update' ? `${base} using ${e.apiVersion}` : base;
}

function conflictError(conflicts: { manager: ManagedFieldsEntry; path: Element[] }[]): ApiError {
  const causes = conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${printManager(c.manager)}`, field: pathString(c.path) }));
  let message: string;
  if (conflicts.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${printManager(conflicts[0]!.manager)}: ${pathString(conflicts[0]!.path)}`;
  } else {
    const byManager = new Map<string, { entry: ManagedFieldsEntry; paths: Element[][] }>();
    for (const c of conflicts) {
      const key = printManager(c.manager);
      const group = byManager.get(key) ?? { entry: c.manager, paths: [] };
      group.paths.push(c.path);
      byManager.set(key, group);
    }
    const lines: string[] = [];
    for (const key of [...byManager.keys()].sort()) {
      lines.push(`conflicts with ${key}:`);
      for (const p of byManager.get(key)!.paths) lines.push(`- ${pathString(p)}`);
    }
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new ApiError(409, 'Conflict', message, { causes });
}

/** The fields no manager owns: apiVersion, kind and the server-set metadata (stripmeta.go); status off the status subresource and vice versa. */
function ignoredFields(type: ResourceType, subresource: string | undefined): (path: Element[]) => boolean {
  const meta = new Set(['name', 'namespace', 'creationTimestamp', 'selfLink', 'uid', 'clusterName', 'generation', 'managedFields', 'resourceVersion']);
  const hasStatus = type.subresources.includes('status');
  return (path) => {
    const [first, second] = path;
    if (first === 'f:apiVersion' || first === 'f:kind') return true;
    if (first === 'f:metadata' && (path.length === 1 || (second && meta.has(second.slice(2))))) return true;
    if (hasStatus && subresource === undefined && first === 'f:status') return true;
    if (subresource === 'status' && first !== 'f:status') return true;
    return false;
  };
}

function filtered(set: FieldSet, ignore: (path: Element[]) => boolean): FieldSet {
  return FieldSet.of(set.paths().filter((p) => !ignore(p)));
}

/** The root type of a kind; undefined when its schema is unknown (a builtin the generated definitions lack). */
export function rootTypeOf(type: ResourceType): TypeRef | undefined {
  if (type.custom) return type.schema ? { schema: type.schema, preserve: false } : { untyped: 'deduced', preserve: true };
  const name = builtinDefinitionName(type.group, type.version, type.kind);
  const schema = name ? builtinOpenApi().definitions[name] : undefined;
  return schema ? { schema, preserve: false } : { untyped: 'deduced', preserve: true };
}

export interface FieldManagerRequest {
  type: ResourceType;
  manager: string;
  /** The subresource written (`status`, `scale`), recorded in the entry. */
  subresource?: string;
}

/**
 * An Update operation (create, update, non-apply patch, scale, status): `manager` takes what changed between `live`
 * (undefined on create) and `next`, and loses nobody else's fields but those. Returns the new managedFields.
 */
export function updateManagedFields(req: FieldManagerRequest, live: KubeObject | undefined, next: KubeObject): ManagedFieldsEntry[] {
  const ref = rootTypeOf(req.type)!;
  const ignore = ignoredFields(req.type, req.subresource);
  const cmp: Comparison = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
  compare(live ?? {}, next, ref, [], cmp);
  const changed = filtered(cmp.modified.union(cmp.added), ignore);
  const removed = filtered(cmp.removed, ignore);
  const managers = readManagers(live);
  const me = { manager: req.manager, operation: 'Update' as const, subresource: req.subresource };
  for (const m of managers) if (identity(m.entry) !== identity(me)) m.set = m.set.difference(changed).difference(removed);
  let mine = managers.find((m) => identity(m.entry) === identity(me));
  const before = mine?.set.paths().length ?? -1;
  if (!mine) {
    mine = { entry: { manager: req.manager, operation: 'Update', apiVersion: next.apiVersion, fieldsType: 'FieldsV1', fieldsV1: {}, ...(req.subresource ? { subresource: req.subresource } : {}) }, set: new FieldSet() };
    managers.push(mine);
  }
  const updated = mine.set.difference(removed).union(changed);
  if (before < 0 || !deepEqualJson(updated.toFieldsV1(), mine.set.toFieldsV1())) mine.entry = { ...mine.entry, time: nowSeconds(), apiVersion: next.apiVersion };
  mine.set = updated;
  return writeManagers(managers);
}

/**
 * Server-side apply of `config` by `manager` over `live` (undefined: the object does not exist yet). Returns the object
 * to store (merged, with the fields the manager stopped applying removed when nobody else owns them) and its
 * managedFields; throws the 409 Conflict kube-apiserver answers when another manager owns a field whose value would
 * change, unless `force`.
 */
export function applyConfiguration(req: FieldManagerRequest & { force: boolean }, live: KubeObject | undefined, config: KubeObject): { object: KubeObject; managedFields: ManagedFieldsEntry[] } {
  const ref = rootTypeOf(req.type)!;
  const ignore = ignoredFields(req.type, req.subresource);
  const base: KubeObject = live ?? { apiVersion: config.apiVersion, kind: config.kind, metadata: {} };
  const liveContent = stripped(base);
  const configContent = stripped(config);
  let merged = merge(liveContent, configContent, ref) as Obj;
  const managers = readManagers(live);
  const me = { manager: req.manager, operation: 'Apply' as const, subresource: req.subresource };
  const previous = managers.find((m) => identity(m.entry) === identity(me));
  const configSet = new FieldSet();
  toFieldSet(configContent, ref, [], configSet);
  const mySet = filtered(configSet, ignore);

  // prune: the fields of the last apply that this one no longer has, unless someone else owns them.
  if (previous && !previous.set.isEmpty()) {
    const others = managers.filter((m) => m !== previous).reduce((acc, m) => acc.union(m.set), new FieldSet()).union(mySet);
    const mergedSet = new FieldSet();
    toFieldSet(merged, ref, [], mergedSet);
    const last = withNamedFields(previous.set, merged, ref);
    let pruned = (removeItems(merged, last, ref) ?? {}) as Obj;
    const prunedSet = new FieldSet();
    toFieldSet(pruned, ref, [], prunedSet);
    const mergedNamed = withNamedFields(mergedSet, merged, ref);
    pruned = (removeItems(merged, mergedNamed.difference(withNamedFields(prunedSet, pruned, ref).union(withNamedFields(others, merged, ref))), ref) ?? {}) as Obj;
    const prunedSet2 = new FieldSet();
    toFieldSet(pruned, ref, [], prunedSet2);
    merged = (removeItems(merged, mergedNamed.difference(withNamedFields(prunedSet2, pruned, ref)).intersection(last), ref) ?? {}) as Obj;
  }

  // update: conflicts with the fields other managers own that this apply changes.
  const cmp: Comparison = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
  compare(liveContent, merged, ref, [], cmp);
  const changed = filtered(cmp.modified.union(cmp.added), ignore);
  const removed = filtered(cmp.removed, ignore);
  const conflicts: { manager: ManagedFieldsEntry; path: Element[] }[] = [];
  for (const m of managers) {
    if (m === previous) continue;
    for (const p of m.set.intersection(changed).paths()) conflicts.push({ manager: m.entry, path: p });
  }
  if (conflicts.length > 0 && !req.force) throw conflictError(conflicts);
  for (const m of managers) if (m !== previous) m.set = m.set.difference(changed).difference(removed);
  const entry: ManagedFieldsEntry = { manager: req.manager, operation: 'Apply', apiVersion: config.apiVersion, fieldsType: 'FieldsV1', fieldsV1: {}, ...(req.subresource ? { subresource: req.subresource } : {}) };
  if (previous) {
    const same = deepEqualJson(previous.set.toFieldsV1(), mySet.toFieldsV1()) && previous.entry.apiVersion === config.apiVersion;
    previous.entry = same ? previous.entry : { ...entry, time: nowSeconds() };
    previous.set = mySet;
  } else {
    managers.push({ entry: { ...entry, time: nowSeconds() }, set: mySet });
  }
  const object: KubeObject = { ...(merged), apiVersion: config.apiVersion, kind: config.kind, metadata: { ...base.metadata, ...((merged.metadata as Obj | undefined) ?? {}) } };
  // The server-set metadata stays the live object's; the configuration's labels, annotations, finalizers... are merged.
  for (const k of ['name', 'namespace', 'uid', 'resourceVersion', 'creationTimestamp', 'generation', 'deletionTimestamp']) {
    if (base.metadata[k] !== undefined) object.metadata[k] = base.metadata[k];
  }
  for (const k of ['labels', 'annotations', 'finalizers', 'ownerReferences']) {
    if (!(merged.metadata && k in (merged.metadata as Obj))) delete object.metadata[k];
  }
  return { object, managedFields: writeManagers(managers) };
}

/** The object without what the field manager never looks at (managedFields, server-set metadata). */
function stripped(obj: KubeObject): Obj {
  const { metadata, ...rest } = obj;
  const meta: Obj = { ...metadata };
  for (const k of ['managedFields', 'resourceVersion', 'uid', 'creationTimestamp', 'generation', 'selfLink', 'deletionTimestamp', 'deletionGracePeriodSeconds']) delete meta[k];
  return { ...rest, metadata: meta };
}

/** The manager of a request without `fieldManager`: the User-Agent up to its first `/` (`kubectl`), as upstream derives it. */
export function managerFromUserAgent(userAgent: string | undefined): string {
  const prefix = (userAgent ?? '').split('/')[0]!.trim();
  return prefix.length > 128 ? prefix.slice(0, 128) : prefix;
}
