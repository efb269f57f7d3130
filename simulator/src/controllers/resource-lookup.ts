/**
 * Finds the ResourceType for a kind in the store's registry. Controllers look types up by kind instead of
 * importing them, so they work with whatever registry the store was built with (real or test fake).
 */
import type { ObjectStore, ResourceType } from '../cluster/types.ts';

/** The kinds the control plane touches, with the apiVersion it uses for each. */
export const kinds = {
  Namespace: 'v1',
  Node: 'v1',
  Pod: 'v1',
  Service: 'v1',
  Endpoints: 'v1',
  ServiceAccount: 'v1',
  Secret: 'v1',
  ConfigMap: 'v1',
  Event: 'v1',
  Deployment: 'apps/v1',
  ReplicaSet: 'apps/v1',
  DaemonSet: 'apps/v1',
  EndpointSlice: 'discovery.k8s.io/v1',
  Ingress: 'networking.k8s.io/v1',
  IngressClass: 'networking.k8s.io/v1',
  CustomResourceDefinition: 'apiextensions.k8s.io/v1',
  MutatingWebhookConfiguration: 'admissionregistration.k8s.io/v1',
  ValidatingWebhookConfiguration: 'admissionregistration.k8s.io/v1',
  IngressBackend: 'policy.openservicemesh.io/v1alpha1',
  MeshConfig: 'config.openservicemesh.io/v1alpha2',
  TrafficTarget: 'access.smi-spec.io/v1alpha3',
  HTTPRouteGroup: 'specs.smi-spec.io/v1alpha4',
  TCPRoute: 'specs.smi-spec.io/v1alpha4',
  TrafficSplit: 'split.smi-spec.io/v1alpha2',
} as const;

export type KnownKind = keyof typeof kinds;

/** The registered type for `kind`, or a clear error naming what is missing from the registry. */
export function typeFor(store: ObjectStore, kind: KnownKind): ResourceType {
  const type = store.types.byKind(kind, kinds[kind]) ?? store.types.byKind(kind);
  if (!type) throw new Error(`resource type ${kind} (${kinds[kind]}) is not registered in the store`);
  return type;
}

/** Like typeFor, but undefined when the kind is not served (optional kinds such as EndpointSlice). */
export function maybeTypeFor(store: ObjectStore, kind: KnownKind): ResourceType | undefined {
  return store.types.byKind(kind, kinds[kind]) ?? store.types.byKind(kind);
}

export function apiVersionOf(type: ResourceType): string {
  return type.group === '' ? type.version : `${type.group}/${type.version}`;
}

/** One type per stored kind (the served versions of a CRD share one stored object), for controllers that sweep every kind. */
export function storedTypes(store: ObjectStore): ResourceType[] {
  const seen = new Set<string>();
  return store.types.all().filter((type) => {
    const key = `${type.group}/${type.plural}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
