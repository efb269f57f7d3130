/**
 * Server-side field validation (`?fieldValidation=Ignore|Warn|Strict`, Warn by default): a request body is decoded
 * into its kind's schema, and what the schema does not declare is dropped, reported in `Warning` headers, or refused,
 * in the words kube-apiserver uses for each kind of request (a create or update body, a patch, an apply
 * configuration). Builtin kinds use their published definitions (Go decoding), custom resources their CRD schema.
 */
import type { ServerResponse } from 'node:http';
import { ApiError } from '../cluster/types.ts';
import type { KubeObject, ResourceType } from '../cluster/types.ts';
import { pruneUnknownFields } from '../cluster/structural-schema.ts';
import { objectMetaSchema, objectSchemaOf, resolveBuiltinRef } from './builtin-schemas.ts';
import type { PatchType } from './patch.ts';

export type FieldValidation = 'Ignore' | 'Warn' | 'Strict';

/** The directive of a request; an unknown value is the 422 kube-apiserver answers for the request's options kind. */
export function fieldValidationOf(query: URLSearchParams, optionsKind: 'CreateOptions' | 'UpdateOptions' | 'PatchOptions'): FieldValidation {
  const raw = query.get('fieldValidation') ?? '';
  if (raw === '') return 'Warn';
  if (raw === 'Ignore' || raw === 'Warn' || raw === 'Strict') return raw;
  const message = `Unsupported value: ${JSON.stringify(raw)}: supported values: "", "Ignore", "Strict", "Warn"`;
  throw new ApiError(422, 'Invalid', `${optionsKind}.meta.k8s.io "" is invalid: fieldValidation: ${message}`, {
    group: 'meta.k8s.io', kind: optionsKind, causes: [{ reason: 'FieldValueNotSupported', message, field: 'fieldValidation' }],
  });
}

/** Drops the fields `obj`'s kind does not declare (in place); returns their paths in the order the decoder meets them. */
export function pruneRequestObject(type: ResourceType, obj: unknown): string[] {
  const schema = objectSchemaOf(type);
  if (!schema) return [];
  return pruneUnknownFields(obj, schema.schema, { builtin: schema.builtin, resolve: resolveBuiltinRef, objectMeta: objectMetaSchema() });
}

function strictMessage(unknown: string[]): string {
  return `strict decoding error: ${unknown.map((f) => `unknown field ${JSON.stringify(f)}`).join(', ')}`;
}

/** Adds one `Warning: 299 - "unknown field \"spec.foo\""` header per dropped field, as kube-apiserver does under Warn. */
export function warnUnknownFields(res: ServerResponse, unknown: string[]): void {
  for (const f of unknown) res.appendHeader('Warning', `299 - ${JSON.stringify(`unknown field ${JSON.stringify(f)}`)}`);
}

/**
 * A create or update body (POST, PUT): unknown fields dropped; Strict refuses them with the decoder's 400
 * (`ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "foo"`).
 */
export function decodeBody(res: ServerResponse, type: ResourceType, body: KubeObject, directive: FieldValidation): void {
  const unknown = pruneRequestObject(type, body);
  if (unknown.length === 0 || directive === 'Ignore') return;
  if (directive === 'Strict') throw new ApiError(400, 'BadRequest', `${type.kind} in version "${type.version}" cannot be handled as a ${type.kind}: ${strictMessage(unknown)}`);
  warnUnknownFields(res, unknown);
}

function sortedJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(sortedJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${sortedJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A decoded JSON value as Go's %v prints a map[string]interface{} (`map[data:map[x:y] foo:1]`). */
function goValue(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(goValue).join(' ')}]`;
  if (value === null) return '<nil>';
  if (typeof value === 'object') return `map[${Object.keys(value).sort().map((k) => `${k}:${goValue((value as Record<string, unknown>)[k])}`).join(' ')}]`;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * The result of a JSON, merge or strategic merge patch: unknown fields dropped (returned, for the Warn headers);
 * Strict refuses them with the 422 kube-apiserver's patcher builds (`patch: Invalid value: <the patched object, or
 * the strategic patch as Go prints it>: strict decoding error: ...`).
 */
export function decodePatched(type: ResourceType, patchType: PatchType, patched: KubeObject, patch: unknown, directive: FieldValidation): string[] {
  const shown = patchType === 'strategic' ? goValue(patch) : sortedJson(patched);
  const unknown = pruneRequestObject(type, patched);
  if (unknown.length > 0 && directive === 'Strict') {
    const message = `Invalid value: ${JSON.stringify(shown)}: ${strictMessage(unknown)}`;
    throw new ApiError(422, 'Invalid', ` "" is invalid: patch: ${message}`, { causes: [{ reason: 'FieldValueInvalid', message, field: 'patch' }] });
  }
  return directive === 'Warn' ? unknown : [];
}

/**
 * An apply configuration: server-side apply converts it to a typed object first, and a field the schema does not
 * declare fails that whatever the directive (500, `failed to create typed patch object (...): .spec.foo: field not
 * declared in schema`).
 */
export function checkApplyConfiguration(type: ResourceType, config: KubeObject): void {
  const unknown = pruneRequestObject(type, structuredClone(config));
  if (unknown.length === 0) return;
  const what = `${config.metadata?.namespace ?? ''}/${config.metadata?.name ?? ''}; ${type.group}/${type.version}, Kind=${type.kind}`;
  const errors = unknown.map((f) => `.${f}: field not declared in schema`);
  const detail = errors.length === 1 ? errors[0]! : `errors:\n${errors.map((e) => `  ${e}`).join('\n')}`;
  throw new ApiError(500, '', `failed to create typed patch object (${what}): ${detail}`);
}
