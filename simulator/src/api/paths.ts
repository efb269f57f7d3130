/**
 * Parses resource URLs the way kube-apiserver's request-info resolver does:
 * /api/v1[/watch][/namespaces/<ns>]/<plural>[/<name>[/<subresource>[/<rest>]]] and the /apis/<group>/<version> form.
 */
import type { ResourceType, ResourceTypeRegistry } from '../cluster/types.ts';

export interface ResourcePath {
  type: ResourceType;
  group: string;
  version: string;
  namespace?: string;
  name?: string;
  subresource?: string;
  /** The remainder after the subresource (proxy paths), starting with '/' or ''. */
  rest: string;
  /** The legacy /watch/ prefix was used. */
  legacyWatch: boolean;
}

/** Splits a path into group, version and the segments after them; undefined for non-resource paths. */
export function splitApiPath(path: string): { group: string; version: string; segments: string[] } | undefined {
  const parts = path.split('/').filter((p) => p !== '');
  if (parts[0] === 'api' && parts.length >= 2) return { group: '', version: parts[1]!, segments: parts.slice(2).map(decodeURIComponent) };
  if (parts[0] === 'apis' && parts.length >= 3) return { group: parts[1]!, version: parts[2]!, segments: parts.slice(3).map(decodeURIComponent) };
  return undefined;
}

/**
 * Resolves the resource a URL names, or undefined when the group/version/plural is not served.
 * The proxy remainder is kept raw (not re-joined from decoded segments) so query-like paths survive.
 */
export function parseResourcePath(registry: ResourceTypeRegistry, path: string): ResourcePath | undefined {
  const split = splitApiPath(path);
  if (!split || split.segments.length === 0) return undefined;
  const { group, version } = split;
  let segs = split.segments;
  let legacyWatch = false;
  if (segs[0] === 'watch') {
    legacyWatch = true;
    segs = segs.slice(1);
  }
  let namespace: string | undefined;
  // `namespaces/<ns>/<plural>` is a namespaced collection; `namespaces/<name>[/status]` is the namespace itself.
  if (segs[0] === 'namespaces' && segs.length >= 3) {
    const inner = registry.byPath(group, version, segs[2]!);
    if (inner?.namespaced) {
      namespace = segs[1];
      segs = segs.slice(2);
    }
  }
  const type = registry.byPath(group, version, segs[0]!);
  if (!type) return undefined;
  // The raw remainder after `<plural>/<name>/<subresource>`, for proxy requests (kept undecoded).
  let rest = '';
  if (segs.length >= 3) {
    const prefix = (group === '' ? 2 : 3) + (legacyWatch ? 1 : 0) + (namespace !== undefined ? 2 : 0) + 3;
    const rawParts = path.split('/').filter((p, i) => i > 0 || p !== '');
    rest = rawParts.length > prefix ? `/${rawParts.slice(prefix).join('/')}` : '';
  }
  return {
    type, group, version, legacyWatch, rest,
    ...(namespace !== undefined ? { namespace } : {}),
    ...(segs[1] !== undefined ? { name: segs[1] } : {}),
    ...(segs[2] !== undefined ? { subresource: segs[2] } : {}),
  };
}
