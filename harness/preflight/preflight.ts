import type { IngressProfileName } from '../ingress/ingress-profile.ts';
import type { KubeClient } from '../k8s/kube-client.ts';
import type { MetricsAccess } from './access-review.ts';
import { checkAccess, suiteRequirements } from './access-review.ts';
import { classifyApiAccess, probe } from './api-access.ts';
import type { AreaResult } from './control-plane.ts';
import { checkIngressController, checkMeshControlPlane } from './control-plane.ts';
import type { PreflightArea, PreflightReport } from './preflight-result.ts';

export type { PreflightProblem, PreflightReport } from './preflight-result.ts';
export { formatPreflight } from './preflight-result.ts';

/** What pre-flight needs from the configuration. */
export interface PreflightOptions {
  target: string;
  meshName: string;
  meshNamespace: string;
  ingress: IngressProfileName;
  metrics: MetricsAccess;
  /** Budget of each API call (timeouts.apply). */
  budgetMs: number;
}

async function area(name: PreflightArea, what: string, fn: () => Promise<AreaResult>): Promise<AreaResult> {
  try {
    return await fn();
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    return { passed: [], problems: [{ area: name, message: `could not check ${what}: ${msg}`, hint: /→ 403/.test(msg) ? 'the user may not read it: ask a cluster admin for read access (docs/preflight.md)' : 'retry; if it persists, check the API server' }] };
  }
}

/**
 * Read-only checks that a real cluster can take a run, in order: the API server answers and accepts the
 * credentials (stops here otherwise), the OSM control plane, the ingress controller of the profile, and RBAC for
 * everything the suite does. Never writes (SelfSubjectAccessReviews are not stored). Reusable by a `check` command.
 */
export async function runPreflight(client: KubeClient, o: PreflightOptions): Promise<PreflightReport> {
  const report: PreflightReport = { context: client.context, server: client.server, serverVersion: undefined, passed: [], problems: [] };
  const version = await probe(client.kubeConfig, '/version', o.budgetMs);
  const authed = version.kind === 'response' && version.status === 200 ? await probe(client.kubeConfig, '/api/v1/namespaces/default', o.budgetMs) : undefined;
  const api = classifyApiAccess(version, authed, { server: client.server, target: o.target, timeoutMs: o.budgetMs });
  if ('problem' in api) {
    report.problems.push(api.problem);
    return report;
  }
  report.serverVersion = api.version;
  report.passed.push(`API server ${api.version} reachable and credentials accepted`);
  const e = { target: o.target, meshName: o.meshName, meshNamespace: o.meshNamespace, ingress: o.ingress, budgetMs: o.budgetMs };
  const results = [
    await area('control-plane', `the OSM control plane in ${o.meshNamespace}`, () => checkMeshControlPlane(client, e)),
    await area('ingress', `the ${o.ingress} ingress controller`, () => checkIngressController(client, e)),
    await area('rbac', 'permissions (SelfSubjectAccessReview)', () => checkAccess(client, suiteRequirements({ meshNamespace: o.meshNamespace, metrics: o.metrics }), o.budgetMs)),
  ];
  for (const r of results) {
    report.passed.push(...r.passed);
    report.problems.push(...r.problems);
  }
  return report;
}
