/**
 * The kinds the simulated API server serves: builtin kinds registered up front, and the served
 * versions of every CustomResourceDefinition added at runtime (see resourceTypesFromCrd).
 */
import { ageColumn, builtinPrinterColumns, nameColumn } from '../api/printers.ts';
import { evaluateJsonPath } from '../api/jsonpath.ts';
import type { JsonSchema, KubeObject, PrinterColumn, ResourceType, ResourceTypeRegistry } from './types.ts';

const allVerbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const clusterVerbs = allVerbs;

interface BuiltinSpec {
  group: string;
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  verbs?: string[];
  subresources?: string[];
}

const builtins: BuiltinSpec[] = [
  { group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false, shortNames: ['ns'], verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], subresources: ['status', 'finalize'] },
  { group: '', version: 'v1', plural: 'pods', kind: 'Pod', namespaced: true, shortNames: ['po'], categories: ['all'], subresources: ['status', 'log', 'portforward', 'proxy', 'exec', 'attach', 'binding', 'eviction'] },
  { group: '', version: 'v1', plural: 'services', kind: 'Service', namespaced: true, shortNames: ['svc'], categories: ['all'], verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'], subresources: ['status', 'proxy'] },
  { group: '', version: 'v1', plural: 'endpoints', kind: 'Endpoints', namespaced: true, shortNames: ['ep'] },
  { group: '', version: 'v1', plural: 'serviceaccounts', kind: 'ServiceAccount', namespaced: true, shortNames: ['sa'], subresources: ['token'] },
  { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true, shortNames: ['cm'] },
  { group: '', version: 'v1', plural: 'secrets', kind: 'Secret', namespaced: true },
  { group: '', version: 'v1', plural: 'events', kind: 'Event', namespaced: true, shortNames: ['ev'] },
  { group: '', version: 'v1', plural: 'nodes', kind: 'Node', namespaced: false, shortNames: ['no'], subresources: ['status', 'proxy'] },
  { group: 'apps', version: 'v1', plural: 'deployments', kind: 'Deployment', namespaced: true, shortNames: ['deploy'], categories: ['all'], subresources: ['status', 'scale'] },
  { group: 'apps', version: 'v1', plural: 'daemonsets', kind: 'DaemonSet', namespaced: true, shortNames: ['ds'], categories: ['all'], subresources: ['status'] },
  { group: 'apps', version: 'v1', plural: 'replicasets', kind: 'ReplicaSet', namespaced: true, shortNames: ['rs'], categories: ['all'], subresources: ['status', 'scale'] },
  { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', kind: 'Lease', namespaced: true },
  { group: 'networking.k8s.io', version: 'v1', plural: 'ingresses', kind: 'Ingress', namespaced: true, shortNames: ['ing'], subresources: ['status'] },
  { group: 'networking.k8s.io', version: 'v1', plural: 'ingressclasses', kind: 'IngressClass', namespaced: false },
  { group: 'apiextensions.k8s.io', version: 'v1', plural: 'customresourcedefinitions', kind: 'CustomResourceDefinition', namespaced: false, shortNames: ['crd', 'crds'], categories: ['api-extensions'], subresources: ['status'] },
  { group: 'admissionregistration.k8s.io', version: 'v1', plural: 'mutatingwebhookconfigurations', kind: 'MutatingWebhookConfiguration', namespaced: false, categories: ['api-extensions'] },
  { group: 'admissionregistration.k8s.io', version: 'v1', plural: 'validatingwebhookconfigurations', kind: 'ValidatingWebhookConfiguration', namespaced: false, categories: ['api-extensions'] },
  { group: 'authorization.k8s.io', version: 'v1', plural: 'selfsubjectaccessreviews', kind: 'SelfSubjectAccessReview', namespaced: false, verbs: ['create'] },
  // Jobs (controllers/job-controller.ts) and RBAC objects, stored but not evaluated (simulator/README.md): what an
  // in-cluster run is deployed with (deploy/).
  { group: 'batch', version: 'v1', plural: 'jobs', kind: 'Job', namespaced: true, categories: ['all'], subresources: ['status'] },
  { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'clusterroles', kind: 'ClusterRole', namespaced: false },
  { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'clusterrolebindings', kind: 'ClusterRoleBinding', namespaced: false },
  { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'roles', kind: 'Role', namespaced: true },
  { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'rolebindings', kind: 'RoleBinding', namespaced: true },
];

function builtinType(spec: BuiltinSpec): ResourceType {
  return {
    group: spec.group,
    version: spec.version,
    plural: spec.plural,
    singular: spec.kind.toLowerCase(),
    kind: spec.kind,
    listKind: `${spec.kind}List`,
    namespaced: spec.namespaced,
    shortNames: spec.shortNames ?? [],
    categories: spec.categories ?? [],
    verbs: spec.verbs ?? (spec.namespaced ? allVerbs : clusterVerbs),
    subresources: spec.subresources ?? [],
    printerColumns: builtinPrinterColumns[spec.kind] ?? [nameColumn, ageColumn],
  };
}

/** `apps/v1` or `v1` for the core group. */
export function apiVersionOf(type: ResourceType): string {
  return type.group === '' ? type.version : `${type.group}/${type.version}`;
}

/** `deployments.apps`, or `pods` in the core group: how errors name a resource. */
export function qualifiedResource(type: ResourceType): string {
  return type.group === '' ? type.plural : `${type.plural}.${type.group}`;
}

/** Whether the kind stores status through its own `/status` subresource (so plain updates keep the old status). */
export function hasStatusSubresource(type: ResourceType): boolean {
  return type.subresources.includes('status');
}

/** A string field of an untyped object, or `fallback` when it is absent or not a string. */
export function stringField(value: unknown, fallback = ''): string {
  return typeof value === 'string' ? value : fallback;
}

function printerColumnType(type: unknown): PrinterColumn['type'] {
  return type === 'integer' || type === 'number' || type === 'boolean' || type === 'date' ? type : 'string';
}

function crdColumns(columns: Record<string, unknown>[]): PrinterColumn[] {
  const extra = columns.map((col): PrinterColumn => {
    const jsonPath = stringField(col.jsonPath);
    const type = printerColumnType(col.type);
    return {
      name: stringField(col.name),
      type,
      ...(typeof col.format === 'string' ? { format: col.format } : {}),
      ...(typeof col.description === 'string' ? { description: col.description } : {}),
      ...(typeof col.priority === 'number' ? { priority: col.priority } : {}),
      cell: (obj: KubeObject) => {
        const value = evaluateJsonPath(obj, jsonPath);
        if (value === undefined || value === null) return type === 'string' || type === 'date' ? '' : '<none>';
        if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
        return JSON.stringify(value);
      },
    };
  });
  // As kube-apiserver does: without printer columns a custom resource shows NAME and AGE.
  return columns.length === 0 ? [nameColumn, ageColumn] : [nameColumn, ...extra];
}

function isSchema(value: unknown): value is JsonSchema {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * The ResourceTypes a CustomResourceDefinition serves, one per served version.
 * Use when a CRD is created or updated; the store registers and unregisters them.
 */
export function resourceTypesFromCrd(crd: KubeObject): ResourceType[] {
  const spec = (crd.spec ?? {}) as Record<string, unknown>;
  const names = (spec.names ?? {}) as Record<string, unknown>;
  const kind = stringField(names.kind);
  const versions = Array.isArray(spec.versions) ? (spec.versions as Record<string, unknown>[]) : [];
  return versions.filter((v) => v.served !== false).map((v) => {
    const subresources = (v.subresources ?? spec.subresources ?? {}) as Record<string, unknown>;
    const columns = (v.additionalPrinterColumns ?? spec.additionalPrinterColumns ?? []) as Record<string, unknown>[];
    const validation = (v.schema ?? spec.validation) as { openAPIV3Schema?: unknown } | undefined;
    const schema = isSchema(validation?.openAPIV3Schema) ? validation.openAPIV3Schema : undefined;
    return {
      group: stringField(spec.group),
      version: stringField(v.name),
      plural: stringField(names.plural),
      singular: stringField(names.singular, kind.toLowerCase()),
      kind,
      listKind: stringField(names.listKind, `${kind}List`),
      namespaced: spec.scope !== 'Cluster',
      shortNames: Array.isArray(names.shortNames) ? (names.shortNames as string[]) : [],
      categories: Array.isArray(names.categories) ? (names.categories as string[]) : [],
      verbs: allVerbs,
      subresources: [...('status' in subresources ? ['status'] : []), ...('scale' in subresources ? ['scale'] : [])],
      printerColumns: crdColumns(columns),
      custom: true,
      ...(schema ? { schema } : {}),
    };
  });
}

/** A registry of the kinds the server serves. Use createResourceTypeRegistry() for one with the builtins. */
export class ResourceTypeRegistryImpl implements ResourceTypeRegistry {
  private readonly types = new Map<string, ResourceType>();

  all(): ResourceType[] {
    return [...this.types.values()];
  }

  byPath(group: string, version: string, plural: string): ResourceType | undefined {
    return this.types.get(`${group}/${version}/${plural}`);
  }

  byKind(kind: string, apiVersion?: string): ResourceType | undefined {
    for (const type of this.types.values()) {
      if (type.kind !== kind) continue;
      if (apiVersion === undefined || apiVersionOf(type) === apiVersion) return type;
    }
    return undefined;
  }

  register(type: ResourceType): void {
    this.types.set(`${type.group}/${type.version}/${type.plural}`, type);
  }

  /** Removes a kind (a deleted CRD's versions). Not part of the shared contract. */
  unregister(group: string, version: string, plural: string): void {
    this.types.delete(`${group}/${version}/${plural}`);
  }
}

/** A registry pre-filled with every builtin kind the simulated cluster serves. */
export function createResourceTypeRegistry(): ResourceTypeRegistryImpl {
  const registry = new ResourceTypeRegistryImpl();
  for (const spec of builtins) registry.register(builtinType(spec));
  return registry;
}
