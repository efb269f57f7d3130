/**
 * What kube-apiserver does with an object and its OpenAPI schema, for any structural schema (a CRD's
 * openAPIV3Schema, or a builtin kind's published definition with `$ref`s):
 * - pruneUnknownFields: drops fields the schema does not declare and returns their paths (the API server warns about
 *   them, or refuses them under `fieldValidation=Strict`). Custom resources prune as the apiextensions-apiserver does
 *   (an object without `properties` keeps nothing unless `x-kubernetes-preserve-unknown-fields`; `null` in a
 *   non-nullable field without a default goes too); builtin kinds as Go's JSON decoding does (an object type without
 *   properties, such as RawExtension, keeps everything).
 * - applySchemaDefaults: structural defaulting (`default` of absent properties).
 * - validateAgainstSchema: the OpenAPI value validations, worded as kube-openapi's validator and the
 *   apiextensions-apiserver word them (`spec.x in body should be greater than or equal to 1`).
 */
import type { FieldError } from './field-errors.ts';
import type { JsonSchema } from './types.ts';

type Json = unknown;
type Obj = Record<string, Json>;

/** Resolves a `$ref` (`#/definitions/...` or `#/components/schemas/...`) of a builtin definition. */
export type RefResolver = (ref: string) => JsonSchema | undefined;

function isObj(v: Json): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The schema itself, or what its `$ref` (or a single-`$ref` allOf, the v3 form) points to. */
export function deref(schema: JsonSchema | undefined, resolve?: RefResolver): JsonSchema | undefined {
  let s = schema;
  for (let i = 0; s && i < 32; i++) {
    const ref = typeof s.$ref === 'string' ? s.$ref : Array.isArray(s.allOf) && s.allOf.length === 1 && isObj(s.allOf[0]) && typeof s.allOf[0].$ref === 'string' ? s.allOf[0].$ref : undefined;
    if (!ref || !resolve) return s;
    s = resolve(ref);
  }
  return s;
}

function childPath(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function properties(s: JsonSchema): Record<string, JsonSchema> | undefined {
  return isObj(s.properties) ? (s.properties as Record<string, JsonSchema>) : undefined;
}

const preserves = (s: JsonSchema): boolean => s['x-kubernetes-preserve-unknown-fields'] === true;
const embedded = (s: JsonSchema): boolean => s['x-kubernetes-embedded-resource'] === true;

export interface PruneOptions {
  /** Go decoding semantics (builtin kinds) rather than structural pruning (custom resources). */
  builtin: boolean;
  resolve?: RefResolver;
  /** The schema of `metadata` in embedded and top-level objects (ObjectMeta), for custom resources. */
  objectMeta?: JsonSchema;
}

/**
 * Removes what `schema` does not declare from `value` (in place) and returns the removed fields' paths, as the
 * decoder reports them (`spec.foo`, `spec.sources[0].bogus`). Call with the whole object and its kind's schema.
 */
export function pruneUnknownFields(value: Json, schema: JsonSchema, opts: PruneOptions): string[] {
  const unknown: string[] = [];
  pruneObjectRoot(value, schema, '', opts, unknown);
  return unknown;
}

/** The root of a kind or of an embedded resource: apiVersion and kind stay, metadata is an ObjectMeta. */
function pruneObjectRoot(value: Json, schema: JsonSchema, path: string, opts: PruneOptions, unknown: string[]): void {
  if (!isObj(value)) return;
  const s = deref(schema, opts.resolve) ?? {};
  const keep = opts.builtin ? [] : ['apiVersion', 'kind', 'metadata'];
  const rest: Obj = {};
  for (const key of keep) {
    if (key in value) {
      rest[key] = value[key];
      delete value[key];
    }
  }
  prune(value, s, path, opts, unknown);
  if (!opts.builtin && isObj(rest.metadata) && opts.objectMeta) prune(rest.metadata, opts.objectMeta, childPath(path, 'metadata'), { ...opts, builtin: true }, unknown);
  Object.assign(value, rest);
}

function prune(value: Json, schema: JsonSchema, path: string, opts: PruneOptions, unknown: string[]): void {
  const s = deref(schema, opts.resolve);
  if (!s) return;
  if (Array.isArray(value)) {
    const items = isObj(s.items) ? (s.items) : undefined;
    if (items) value.forEach((item, i) => prune(item, items, `${path}[${i}]`, opts, unknown));
    return;
  }
  if (!isObj(value)) return;
  if (!opts.builtin && embedded(s) && path !== '') {
    pruneObjectRoot(value, { ...s, 'x-kubernetes-embedded-resource': false }, path, opts, unknown);
    return;
  }
  const props = properties(s);
  const additional = s.additionalProperties;
  if (props) {
    for (const key of Object.keys(value)) {
      const prop = props[key];
      if (prop) {
        const ps = deref(prop, opts.resolve) ?? {};
        // A null in a field that cannot hold it: Go leaves the field unset; apiextensions drops it (no default).
        if (value[key] === null && (opts.builtin || (ps.nullable !== true && ps.default === undefined))) {
          delete value[key];
          continue;
        }
        prune(value[key], prop, childPath(path, key), opts, unknown);
      } else if (isObj(additional)) {
        prune(value[key], additional, childPath(path, key), opts, unknown);
      } else if (!(preserves(s) || additional === true)) {
        unknown.push(childPath(path, key));
        delete value[key];
      }
    }
    return;
  }
  if (isObj(additional)) {
    for (const key of Object.keys(value)) prune(value[key], additional, childPath(path, key), opts, unknown);
    return;
  }
  // An object with no declared fields: Go keeps it whole (RawExtension, FieldsV1); structural pruning empties it.
  if (opts.builtin || preserves(s) || additional === true || s['x-kubernetes-int-or-string'] === true) return;
  if (s.type === 'object') {
    for (const key of Object.keys(value)) {
      unknown.push(childPath(path, key));
      delete value[key];
    }
  }
}

/** Structural defaulting: every absent property with a `default` gets it (recursively, defaults included). */
export function applySchemaDefaults(value: Json, schema: JsonSchema, resolve?: RefResolver): void {
  const s = deref(schema, resolve);
  if (!s) return;
  if (Array.isArray(value)) {
    if (isObj(s.items)) for (const item of value) applySchemaDefaults(item, s.items, resolve);
    return;
  }
  if (!isObj(value)) return;
  const props = properties(s);
  if (props) {
    for (const [key, prop] of Object.entries(props)) {
      const ps = deref(prop, resolve);
      if (!(key in value) && ps && ps.default !== undefined) value[key] = structuredClone(ps.default);
      if (key in value) applySchemaDefaults(value[key], prop, resolve);
    }
  } else if (isObj(s.additionalProperties)) {
    for (const v of Object.values(value)) applySchemaDefaults(v, s.additionalProperties, resolve);
  }
}

function jsonType(v: Json): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function typeMatches(v: Json, type: string): boolean {
  switch (type) {
    case 'object': return isObj(v);
    case 'array': return Array.isArray(v);
    case 'string': return typeof v === 'string';
    case 'boolean': return typeof v === 'boolean';
    case 'integer': return typeof v === 'number' && Number.isInteger(v);
    case 'number': return typeof v === 'number';
    default: return true;
  }
}

/** Go's %v of a number in these messages (1, 1.5, 65535). */
function num(n: unknown): string {
  return String(n);
}

/**
 * Validates `value` against a structural schema, returning the field errors kube-apiserver reports (an empty list when
 * valid). Objects report their properties' errors first, then their own (required, property counts).
 */
export function validateAgainstSchema(value: Json, schema: JsonSchema, path = ''): FieldError[] {
  const errors: FieldError[] = [];
  validate(value, schema, path, errors);
  return errors;
}

function validate(v: Json, s: JsonSchema, path: string, errors: FieldError[]): void {
  const where = path === '' ? '' : path;
  if (v === null) {
    if (s.nullable === true || (s.type === undefined && s['x-kubernetes-int-or-string'] !== true)) return;
  }
  if (s['x-kubernetes-int-or-string'] === true) {
    if (!(typeof v === 'string' || (typeof v === 'number' && Number.isInteger(v)))) {
      errors.push({ type: 'TypeInvalid', field: where, value: jsonType(v), detail: `${where} in body must be of type integer,string: ${JSON.stringify(jsonType(v))}` });
      return;
    }
  } else if (typeof s.type === 'string' && !typeMatches(v, s.type)) {
    errors.push({ type: 'TypeInvalid', field: where, value: jsonType(v), detail: `${where} in body must be of type ${s.type}: ${JSON.stringify(jsonType(v))}` });
    return;
  }

  if (Array.isArray(s.enum) && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(v))) {
    errors.push({ type: 'NotSupported', field: where, value: v, detail: `supported values: ${s.enum.map((e) => JSON.stringify(typeof e === 'string' ? e : JSON.stringify(e))).join(', ')}` });
  }

  if (typeof v === 'number') {
    if (typeof s.maximum === 'number') {
      if (s.exclusiveMaximum === true ? v >= s.maximum : v > s.maximum) {
        errors.push({ type: 'Invalid', field: where, value: v, detail: `${where} in body should be less than ${s.exclusiveMaximum === true ? '' : 'or equal to '}${num(s.maximum)}` });
      }
    }
    if (typeof s.minimum === 'number') {
      if (s.exclusiveMinimum === true ? v <= s.minimum : v < s.minimum) {
        errors.push({ type: 'Invalid', field: where, value: v, detail: `${where} in body should be greater than ${s.exclusiveMinimum === true ? '' : 'or equal to '}${num(s.minimum)}` });
      }
    }
    if (typeof s.multipleOf === 'number' && s.multipleOf > 0 && !Number.isInteger(v / s.multipleOf)) {
      errors.push({ type: 'Invalid', field: where, value: v, detail: `${where} in body should be a multiple of ${num(s.multipleOf)}` });
    }
  }

  if (typeof v === 'string') {
    const length = [...v].length;
    if (typeof s.maxLength === 'number' && length > s.maxLength) errors.push({ type: 'TooLong', field: where, detail: `may not be more than ${s.maxLength} ${s.maxLength === 1 ? 'byte' : 'bytes'}` });
    if (typeof s.minLength === 'number' && length < s.minLength) errors.push({ type: 'Invalid', field: where, value: v, detail: `${where} in body should be at least ${s.minLength} chars long` });
    if (typeof s.pattern === 'string') {
      let re: RegExp | undefined;
      try {
        re = new RegExp(s.pattern, 'u');
      } catch {
        re = undefined;
      }
      if (re && !re.test(v)) errors.push({ type: 'Invalid', field: where, value: v, detail: `${where} in body should match '${s.pattern}'` });
    }
  }

  if (Array.isArray(v)) {
    const items = isObj(s.items) ? (s.items) : undefined;
    if (items) v.forEach((item, i) => validate(item, items, `${where}[${i}]`, errors));
    if (typeof s.maxItems === 'number' && v.length > s.maxItems) errors.push({ type: 'TooMany', field: where, value: v.length, detail: `must have at most ${s.maxItems} ${s.maxItems === 1 ? 'item' : 'items'}` });
    if (typeof s.minItems === 'number' && v.length < s.minItems) errors.push({ type: 'Invalid', field: where, value: v, detail: `${where} in body should have at least ${s.minItems} items` });
    const listType = s['x-kubernetes-list-type'];
    if (s.uniqueItems === true || listType === 'set') {
      const seen = new Set<string>();
      v.forEach((item, i) => {
        const key = JSON.stringify(item);
        if (seen.has(key)) errors.push({ type: 'Duplicate', field: `${where}[${i}]`, value: item });
        seen.add(key);
      });
    } else if (listType === 'map' && Array.isArray(s['x-kubernetes-list-map-keys'])) {
      const keys = s['x-kubernetes-list-map-keys'] as string[];
      const seen = new Set<string>();
      v.forEach((item, i) => {
        if (!isObj(item)) return;
        const key = JSON.stringify(keys.map((k) => item[k]));
        if (seen.has(key)) errors.push({ type: 'Duplicate', field: `${where}[${i}]`, value: Object.fromEntries(keys.map((k) => [k, item[k]])) });
        seen.add(key);
      });
    }
  }

  if (isObj(v)) {
    const props = properties(s) ?? {};
    for (const [key, prop] of Object.entries(props)) {
      if (key in v && v[key] !== undefined) validate(v[key], prop, childPath(where, key), errors);
    }
    if (isObj(s.additionalProperties)) {
      for (const [key, val] of Object.entries(v)) if (!(key in props)) validate(val, s.additionalProperties, childPath(where, key), errors);
    }
    if (embedded(s)) {
      for (const key of ['apiVersion', 'kind']) if (typeof v[key] !== 'string' || v[key] === '') errors.push({ type: 'Required', field: childPath(where, key), detail: 'must not be empty' });
    }
    if (Array.isArray(s.required)) {
      for (const key of s.required as string[]) if (!(key in v) || v[key] === undefined) errors.push({ type: 'Required', field: childPath(where, key) });
    }
    const count = Object.keys(v).length;
    if (typeof s.maxProperties === 'number' && count > s.maxProperties) errors.push({ type: 'TooMany', field: where, value: count, detail: `must have at most ${s.maxProperties} ${s.maxProperties === 1 ? 'item' : 'items'}` });
    if (typeof s.minProperties === 'number' && count < s.minProperties) errors.push({ type: 'Invalid', field: where, value: v, detail: `${where} in body should have at least ${s.minProperties} properties` });
  }
}
