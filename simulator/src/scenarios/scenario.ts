/**
 * A scenario: a ready-made situation on top of a flavor (`--scenario NAME`), such as a cluster running an application
 * in the mesh, to try a procedure on by hand. It may set the cluster's Kubernetes version, add objects and components
 * to the flavor's (installed and started with them), and install its own objects once the flavor's control plane is
 * ready (so their pods meet the mesh's admission webhooks), then the simulator waits for its workloads too.
 */
import type { KubeObject, ObjectStore } from '../cluster/types.ts';
import type { SimComponent } from '../component.ts';
import type { AwaitedWorkload, Flavor } from '../flavors/flavor.ts';
import type { FlavorName } from '../flavors/names.ts';

export interface Scenario {
  name: string;
  /** One line for `--list-scenarios` and errors. */
  description: string;
  /** The registered flavors it applies to. */
  flavors: readonly FlavorName[];
  /** The Kubernetes version the cluster reports instead of the flavor's (API server and kubelets). */
  kubernetesVersion?: string;
  /** Objects installed with the flavor's (CRDs, cluster settings), before its control plane starts. */
  clusterObjects?(): KubeObject[];
  /** Components started after the flavor's. */
  components?: readonly SimComponent[];
  /** Installs the scenario's objects once the flavor's workloads run (creates, and changes to the flavor's objects). */
  install(store: ObjectStore): Promise<void>;
  /** The scenario's Deployments the simulator waits for before it reports ready. */
  awaited(): AwaitedWorkload[];
}

/** The flavor as the scenario changes it: its Kubernetes version, its extra cluster objects and components. */
export function withScenario(flavor: Flavor, scenario: Scenario | undefined): Flavor {
  if (!scenario) return flavor;
  const version = scenario.kubernetesVersion;
  return {
    ...flavor,
    ...(version ? { kubernetesVersion: version } : {}),
    nodes: (hooks) => flavor.nodes(hooks).map((node) => (version ? withKubeletVersion(node, version) : node)),
    objects: (hooks) => [...flavor.objects(hooks), ...(scenario.clusterObjects?.() ?? [])],
    components: [...flavor.components, ...(scenario.components ?? [])],
  };
}

function withKubeletVersion(node: KubeObject, version: string): KubeObject {
  const status = (node['status'] ?? {}) as Record<string, unknown>;
  const nodeInfo = (status['nodeInfo'] ?? {}) as Record<string, unknown>;
  return { ...node, status: { ...status, nodeInfo: { ...nodeInfo, kubeletVersion: version, kubeProxyVersion: version } } };
}
