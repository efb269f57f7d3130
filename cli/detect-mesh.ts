import type { ConfigKey } from '../harness/config/config-schema.ts';
import type { ConfigLayer, ConformanceConfig } from '../harness/config/resolve-config.ts';
import type { KubeClient } from '../harness/k8s/kube-client.ts';
import type { MeshName } from '../harness/mesh/index.ts';
import { meshFactory, meshProfiles } from '../harness/mesh/index.ts';
import { apiAccess } from '../harness/readiness/core-categories.ts';
import { BadInputError, InfrastructureError } from './exit-codes.ts';
import { formatPreflight } from '../harness/readiness/readiness.ts';
import { PreflightError } from './preflight.ts';

/** The mesh settings read from the cluster, as the lowest-precedence configuration layer. */
export function detectedLayer(values: Partial<Record<ConfigKey, unknown>>): ConfigLayer {
  return { nameOf: (key) => `the cluster (detected ${key})`, values };
}

/**
 * Reads from the cluster what the user did not say: which mesh runs (when `mesh` was not given on a real cluster),
 * where its control plane is, and its revision. Exit 2, with what to pass, when it is ambiguous or absent:
 * both meshes present, neither present, several revisions. Read-only (list Deployments).
 */
export async function detectMesh(client: KubeClient, config: ConformanceConfig, given: (key: ConfigKey) => boolean): Promise<Partial<Record<ConfigKey, unknown>>> {
  const budgetMs = config.timeouts.apply;
  // Before anything is read, the API must answer: the same classified message pre-flight would give.
  const api = await apiAccess(client, config.target, budgetMs);
  if ('problem' in api) {
    const report = { context: client.context, server: client.server, serverVersion: undefined, passed: [], problems: [{ area: 'api' as const, ...api.problem }] };
    // A cluster that stays unavailable is infrastructure (exit 3), as in pre-flight; anything else is bad input.
    if (api.problem.unavailable) throw new InfrastructureError(formatPreflight(report));
    throw new PreflightError(report);
  }
  const values: Partial<Record<ConfigKey, unknown>> = {};
  let mesh: MeshName = config.mesh;
  let detection = undefined as Awaited<ReturnType<(typeof meshProfiles)[number]['detect']>> | undefined;
  if (!given('mesh') && config.target !== 'local') {
    const found = (await Promise.all(meshProfiles.map(async (f) => ({ f, d: await f.detect(client, budgetMs) })))).filter((x) => x.d.namespaces.length);
    if (!found.length) {
      const flavor = config.target === 'aks' ? 'aks' : 'kind';
      throw new BadInputError(`no service mesh found in the cluster (context ${client.context}; looked for ${meshProfiles.map((f) => f.title).join(' and ')}): ${meshProfiles.map((f) => `${f.name}: ${f.installHint(flavor)}`).join('; ')}`);
    }
    if (found.length > 1) {
      throw new BadInputError(`found more than one mesh in the cluster: ${found.map((x) => `${x.f.title} (${x.d.found})`).join(' and ')}; pass --mesh ${found.map((x) => x.f.name).join('|')} to choose the one to check`);
    }
    mesh = found[0]!.f.name;
    detection = found[0]!.d;
    values.mesh = mesh;
  }
  detection ??= await meshFactory(mesh).detect(client, budgetMs);
  if (!given('meshNamespace') && detection.namespaces.length === 1) values.meshNamespace = detection.namespaces[0];
  if (!given('meshRevision') && detection.revisions.length > 1) {
    throw new BadInputError(`the ${meshFactory(mesh).title} control plane runs several revisions (${detection.revisions.join(', ')}): pass --mesh-revision ${detection.revisions.join('|')} to choose the one to check`);
  }
  if (!given('meshRevision') && detection.revisions.length === 1) values.meshRevision = detection.revisions[0];
  return values;
}

/** Copies what depends on the mesh (its settings, the default ingress, the budgets) from a re-resolved configuration. */
export function adoptMeshSettings(config: ConformanceConfig, next: ConformanceConfig): void {
  config.mesh = next.mesh;
  config.meshName = next.meshName;
  config.meshNamespace = next.meshNamespace;
  config.meshRevision = next.meshRevision;
  config.ingress = next.ingress;
  config.timeouts = next.timeouts;
}
