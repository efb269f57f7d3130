import type { Flavor } from '../config/targets.ts';
import type { KubeClient } from '../k8s/kube-client.ts';
import type { ReadinessCategory } from '../readiness/readiness-registry.ts';
import type { MeshInventory, MigrationPlan, PlanOptions, TranslationFault } from '../migrate/model.ts';
import type { MeshProfile, MeshSettings, SeenResponse } from './mesh-profile.ts';

/** What a cluster shows of a mesh's control plane: where it runs and, for revisioned meshes, which revisions. */
export interface MeshDetection {
  /** The namespaces its control plane runs in (empty: not installed). */
  namespaces: string[];
  /** Its revisions (empty for a mesh without revisions, or an unrevisioned install). */
  revisions: string[];
  /** In words, for messages: `<controller> in <namespace>`. */
  found: string;
}

/** What the evidence of a response says about the hop into the workload. */
export type MtlsEvidence = 'mtls' | 'plaintext' | 'unknown';

/**
 * A mesh's part in a migration from one mesh to another (harness/migrate/, `mesh-conformance migrate`): as the source,
 * reading what it enforces into the neutral inventory; as the target, writing the equivalent configuration.
 */
export interface MeshMigration {
  /** Reads this mesh's configuration (read-only), with the settings of the control plane (which may be gone). */
  readonly inventory?: (client: KubeClient, settings: { namespace: string; meshName: string }, budgetMs: number) => Promise<MeshInventory>;
  /** This mesh's equivalent of an inventory, one file per namespace; what has none is listed. */
  readonly plan?: (inventory: MeshInventory, options: PlanOptions) => MigrationPlan;
  /** The faults a plan can be made with on purpose (PlanOptions.translationFault). */
  readonly translationFaults?: readonly TranslationFault[];
  /** Whether an answer shows the request reached the workload over this mesh's mTLS (from what the app echoed). */
  readonly mtlsEvidence?: (res: Pick<SeenResponse, 'headers' | 'body'>) => MtlsEvidence;
}

/**
 * How a mesh profile is registered (harness/mesh/index.ts): its name, defaults per cluster flavor, how to find it in a
 * cluster, what it leaves behind when it is gone, and a constructor.
 */
export interface MeshProfileFactory {
  readonly name: string;
  readonly title: string;
  /** Defaults for a cluster flavor: where the control plane runs, the mesh name, the ingress profile the guide pairs with it. */
  defaults(flavor: Flavor): { namespace: string; meshName: string; ingress: string };
  /** How to install (or enable) it on a flavor, for messages when it is absent. */
  installHint(flavor: Flavor): string;
  /** Finds its control plane in the cluster (read-only). */
  detect(client: KubeClient, budgetMs: number): Promise<MeshDetection>;
  /**
   * What it leaves behind when another mesh replaced it (webhooks that still block admission, namespace labels,
   * CRDs): a readiness category `check` runs when this mesh is not the one checked.
   */
  leftovers(): ReadinessCategory;
  create(settings: MeshSettings): MeshProfile;
  /**
   * Where the offering's support window is known, its last day (`YYYY-MM-DD`) and a note: the report and the fleet
   * table show it. Undefined: not known (or open-ended).
   */
  support?(flavor: Flavor): { ends: string; note: string } | undefined;
  /** Its part in migrations between meshes (absent: it takes no part). */
  readonly migration?: MeshMigration;
}
