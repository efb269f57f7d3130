import type { KubernetesObject } from '@kubernetes/client-node';

/** Enough about a resource type to build its REST paths without discovery (watches, messages). */
export interface ResourceType {
  apiVersion: string;
  kind: string;
  plural: string;
  namespaced: boolean;
}

/** The resource types the harness touches. A mesh or ingress profile brings its own (its policy and route kinds). */
export const resourceTypes = {
  namespace: { apiVersion: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false },
  pod: { apiVersion: 'v1', kind: 'Pod', plural: 'pods', namespaced: true },
  service: { apiVersion: 'v1', kind: 'Service', plural: 'services', namespaced: true },
  serviceAccount: { apiVersion: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true },
  event: { apiVersion: 'v1', kind: 'Event', plural: 'events', namespaced: true },
  deployment: { apiVersion: 'apps/v1', kind: 'Deployment', plural: 'deployments', namespaced: true },
  ingress: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', plural: 'ingresses', namespaced: true },
} as const satisfies Record<string, ResourceType>;

/** Identifies one object: what delete, read and messages need. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

/** The collection path of a type, e.g. `/apis/apps/v1/namespaces/x/deployments`. */
export function collectionPath(type: ResourceType, namespace?: string): string {
  const root = type.apiVersion.includes('/') ? `/apis/${type.apiVersion}` : `/api/${type.apiVersion}`;
  return type.namespaced && namespace !== undefined ? `${root}/namespaces/${namespace}/${type.plural}` : `${root}/${type.plural}`;
}

/** `Kind namespace/name` (or `Kind name`), the object header used in messages. */
export function describeRef(ref: ObjectRef): string {
  return ref.namespace ? `${ref.kind} ${ref.namespace}/${ref.name}` : `${ref.kind} ${ref.name}`;
}

/** An object as the harness writes it: a Kubernetes object with its spec (any kind). */
export type Manifest = KubernetesObject & { spec?: unknown };
