/**
 * `run` inside a pod: decides whether the run is in-cluster (`--in-cluster`, or detected), and turns the pod's
 * service account into the kubeconfig the rest of the harness reads (harness/config/in-cluster.ts).
 */
import type { ConfigLayer, ConformanceConfig } from '../harness/config/resolve-config.ts';
import type { InClusterEnvironment } from '../harness/config/in-cluster.ts';
import { existsSync } from 'node:fs';
import { clientNode } from '../harness/k8s/client-node.ts';
import { inClusterContext, inClusterTarget, lookupInCluster, renderInClusterKubeconfig, writeInClusterKubeconfig } from '../harness/config/in-cluster.ts';
import { timeouts } from '../harness/timeouts.ts';
import { runPaths } from '../harness/config/run-config.ts';
import { KubeClient } from '../harness/k8s/kube-client.ts';
import { readProvider } from '../harness/report/provider.ts';
import { BadInputError } from './exit-codes.ts';
import { simulatorMain } from './paths.ts';
import type { RunInvocation } from './program.ts';
import { userLayers } from './run-command.ts';

/** The decision, with the lowest configuration layer it implies (the target, unless the user gave one). */
export interface InClusterDecision {
  env: InClusterEnvironment;
  /** Whether the user chose the target (else it is inferred: from the API server's name, then the nodes). */
  targetGiven: boolean;
}

const truthy = (v: unknown): boolean => v === true || (typeof v === 'string' && ['1', 'true', 'yes', 'on'].includes(v.trim().toLowerCase()));

/**
 * In-cluster when `--in-cluster` (or `MESH_CONFORMANCE_IN_CLUSTER`, or `inCluster:` in the config file) says so, or
 * when nothing names a kubeconfig (flag, variable, config file, `$KUBECONFIG`) or a context, the pod's in-cluster
 * configuration is there, and the target is a real one (`kind`, `aks`) or, in the image (no simulated cluster to
 * start), not given. Asked for but absent, or combined with a kubeconfig, a context or the local target, is bad input.
 */
export function decideInCluster(inv: RunInvocation, env: NodeJS.ProcessEnv, fileLayer: ConfigLayer | undefined): InClusterDecision | undefined {
  const layers = userLayers(inv, env, fileLayer);
  const value = (key: 'inCluster' | 'kubeconfig' | 'context' | 'target'): unknown => layers.reduce<unknown>((v, l) => l.values[key] ?? v, undefined);
  const forced = value('inCluster') !== undefined ? truthy(value('inCluster')) : undefined;
  if (forced === false) return undefined;
  const target = value('target');
  if (forced === undefined) {
    if (value('kubeconfig') !== undefined || !!env.KUBECONFIG?.trim() || target === 'local' || value('context') !== undefined) return undefined;
    // In a checkout, no target means the embedded simulated cluster (`npm run conformance` in a CI pod stays local);
    // the image has no simulator, so there it means the cluster the pod runs in.
    if (target === undefined && existsSync(simulatorMain)) return undefined;
  }
  const found = lookupInCluster(env);
  if (!found.ok) {
    if (forced) throw new BadInputError(`--in-cluster: ${found.reason}; run it inside a pod, or pass --kubeconfig FILE instead`);
    return undefined;
  }
  if (target === 'local') throw new BadInputError('--in-cluster runs against the cluster the pod is in: drop --target local (or pass --target kind|aks for the profile defaults)');
  if (value('kubeconfig') !== undefined) throw new BadInputError('--in-cluster and --kubeconfig both say how to reach the cluster: pass one of them');
  if (value('context') !== undefined) throw new BadInputError('--in-cluster uses the pod\'s own cluster and has no contexts: drop --context');
  return { env: found.env, targetGiven: target !== undefined };
}

/** A client of the pod's cluster without a kubeconfig file (for what is read before the run's folder exists). */
function inClusterClient(e: InClusterEnvironment): KubeClient {
  const kc = new (clientNode().KubeConfig)();
  kc.loadFromString(renderInClusterKubeconfig(e));
  return new KubeClient(kc);
}

/**
 * The lowest configuration layer of an in-cluster run: `inCluster`, and the target when the user gave none: `aks`
 * when the API server's name or the nodes' provider say AKS, else `kind` (a generic cluster's profile defaults).
 */
export async function inClusterLayer(decision: InClusterDecision, budgetMs: number = timeouts.apply): Promise<ConfigLayer> {
  let target: 'aks' | 'kind' | undefined;
  if (!decision.targetGiven) {
    target = inClusterTarget(decision.env);
    if (target === 'kind' && (await readProvider(inClusterClient(decision.env), budgetMs)) === 'aks') target = 'aks';
  }
  return { nameOf: (key) => `in-cluster mode (${key})`, values: { inCluster: true, ...(target ? { target } : {}) } };
}

/** Points a resolved configuration at the pod's cluster: the in-cluster kubeconfig, written into the run's folder. */
export function adoptInCluster(config: ConformanceConfig, decision: InClusterDecision): void {
  config.kubeconfig = writeInClusterKubeconfig(runPaths(config.reportDir, config.runId ?? 'in-cluster').inClusterKubeconfig, decision.env);
  config.context = inClusterContext;
  config.inCluster = true;
}
