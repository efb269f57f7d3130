/**
 * A cluster flavor: everything that differs between one kind of cluster and another (the kind cluster of the OSM
 * docs, an AKS cluster with the OSM add-on, ...): its nodes and objects, the workloads to wait for, and the
 * components that run beside the core cluster. The simulator picks one by name (index.ts) at start; bootstrap.ts
 * installs its objects.
 */
import type { KubeObject } from '../cluster/types.ts';
import type { SimComponent } from '../component.ts';
import type { SimHooks } from '../hooks.ts';
import type { ClusterShape, MeshName } from './names.ts';

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

export interface Flavor<N extends string = string> {
  /** The registered name (names.ts): `kind`, `aks`, `istio-kind`, `istio-aks`. */
  name: N;
  /** The mesh it runs (`--mesh`). */
  mesh: MeshName;
  /** The cluster it looks like (`--flavor`). */
  shape: ClusterShape;
  /**
   * The Kubernetes version the cluster reports: the API server's `/version` and every node's kubeletVersion (one value,
   * as on a freshly created cluster); default defaultKubernetesVersion (nodes.ts).
   */
  kubernetesVersion?: string;
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
  /**
   * What runs beside the core cluster, in start order (component.ts): the mesh control plane, an ingress data path
   * outside the cluster, monitoring. Listing a component here is all it takes to run it.
   */
  components: readonly SimComponent[];
  /**
   * Whether its mesh's real control plane can run in place of our emulation (component.ts MeshControlPlaneName), on
   * the upstream Kubernetes control plane only; absent: only the emulation.
   */
  realMeshControlPlane?: boolean;
}
