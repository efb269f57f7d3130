/**
 * A cluster flavor: everything that differs between the kind cluster of the OSM docs and an AKS cluster
 * with the OSM add-on. The simulator picks one at start; bootstrap.ts installs its objects.
 */
import type { KubeObject } from '../cluster/types.ts';
import type { FaultSet } from '../faults.ts';
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

export interface Flavor {
  name: FlavorName;
  layout: OsmLayout;
  /** Nodes, in registration order. */
  nodes(faults: FaultSet): KubeObject[];
  /**
   * Everything else, in apply order: cluster-scoped objects and namespaces first, then CRDs, then
   * objects whose kinds the CRDs define, then workloads.
   */
  objects(faults: FaultSet): KubeObject[];
  /** The in-cluster Service of the ingress controller (the usual IngressBackend `Service` source), if any. */
  ingressControllerService?: { namespace: string; name: string };
  /** Workloads whose pods must be Running before the simulator reports ready. */
  awaited(faults: FaultSet): AwaitedWorkload[];
}
