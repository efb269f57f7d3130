/**
 * `mesh-conformance check` and pre-flight as a library, over one registry of categories (readiness-registry.ts):
 * the API first (when it fails nothing else can run), then the mesh profile's categories, the ingress profile's,
 * and the core's. `checkReadiness` runs every checker; `runPreflight` runs only the fatal ones. Every request is a
 * GET or a Prometheus/Log Analytics query, except SelfSubjectAccessReviews, which the API server does not store.
 */
import type { MetricsConfig } from '../config/resolve-config.ts';
import type { Target } from '../config/targets.ts';
import type { IngressProfile } from '../ingress/ingress-profile.ts';
import type { KubeClient } from '../k8s/kube-client.ts';
import { meshProfiles } from '../mesh/index.ts';
import type { MeshProfile } from '../mesh/mesh-profile.ts';
import { apiAccess, coreCategories } from './core-categories.ts';
import type { ReadinessCategory, ReadinessContext } from './readiness-registry.ts';
import { runCategories } from './readiness-registry.ts';
import type { CategoryResult, ReadinessReport } from './readiness-result.ts';
import { countStatuses, fail, ok, worst } from './readiness-result.ts';

/** What a readiness run needs: the profiles of the target, where metrics come from, the per-call budget. */
export interface ReadinessOptions {
  target: Target;
  mesh: MeshProfile;
  /** Undefined with the ingress profile `none`. */
  ingress: IngressProfile | undefined;
  metrics: MetricsConfig;
  /**
   * The cluster-wide changes the run may make (`clusterChangeNames`): pre-flight asks for the permissions of each
   * of them, and of none other.
   */
  clusterChanges: readonly string[];
  /** Budget of each API call and of each probe (timeouts.apply). */
  budgetMs: number;
}

/**
 * Every category after the API's, in report order: the mesh's, the ingress's, the core's, and what other meshes left
 * behind (a migration's leftovers: webhooks that still block admission, labels, CRDs).
 */
export function readinessCategories(o: ReadinessOptions): ReadinessCategory[] {
  return [
    ...o.mesh.readiness(), ...(o.ingress?.readiness() ?? []), ...coreCategories({ clusterChanges: o.clusterChanges }),
    ...meshProfiles.filter((f) => f.name !== o.mesh.name).map((f) => f.leftovers()),
  ];
}

/** The API check, then the categories; `fatalOnly` for pre-flight. */
async function run(client: KubeClient, o: ReadinessOptions, fatalOnly: boolean): Promise<{ ran: boolean; serverVersion: string | undefined; categories: CategoryResult[] }> {
  const api = await apiAccess(client, o.target, o.budgetMs);
  if ('problem' in api) {
    const line = fail('api/access', api.problem.message, api.problem.hint);
    return { ran: false, serverVersion: undefined, categories: [{ id: 'api', title: 'Kubernetes API', lines: [api.problem.unavailable ? { ...line, unavailable: true } : line] }] };
  }
  const ctx: ReadinessContext = { client, target: o.target, mesh: o.mesh, ingress: o.ingress, metrics: o.metrics, budgetMs: o.budgetMs, serverVersion: api.version };
  const apiLines = [ok('api/access', `API server ${client.server} reachable, credentials accepted`), ok('api/version', `Kubernetes ${api.version}`)];
  return { ran: true, serverVersion: api.version, categories: [{ id: 'api', title: 'Kubernetes API', lines: apiLines }, ...await runCategories(readinessCategories(o), ctx, { fatalOnly })] };
}

/** The whole report (`mesh-conformance check`). When the API cannot be used, the report has that one line and `ran: false`. */
export async function checkReadiness(client: KubeClient, o: ReadinessOptions): Promise<ReadinessReport> {
  const { ran, categories } = await run(client, o, false);
  const status = worst(categories.flatMap((c) => c.lines));
  return {
    kind: 'MeshConformanceReadiness', version: 1, target: o.target, context: client.context, server: client.server,
    mesh: { profile: o.mesh.name, title: o.mesh.title, namespace: o.mesh.settings.namespace, description: o.mesh.describe() }, ingress: o.ingress?.name ?? 'none',
    status, ready: ran && status !== 'fail', ran, summary: countStatuses(categories), categories,
  };
}

/** One thing that stops a run: the category it belongs to, what is wrong, what to do. */
export interface PreflightProblem {
  area: string;
  message: string;
  hint: string;
  /** The cluster stayed unavailable (429, 5xx, resets through every retry): not something the user must change. */
  unavailable?: true;
}

/** What pre-flight found: problems stop the run (exit 2); `passed` says what was verified. */
export interface PreflightReport {
  context: string;
  server: string;
  serverVersion: string | undefined;
  passed: string[];
  problems: PreflightProblem[];
}

/** The fatal checkers only, before a run writes anything. Never writes (SelfSubjectAccessReviews are not stored). */
export async function runPreflight(client: KubeClient, o: ReadinessOptions): Promise<PreflightReport> {
  const { serverVersion, categories } = await run(client, o, true);
  const report: PreflightReport = { context: client.context, server: client.server, serverVersion, passed: [], problems: [] };
  for (const c of categories) {
    for (const l of c.lines) {
      if (l.status === 'fail') report.problems.push({ area: c.id, message: l.message, hint: l.hint ?? '', ...(l.unavailable ? { unavailable: true as const } : {}) });
      else if (l.status === 'ok') report.passed.push(l.message);
    }
  }
  return report;
}

/**
 * The report as the CLI prints it: one header line naming the context and server, then one line per problem
 * with its hint (no problems: one line saying how much passed).
 */
export function formatPreflight(report: PreflightReport): string {
  const where = `context ${report.context}, server ${report.server}${report.serverVersion ? `, Kubernetes ${report.serverVersion}` : ''}`;
  if (!report.problems.length) return `pre-flight passed (${where}): ${report.passed.length} checks`;
  const n = report.problems.length;
  return [
    `pre-flight failed (${where}): ${n} problem${n === 1 ? '' : 's'}, nothing was written to the cluster`,
    ...report.problems.map((p) => `  - [${p.area}] ${p.message}. Hint: ${p.hint}`),
  ].join('\n');
}
