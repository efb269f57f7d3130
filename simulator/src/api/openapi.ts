/**
 * OpenAPI documents, just enough for kubectl: `/openapi/v3` lists one document per group-version
 * whose PATCH operations declare the `fieldValidation` parameter, so kubectl 1.27+ leaves field
 * validation to the server instead of validating client-side against schemas we do not have.
 * `/openapi/v2` is an empty but well-formed Swagger document (kubectl's fallback).
 */
import type { ResourceType, ResourceTypeRegistry } from '../cluster/types.ts';

function gvPath(group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`;
}

/** `GET /openapi/v3`: the index of group-version documents. */
export function openApiV3Index(registry: ResourceTypeRegistry): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  const seen = new Set<string>();
  for (const t of registry.all()) {
    const p = gvPath(t.group, t.version);
    if (seen.has(p)) continue;
    seen.add(p);
    paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${hashOf(registry, t.group, t.version)}` };
  }
  return { paths };
}

function hashOf(registry: ResourceTypeRegistry, group: string, version: string): string {
  // Changes when the kinds of the group-version change, so kubectl's cache does not go stale across CRD changes.
  const kinds = registry.all().filter((t) => t.group === group && t.version === version).map((t) => `${t.plural}:${t.kind}`).sort().join(',');
  let h = 0;
  for (let i = 0; i < kinds.length; i++) h = (Math.imul(h, 31) + kinds.charCodeAt(i)) | 0;
  return (h >>> 0).toString(16).toUpperCase().padStart(16, '0');
}

function gvk(t: ResourceType): Record<string, string> {
  return { group: t.group, version: t.version, kind: t.kind };
}

const fieldValidationParam = {
  name: 'fieldValidation', in: 'query', schema: { type: 'string', uniqueItems: true },
  description: 'fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields.',
};

/** `GET /openapi/v3/<api/v1|apis/g/v>`: the paths of one group-version, with schemas left open. */
export function openApiV3Document(registry: ResourceTypeRegistry, group: string, version: string): Record<string, unknown> | undefined {
  const types = registry.all().filter((t) => t.group === group && t.version === version);
  if (types.length === 0) return undefined;
  const paths: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {};
  for (const t of types) {
    const base = `/${gvPath(group, version)}${t.namespaced ? '/namespaces/{namespace}' : ''}/${t.plural}`;
    const op = (action: string) => ({
      operationId: `${action}${t.kind}`,
      'x-kubernetes-action': action,
      'x-kubernetes-group-version-kind': gvk(t),
      parameters: [fieldValidationParam],
      responses: { '200': { description: 'OK' } },
    });
    paths[base] = { get: op('list'), post: op('post') };
    paths[`${base}/{name}`] = { get: op('get'), put: op('put'), patch: op('patch'), delete: op('delete') };
    schemas[`${(t.group || 'core').split('.').reverse().join('.')}.${t.version}.${t.kind}`] = {
      type: 'object',
      'x-kubernetes-group-version-kind': [gvk(t)],
      'x-kubernetes-preserve-unknown-fields': true,
    };
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.29.4' }, paths, components: { schemas } };
}

/** `GET /openapi/v2`: a valid Swagger document without definitions (client-side validation then skips). */
export function openApiV2(): Record<string, unknown> {
  return { swagger: '2.0', info: { title: 'Kubernetes', version: 'v1.29.4' }, paths: {}, definitions: {} };
}
