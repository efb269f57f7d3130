/**
 * A cluster flavor: everything that differs between the kind cluster of the OSM docs and an AKS cluster
 * with the OSM add-on. The simulator picks one at start; bootstrap.ts installs its objects.
 */
import type { KubeObject } from '../cluster/types.ts';
import type { SimHooks } from '../hooks.ts';
import type { OsmLayout } from '../mesh/osm/constants.ts';

export const flavorNames = ['kind', 'aks'] as const;
export type FlavorName = (typeof flavorNames)[number];

export function isFlavorName(name: string): name is FlavorName {
  return (flavorNames as readonly string[]).includes(name);
}

/** A Deployment the simulator waits for before it reports ready. */
export interface AwaitedWorkload {
  namespace: string;
  name: string;
}

/** A namespaced object by name. */
export interface ServiceRef {
  namespace: string;
  name: string;
}

/** Whether `service` is the Service `ref` names (false without a ref). */
export function isServiceRef(service: KubeObject, ref: ServiceRef | undefined): boolean {
  return ref !== undefined && service.metadata.namespace === ref.namespace && service.metadata.name === ref.name;
}

export interface Flavor {
  name: FlavorName;
  layout: OsmLayout;
  /** Nodes, in registration order. */
  nodes(hooks: SimHooks): KubeObject[];
  /**
   * Everything else, in apply order: cluster-scoped objects and namespaces first, then CRDs, then
   * objects whose kinds the CRDs define, then workloads.
   */
  objects(hooks: SimHooks): KubeObject[];
  /** In-cluster Services by role, for whatever must find them without knowing the flavor (faults). */
  services: {
    /** The ingress controller's Service (the usual IngressBackend `Service` source). */
    ingressController?: ServiceRef;
    /** The in-cluster Prometheus that scrapes the mesh. */
    prometheus?: ServiceRef;
  };
  /** Workloads whose pods must be Running before the simulator reports ready. */
  awaited(hooks: SimHooks): AwaitedWorkload[];
}
