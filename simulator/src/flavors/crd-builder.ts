/** A compact builder for CustomResourceDefinition manifests (apiextensions.k8s.io/v1), for the mesh CRD bundles. */
import type { KubeObject } from '../cluster/types.ts';

export interface CrdVersion {
  name: string;
  served?: boolean;
  storage?: boolean;
  deprecated?: boolean;
  columns?: { name: string; type: string; jsonPath: string; description?: string; priority?: number }[];
}

export interface CrdParams {
  group: string;
  kind: string;
  plural: string;
  scope?: 'Namespaced' | 'Cluster';
  shortNames?: string[];
  categories?: string[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  versions: CrdVersion[];
  /** The spec's schema (the same for every version); unknown fields are preserved unless it says otherwise. */
  spec: Record<string, unknown>;
  /** Status subresource (default true). */
  status?: boolean;
}

/** An open object schema: the fields listed, anything else preserved. */
export function open(properties: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties, ...extra };
}

export const string = { type: 'string' };
export const integer = { type: 'integer' };
export const boolean = { type: 'boolean' };
export const strings = { type: 'array', items: { type: 'string' } };
export const stringMap = { type: 'object', additionalProperties: { type: 'string' } };
export function arrayOf(items: Record<string, unknown>): Record<string, unknown> {
  return { type: 'array', items };
}

export function crd(p: CrdParams): KubeObject {
  const singular = p.kind.toLowerCase();
  const hasStatus = p.status ?? true;
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${p.plural}.${p.group}`,
      ...(p.labels ? { labels: p.labels } : {}),
      ...(p.annotations ? { annotations: p.annotations } : {}),
    },
    spec: {
      group: p.group,
      scope: p.scope ?? 'Namespaced',
      names: {
        kind: p.kind,
        listKind: `${p.kind}List`,
        plural: p.plural,
        singular,
        ...(p.shortNames ? { shortNames: p.shortNames } : {}),
        ...(p.categories ? { categories: p.categories } : {}),
      },
      versions: p.versions.map((v) => ({
        name: v.name,
        served: v.served ?? true,
        storage: v.storage ?? false,
        ...(v.deprecated ? { deprecated: true } : {}),
        ...(v.columns ? { additionalPrinterColumns: v.columns } : {}),
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              apiVersion: string,
              kind: string,
              metadata: { type: 'object' },
              spec: p.spec,
              ...(hasStatus ? { status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } : {}),
            },
            ...(p.group.endsWith('gateway.networking.k8s.io') ? { required: ['spec'] } : {}),
          },
        },
        ...(hasStatus ? { subresources: { status: {} } } : {}),
      })),
    },
  };
}
