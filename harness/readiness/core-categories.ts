/**
 * The readiness categories every mesh shares: the metrics backend the check would read, pods without a sidecar in
 * namespaces where injection is on (the mesh profile says which those are), namespaces left by earlier runs, and the
 * permissions a run needs. The API category is special: it runs first, and when it fails nothing else can run.
 */
import type { V1Namespace, V1Pod } from '@kubernetes/client-node';
import type { ClusterChange } from '../config/config-schema.ts';
import type { MetricsConfig } from '../config/resolve-config.ts';
import type { IngressProfile } from '../ingress/ingress-profile.ts';
import type { KubeClient } from '../k8s/kube-client.ts';
import { resourceTypes } from '../k8s/resources.ts';
import { runLabelKeys } from '../k8s/run-labels.ts';
import type { MeshProfile } from '../mesh/mesh-profile.ts';
import { LogAnalyticsSource } from '../metrics/log-analytics-source.ts';
import { daprCategory } from '../dapr/dapr-readiness.ts';
import { flaggerCategory } from '../progressive-delivery/flagger-readiness.ts';
import { grafanaLines } from '../metrics/grafana-datasource.ts';
import { connectPrometheus, prometheusChoiceOf } from '../metrics/metrics-source.ts';
import { errorText } from '../text.ts';
import type { AccessAlternatives, AccessRequirement } from './access-review.ts';
import { canaryType } from '../progressive-delivery/flagger-canary.ts';
import { checkAccess, coreRequirements, placeholderRunNamespace, writeRequirement } from './access-review.ts';
import type { ApiProblem } from './api-access.ts';
import { classifyApiAccess, probeWithRetries } from './api-access.ts';
import type { ReadinessCategory, ReadinessContext } from './readiness-registry.ts';
import type { ReadinessLine } from './readiness-result.ts';
import { fail, ok, warn } from './readiness-result.ts';

/** Where the metrics check will read from, which decides the permissions it needs. */
export type MetricsAccess = 'in-cluster-prometheus' | 'log-analytics' | 'external';

export function metricsAccess(cfg: MetricsConfig): MetricsAccess {
  if (cfg.prometheusUrl) return 'external';
  return cfg.logAnalytics ? 'log-analytics' : 'in-cluster-prometheus';
}

/**
 * Everything a run does to the cluster, as permissions: the core's, the mesh's and the ingress's writes, and the way
 * to the metrics. The same list pre-flight asks for and docs/preflight.md's ClusterRole grants.
 */
export function runRequirements(o: { mesh: MeshProfile; ingress: IngressProfile | undefined; metrics: MetricsConfig; clusterChanges: readonly string[] }): (AccessRequirement | AccessAlternatives)[] {
  const reqs: (AccessRequirement | AccessAlternatives)[] = [...coreRequirements()];
  for (const t of o.ingress?.writes ?? []) reqs.push(writeRequirement(t, `route the ingress to httpbin (${o.ingress?.title ?? ''})`));
  reqs.push(...(o.ingress?.access('') ?? []), ...o.mesh.access(''));
  if (o.mesh.workloadCertificates) {
    reqs.push({ verbs: ['create'], group: '', resource: 'pods', subresource: 'portforward', namespace: placeholderRunNamespace, why: 'read the httpbin sidecar\'s certificate from its Envoy admin (extended check workload-identity)' });
    reqs.push(...o.mesh.workloadCertificates.reads);
  }
  if (o.mesh.flagger) {
    const routing = o.mesh.flagger.canaryRouting.type;
    reqs.push(writeRequirement(canaryType, 'create the Canary Flagger initialises for httpbin (extended check canary)'));
    reqs.push({ verbs: ['get'], group: routing.apiVersion.includes('/') ? routing.apiVersion.slice(0, routing.apiVersion.indexOf('/')) : '', resource: routing.plural, namespace: placeholderRunNamespace, why: `read the routing object Flagger writes (${routing.kind}; extended check canary)` });
  }
  const prom = o.mesh.metrics.prometheus;
  const access = metricsAccess(o.metrics);
  if (access === 'in-cluster-prometheus') {
    reqs.push({
      why: 'read sidecar metrics from the mesh\'s Prometheus',
      anyOf: [
        { verbs: ['get'], group: '', resource: 'services', subresource: 'proxy', namespace: prom.namespace, why: 'the service proxy' },
        { verbs: ['create'], group: '', resource: 'pods', subresource: 'portforward', namespace: prom.namespace, why: 'a port-forward' },
      ],
    });
  } else if (access === 'log-analytics' && o.clusterChanges.includes('metrics-collection' satisfies ClusterChange) && o.mesh.metrics.collection) {
    const obj = o.mesh.metrics.collection.object;
    reqs.push({ verbs: ['get', 'create', 'patch', 'delete'], group: '', resource: 'configmaps', namespace: obj.namespace, why: `merge this run's namespace into ${obj.name} and restore it` });
  }
  // Each mesh change the run may make, by its name: the permission it needs to make and restore it.
  for (const change of [o.mesh.externalAuthorization, o.mesh.ingressMtls]) {
    if (change && o.clusterChanges.includes(change.clusterChange)) reqs.push(change.changeAccess);
  }
  return reqs;
}

/** `GET /version` and an authenticated read: the server version, or why the API cannot be used. */
export async function apiAccess(client: KubeClient, target: string, budgetMs: number): Promise<{ problem: ApiProblem } | { version: string }> {
  // Retried as the run's calls are: a 503 or a reset is a blip, not a server that "is not Kubernetes".
  const version = await probeWithRetries(client.kubeConfig, '/version', budgetMs);
  const authed = version.kind === 'response' && version.status === 200 ? await probeWithRetries(client.kubeConfig, '/api/v1/namespaces/default', budgetMs) : undefined;
  return classifyApiAccess(version, authed, { server: client.server, proxy: client.proxy, target, timeoutMs: budgetMs });
}

/** Pods whose envoy metrics the agent should have stored by now: Running with the sidecar and the metrics annotations for longer than the metrics budget. */
function podsDueInWorkspace(pods: V1Pod[], ctx: ReadinessContext, now: number): V1Pod[] {
  const annotations = Object.entries(ctx.mesh.metrics.podAnnotations);
  return pods.filter((p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp && ctx.mesh.sidecar.present(p)
    && annotations.every(([k, v]) => p.metadata?.annotations?.[k] === v)
    && now - Date.parse(String(p.status?.startTime ?? '')) > ctx.metrics.timeoutMs);
}

/**
 * Whether Container insights stores the mesh's metrics at all (issue 14 §3): a namespace listed for collection whose
 * pods have run with the sidecar for longer than the metrics budget must have InsightsMetrics rows. None for any of
 * them means the InsightsMetrics stream is not collected (the "Logs and Events" preset, the default of
 * `az aks enable-addons --addons monitoring` without settings, leaves it out), and the metrics check can never pass.
 * Without such pods there is nothing to compare yet (a run adds its own namespace): the line says so and passes.
 * Fatal, so pre-flight refuses a run whose metrics check could never pass.
 */
async function insightsRows(ctx: ReadinessContext): Promise<ReadinessLine[]> {
  const la = ctx.metrics.logAnalytics;
  const mapping = ctx.mesh.metrics.logAnalytics;
  if (!la || ctx.metrics.prometheusUrl || !mapping) return [];
  const source = await LogAnalyticsSource.connect(la, mapping);
  try {
    return [await insightsRowsLine(ctx, source)];
  } catch (err) {
    // Reachability is the metrics line's verdict (not fatal); this line judges only rows it could read.
    return [warn('metrics/log-analytics-rows', `could not compare: ${errorText(err)}`, 'see the line metrics/log-analytics')];
  } finally {
    await source.close();
  }
}

async function insightsRowsLine(ctx: ReadinessContext, source: LogAnalyticsSource): Promise<ReadinessLine> {
  const collection = ctx.mesh.metrics.collection;
  const id = 'metrics/log-analytics-rows';
  if (!collection) return ok(id, `the ${ctx.mesh.title} profile names no collection object: not compared`);
  const listed = (await collection.listed(ctx.client, ctx.budgetMs)).slice(0, 5);
  const now = Date.now();
  const due: { namespace: string; pods: number }[] = [];
  for (const namespace of listed) {
    const pods = podsDueInWorkspace((await ctx.client.list<V1Pod>(resourceTypes.pod, { namespace }, { budgetMs: ctx.budgetMs })).items, ctx, now);
    if (pods.length) due.push({ namespace, pods: pods.length });
  }
  const where = `${collection.object.namespace}/${collection.object.name}`;
  const budget = `${Math.round(ctx.metrics.timeoutMs / 1000)} s`;
  if (!due.length) {
    return ok(id, `no namespace listed in ${where} (${listed.join(', ') || 'none'}) has pods with the ${ctx.mesh.sidecar.containerName} sidecar and metrics on for longer than the metrics budget (${budget}): nothing to compare yet`);
  }
  let rows = 0;
  for (const d of due.slice(0, 3)) rows += (await source.rows(d.namespace, { timeoutMs: ctx.budgetMs })).length;
  const what = due.slice(0, 3).map((d) => `${d.namespace} (${d.pods} pod${d.pods === 1 ? '' : 's'})`).join(', ');
  if (rows > 0) return ok(id, `${rows} recent InsightsMetrics rows for ${what}: Container insights stores the mesh's metrics`);
  return fail(id, `no recent InsightsMetrics rows for ${what}, listed in ${where} and running with the sidecar for longer than the metrics budget (${budget}): Container insights is not storing the InsightsMetrics stream, so the metrics check cannot pass`,
    'the "Logs and Events" preset (the default without --data-collection-settings) leaves InsightsMetrics out: enable the stream Microsoft-InsightsMetrics (`az aks enable-addons --addons monitoring --data-collection-settings FILE`, as `node scripts/aks-up.mjs` does), then wait for the agent\'s next scrapes');
}

/** Whether the source the metrics check would use answers: a Prometheus URL, a Log Analytics workspace, or the mesh's Prometheus. */
async function metricsBackend(ctx: ReadinessContext): Promise<ReadinessLine[]> {
  const m = ctx.mesh.metrics;
  const cfg = ctx.metrics;
  if (cfg.logAnalytics && !cfg.prometheusUrl) {
    const mapping = m.logAnalytics;
    if (!mapping) return [fail('metrics/log-analytics', `the ${ctx.mesh.title} profile has no Container insights mapping`, 'read metrics from a Prometheus instead (--prometheus-url)')];
    const source = await LogAnalyticsSource.connect(cfg.logAnalytics, mapping);
    try {
      const rows = await source.rows(ctx.mesh.settings.namespace, { timeoutMs: ctx.budgetMs });
      return [ok('metrics/log-analytics', `Azure Monitor reachable: ${source.description} answered (${rows.length} InsightsMetrics rows for ${ctx.mesh.settings.namespace})`)];
    } catch (err) {
      return [fail('metrics/log-analytics', `Azure Monitor unreachable: ${source.description}: ${errorText(err)}`,
        'check the workspace id and the credentials (`az login`, or MESH_CONFORMANCE_AZURE_TOKEN); the metrics check reads InsightsMetrics from it')];
    } finally {
      await source.close();
    }
  }
  if (!cfg.prometheusUrl) {
    const svc = await ctx.client.read({ ...resourceTypes.service, namespace: m.prometheus.namespace, name: m.prometheus.service }, { budgetMs: ctx.budgetMs });
    if (!svc) {
      return [fail('metrics/prometheus', `no Prometheus to read metrics from: Service ${m.prometheus.namespace}/${m.prometheus.service} not found and no metrics source configured`,
        ctx.target === 'aks'
          ? 'point the check at Azure Monitor (--log-analytics-workspace ID) or at a Prometheus (--prometheus-url URL)'
          : `deploy the mesh's Prometheus${m.prometheus.installHint ? ` (${m.prometheus.installHint})` : ''} or pass --prometheus-url URL`)];
    }
  }
  const choice = prometheusChoiceOf(cfg, ctx.client.kubeConfig);
  try {
    const source = await connectPrometheus(choice, m, { timeoutMs: ctx.budgetMs });
    await source.close();
    return [ok('metrics/prometheus', `Prometheus reachable: ${source.description}`)];
  } catch (err) {
    return [fail('metrics/prometheus', errorText(err), cfg.prometheusUrl ? 'check the URL and MESH_CONFORMANCE_PROMETHEUS_TOKEN' : `check \`kubectl -n ${m.prometheus.namespace} get pods -l ${m.prometheus.podSelector}\``)];
  }
}

/** For every namespace where the mesh injects, the running pods without the sidecar (started before onboarding, or while the injector was down). */
async function podsWithoutSidecar(ctx: ReadinessContext): Promise<ReadinessLine[]> {
  const mesh = ctx.mesh;
  const all = (await ctx.client.list<V1Namespace>(resourceTypes.namespace, {}, { budgetMs: ctx.budgetMs })).items;
  const injected = all.filter((ns) => !ns.metadata?.labels?.[runLabelKeys.runId] && mesh.onboarding.injectionEnabled(ns)).map((ns) => ns.metadata?.name ?? '?');
  if (!injected.length) return [ok('sidecars/none', 'no namespace with sidecar injection enabled: no pods to look at')];
  const sidecar = mesh.sidecar.containerName;
  const lines: ReadinessLine[] = [];
  for (const ns of injected) {
    const pods = (await ctx.client.list<V1Pod>(resourceTypes.pod, { namespace: ns }, { budgetMs: ctx.budgetMs })).items.filter((p) =>
      !p.metadata?.deletionTimestamp && !p.spec?.hostNetwork && !['Succeeded', 'Failed'].includes(p.status?.phase ?? '') && !mesh.sidecar.optedOut(p));
    const missing = pods.filter((p) => !mesh.sidecar.present(p)).map((p) => p.metadata?.name ?? '?');
    if (!pods.length) lines.push(ok(`sidecars/${ns}`, `${ns}: no pods`));
    else if (!missing.length) lines.push(ok(`sidecars/${ns}`, `${ns}: all ${pods.length} pod${pods.length === 1 ? ' has' : 's have'} the ${sidecar} sidecar`));
    else {
      const shown = missing.slice(0, 5).join(', ') + (missing.length > 5 ? `, … (${missing.length - 5} more)` : '');
      lines.push(warn(`sidecars/${ns}`, `${ns}: ${missing.length} of ${pods.length} pod${pods.length === 1 ? '' : 's'} ${missing.length === 1 ? 'has' : 'have'} no ${sidecar} sidecar: ${shown}`,
        `pods started before the namespace was onboarded (or while the injector was down) keep running without it: \`kubectl -n ${ns} rollout restart deployment\``));
    }
  }
  return lines;
}

/** Namespaces left by earlier runs (a live run's are fine; `cleanup` removes dead ones). */
async function leftovers(ctx: ReadinessContext): Promise<ReadinessLine[]> {
  const all = (await ctx.client.list<V1Namespace>(resourceTypes.namespace, { labelSelector: runLabelKeys.runId }, { budgetMs: ctx.budgetMs })).items;
  if (!all.length) return [ok('leftovers/none', 'no namespace left by earlier runs')];
  return all.map((ns) => {
    const name = ns.metadata?.name ?? '?';
    const labels = ns.metadata?.labels ?? {};
    return warn(`leftovers/${name}`, `${name}: left by mesh-conformance run ${labels[runLabelKeys.runId] ?? '?'}${labels[runLabelKeys.createdAt] ? ` (created ${labels[runLabelKeys.createdAt]})` : ''}`,
      `\`mesh-conformance cleanup\` deletes leftovers of dead runs (or \`kubectl delete namespace ${name}\`)`);
  });
}

/** The core categories, in report order (after the mesh's and the ingress's). */
export function coreCategories(opts: { clusterChanges: readonly string[] }): ReadinessCategory[] {
  return [
    {
      id: 'metrics', title: 'Metrics backend', checkers: [
        { id: 'metrics', description: 'the metrics backend', fatal: false, check: metricsBackend },
        { id: 'metrics-rows', description: 'recent InsightsMetrics rows of the mesh (Log Analytics)', fatal: true, check: insightsRows },
        { id: 'grafana', description: 'the mesh\'s Grafana and its Prometheus data source', fatal: false, check: (ctx) => grafanaLines(ctx.client, ctx.mesh.metrics.grafana, ctx.budgetMs) },
      ],
    },
    flaggerCategory(),
    daprCategory(),
    { id: 'sidecars', title: 'Pods without a sidecar', checkers: [{ id: 'sidecars', description: 'pods without a sidecar', fatal: false, check: podsWithoutSidecar }] },
    { id: 'leftovers', title: 'Leftovers of earlier runs', checkers: [{ id: 'leftovers', description: 'namespaces left by earlier runs', fatal: false, check: leftovers }] },
    {
      id: 'permissions', title: 'Permissions for a run', checkers: [{
        id: 'permissions', description: 'permissions (SelfSubjectAccessReview)', fatal: true,
        check: (ctx) => checkAccess(ctx.client, runRequirements({ mesh: ctx.mesh, ingress: ctx.ingress, metrics: ctx.metrics, clusterChanges: opts.clusterChanges }), ctx.budgetMs),
      }],
    },
  ];
}
