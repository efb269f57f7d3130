/**
 * The OpenAPI definitions of the builtin kinds, as kube-apiserver publishes them (generated/builtin-openapi.json, written
 * by simulator/scripts/generate-builtin-openapi.ts from the Kubernetes version upstream/go.mod pins), and the lookups
 * the API server needs: a kind's definition name, a `$ref`'s target, and the shared query parameters.
 */
import { readFileSync } from 'node:fs';
import type { JsonSchema, ResourceType } from '../cluster/types.ts';

interface BuiltinOpenApi {
  kubernetesVersion: string;
  parameters: Record<string, JsonSchema>;
  definitions: Record<string, JsonSchema>;
}

let loaded: BuiltinOpenApi | undefined;
let byGvk: Map<string, string> | undefined;

/** The generated document, read once (about 0.5 MB). */
export function builtinOpenApi(): BuiltinOpenApi {
  loaded ??= JSON.parse(readFileSync(new URL('./generated/builtin-openapi.json', import.meta.url), 'utf8')) as BuiltinOpenApi;
  return loaded;
}

/** The Kubernetes release whose schemas the builtin kinds are served with. */
export function builtinSchemaVersion(): string {
  return builtinOpenApi().kubernetesVersion;
}

function gvkKey(group: string, version: string, kind: string): string {
  return `${group}/${version}/${kind}`;
}

/** The definition name of a builtin kind (`io.k8s.api.core.v1.Pod`), from its `x-kubernetes-group-version-kind`. */
export function builtinDefinitionName(group: string, version: string, kind: string): string | undefined {
  if (!byGvk) {
    byGvk = new Map();
    for (const [name, def] of Object.entries(builtinOpenApi().definitions)) {
      const gvks = def['x-kubernetes-group-version-kind'];
      if (!Array.isArray(gvks)) continue;
      for (const g of gvks as { group: string; version: string; kind: string }[]) byGvk.set(gvkKey(g.group, g.version, g.kind), name);
    }
  }
  return byGvk.get(gvkKey(group, version, kind));
}

/** The builtin definition `#/definitions/<name>` (or `#/components/schemas/<name>`) points to. */
export function resolveBuiltinRef(ref: string): JsonSchema | undefined {
  const name = ref.replace(/^#\/(?:definitions|components\/schemas)\//, '');
  return builtinOpenApi().definitions[name];
}

/** ObjectMeta's definition: what `metadata` of any object (custom resources included) is decoded into. */
export function objectMetaSchema(): JsonSchema {
  return builtinOpenApi().definitions['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta']!;
}

/** The schema a request body of `type` is decoded with: a builtin kind's definition, or a custom resource's openAPIV3Schema. */
export function objectSchemaOf(type: ResourceType): { schema: JsonSchema; builtin: boolean } | undefined {
  if (type.custom) return type.schema ? { schema: type.schema, builtin: false } : undefined;
  const name = builtinDefinitionName(type.group, type.version, type.kind);
  const schema = name ? builtinOpenApi().definitions[name] : undefined;
  return schema ? { schema, builtin: true } : undefined;
}
