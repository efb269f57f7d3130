/**
 * The resource types the nodes and ingress controllers read and write, looked up once from the store's registry.
 */
import type { KubeObject, ObjectStore, ResourceType } from '../cluster/types.ts';

export interface NodeKinds {
  pod: ResourceType;
  node: ResourceType;
  event: ResourceType;
  service: ResourceType;
  endpoints: ResourceType | undefined;
  endpointSlice: ResourceType | undefined;
  ingress: ResourceType | undefined;
}

/** Resolves the kinds the node side needs; throws a clear error when the store lacks a core one. */
export function nodeKinds(store: ObjectStore): NodeKinds {
  const required = (kind: string, apiVersion: string): ResourceType => {
    const type = store.types.byKind(kind, apiVersion);
    if (!type) throw new Error(`the store does not serve ${kind} (${apiVersion}); the simulated nodes need it`);
    return type;
  };
  return {
    pod: required('Pod', 'v1'),
    node: required('Node', 'v1'),
    event: required('Event', 'v1'),
    service: required('Service', 'v1'),
    endpoints: store.types.byKind('Endpoints', 'v1'),
    endpointSlice: store.types.byKind('EndpointSlice', 'discovery.k8s.io/v1'),
    ingress: store.types.byKind('Ingress', 'networking.k8s.io/v1'),
  };
}

/** True when the event is about this resource type (types are compared by coordinates, not identity). */
export function isType(type: ResourceType | undefined, other: ResourceType): boolean {
  return !!type && type.group === other.group && type.plural === other.plural;
}

/** `namespace/name` of an object, the key the node side indexes by. */
export function keyOf(obj: KubeObject): string {
  return `${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;
}

/** A shallow typed view of a field of an unstructured object. */
export function field<T>(obj: KubeObject | Record<string, unknown> | undefined, name: string): T | undefined {
  const record: Record<string, unknown> | undefined = obj;
  return record?.[name] as T | undefined;
}

/** The store's writes may be rejected while the simulator shuts down or the object is gone; callers log and move on. */
export function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
