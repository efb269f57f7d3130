import type { ConformanceConfig } from '../harness/config/resolve-config.ts';
import { createIngressProfile } from '../harness/ingress/index.ts';
import { KubeClient } from '../harness/k8s/kube-client.ts';
import { KubeconfigError } from '../harness/k8s/kubeconfig.ts';
import { createMeshProfile } from '../harness/mesh/index.ts';
import type { PreflightReport, ReadinessOptions } from '../harness/readiness/readiness.ts';
import { formatPreflight, runPreflight } from '../harness/readiness/readiness.ts';
import { errorText } from '../harness/text.ts';
import { findRunNamespaces } from '../harness/cleanup/leftovers.ts';
import { BadInputError, InfrastructureError } from './exit-codes.ts';

/** Pre-flight found problems: printed as the report (a header line, then one line per problem with a hint); exit 2. */
export class PreflightError extends BadInputError {
  constructor(readonly report: PreflightReport) {
    super(formatPreflight(report));
  }
}

/**
 * Checks, before anything starts, that a real target's kubeconfig can be read and names the context:
 * these are the user's input, so a problem is exit 2 with what to do, not a failed check.
 */
export function preflightKubeconfig(config: ConformanceConfig): KubeClient {
  const file = config.kubeconfig;
  if (!file) throw new BadInputError(`target ${config.target} needs a kubeconfig: pass --kubeconfig FILE or set KUBECONFIG`);
  try {
    return KubeClient.connect({ kubeconfig: file, context: config.context, credentialBudgetMs: config.timeouts.apply });
  } catch (err) {
    if (err instanceof KubeconfigError && err.unreadable) {
      throw new BadInputError(`cannot read kubeconfig ${err.where}${err.reason ? ` (${err.reason})` : ''}: pass --kubeconfig FILE with a readable kubeconfig of the ${config.target} cluster`);
    }
    if (err instanceof KubeconfigError) throw new BadInputError(err.message);
    throw new BadInputError(`unusable kubeconfig ${file}: ${errorText(err)}; fix it or pass --kubeconfig FILE and --context NAME (see \`kubectl config get-contexts\`)`);
  }
}

/**
 * The aks target never falls back to the kubeconfig's current context: with several clusters in one kubeconfig,
 * a run must not land on whichever one was used last. (Any source counts: flag, env or config file.)
 */
export function requireExplicitContext(config: ConformanceConfig): void {
  if (config.target === 'aks' && !config.context) {
    throw new BadInputError('target aks runs only against a context named explicitly: pass --context NAME (see `kubectl config get-contexts`), set MESH_CONFORMANCE_CONTEXT, or put context: in mesh-conformance.config.yaml');
  }
}

/** The readiness registry's options for a resolved configuration: the profiles, the metrics source, the budget. */
export function readinessOptionsOf(config: ConformanceConfig): ReadinessOptions {
  return {
    target: config.target,
    mesh: createMeshProfile(config),
    ingress: createIngressProfile(config),
    metrics: config.metrics,
    clusterChanges: config.clusterChanges,
    budgetMs: config.timeouts.apply,
  };
}

/**
 * Everything checked before a run on a real cluster writes anything: the explicit context on aks, the kubeconfig,
 * then the fatal checkers of the readiness registry (API access, the mesh's control plane, the ingress controller,
 * RBAC). Problems are a `PreflightError` (exit 2); on success one line says what was verified.
 */
export async function preflightRealTarget(config: ConformanceConfig, out: { write: (s: string) => void } = process.stdout): Promise<PreflightReport> {
  requireExplicitContext(config);
  const client = preflightKubeconfig(config);
  const report = await runPreflight(client, readinessOptionsOf(config));
  // Only the cluster being unavailable (nothing the user could change): exit 3, the same report.
  if (report.problems.length && report.problems.every((p) => p.unavailable)) throw new InfrastructureError(formatPreflight(report));
  if (report.problems.length) throw new PreflightError(report);
  await refuseRunIdInUse(client, config);
  out.write(`mesh-conformance: ${formatPreflight(report)}\n`);
  return report;
}

/**
 * A run id given from outside (MESH_CONFORMANCE_RUN_ID) that namespaces in the cluster already carry belongs to
 * another run: this run's cleanup deletes by run id, so it would delete that run's namespaces. Refused, saying
 * whether that run is alive (its heartbeat) and what to do.
 */
export async function refuseRunIdInUse(client: KubeClient, config: ConformanceConfig): Promise<void> {
  if (!config.runId) return;
  const taken = await findRunNamespaces(client, { ttlMs: 0, budgetMs: config.timeouts.apply }).catch(() => []);
  const mine = taken.filter((n) => n.runId === config.runId);
  if (!mine.length) return;
  const live = mine.filter((n) => n.verdict === 'live');
  const names = mine.map((n) => n.name).join(', ');
  throw new BadInputError(live.length
    ? `run id ${config.runId} is in use by a live run (namespace ${names}, ${live[0]?.reason ?? 'heartbeat fresh'}): unset MESH_CONFORMANCE_RUN_ID, or give each run its own id`
    : `namespaces of an earlier run with id ${config.runId} are still in the cluster (${names}): remove them with \`mesh-conformance cleanup --ttl 0\`, or give this run another id (unset MESH_CONFORMANCE_RUN_ID)`);
}
