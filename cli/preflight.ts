import { accessSync, constants } from 'node:fs';
import type { ConformanceConfig } from '../harness/config/resolve-config.ts';
import { KubeClient } from '../harness/k8s/kube-client.ts';
import type { MetricsAccess } from '../harness/preflight/access-review.ts';
import { formatPreflight, runPreflight } from '../harness/preflight/preflight.ts';
import type { PreflightReport } from '../harness/preflight/preflight.ts';
import { BadInputError } from './exit-codes.ts';

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
    accessSync(file, constants.R_OK);
  } catch {
    throw new BadInputError(`cannot read kubeconfig ${file}: pass --kubeconfig FILE with a readable kubeconfig of the ${config.target} cluster`);
  }
  try {
    const client = KubeClient.connect({ kubeconfig: file, context: config.context });
    if (!client.context) throw new Error(`${file} has no current-context; pass --context NAME`);
    return client;
  } catch (err) {
    const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new BadInputError(`unusable kubeconfig ${file}: ${msg}; fix it or pass --kubeconfig FILE and --context NAME (see \`kubectl config get-contexts\`)`);
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

/** Where the metrics check will read from, which decides the permissions it needs. */
export function metricsAccessOf(config: ConformanceConfig): MetricsAccess {
  if (config.metrics.prometheusUrl) return 'external';
  return config.metrics.logAnalytics ? 'azure-monitor' : 'in-cluster-prometheus';
}

/**
 * Everything checked before a run on a real cluster writes anything: the explicit context on aks, the kubeconfig,
 * then the cluster (API access, OSM control plane, ingress controller, RBAC). Problems are a `PreflightError`
 * (exit 2); on success one line says what was verified.
 */
export async function preflightRealTarget(config: ConformanceConfig, out: { write: (s: string) => void } = process.stdout): Promise<PreflightReport> {
  requireExplicitContext(config);
  const client = preflightKubeconfig(config);
  const report = await runPreflight(client, {
    target: config.target, meshName: config.meshName, meshNamespace: config.meshNamespace, ingress: config.ingress,
    metrics: metricsAccessOf(config), budgetMs: config.timeouts.apply,
  });
  if (report.problems.length) throw new PreflightError(report);
  out.write(`mesh-conformance: ${formatPreflight(report)}\n`);
  return report;
}
