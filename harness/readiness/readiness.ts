/**
 * `mesh-conformance check` as a library: a read-only readiness report of a cluster for the conformance suite, in
 * the spirit of `linkerd check`. Every request is a GET (list, read, /version, a Prometheus or Log Analytics query)
 * except the SelfSubjectAccessReviews of the permissions category, which the API server answers without storing
 * anything. The API access, control-plane, ingress and permission checks reuse `harness/preflight/`.
 */
import type {
  KubernetesObject, V1CustomResourceDefinition, V1Deployment, V1Endpoints, V1MutatingWebhookConfiguration, V1Namespace, V1Pod,
  V1ValidatingWebhookConfiguration,
} from '@kubernetes/client-node';
import type { MetricsConfig } from '../config/resolve-config.ts';
import type { IngressProfile } from '../ingress/ingress-profile.ts';
import type { KubeClient } from '../k8s/kube-client.ts';
import { resourceTypes } from '../k8s/resources.ts';
import { runLabelKeys } from '../k8s/run-labels.ts';
import type { MeshProfile } from '../mesh/mesh-profile.ts';
import { osmKeys } from '../mesh/osm-profile.ts';
import { LogAnalyticsSource } from '../metrics/log-analytics-source.ts';
import { connectPrometheus } from '../metrics/metrics-source.ts';
import type { MetricsAccess } from '../preflight/access-review.ts';
import { checkAccess, suiteRequirements } from '../preflight/access-review.ts';
import { classifyApiAccess, probe } from '../preflight/api-access.ts';
import type { AreaResult } from '../preflight/control-plane.ts';
import { checkIngressController, deploymentState, meshConfigName, osmCrds, osmDeployments } from '../preflight/control-plane.ts';
import { meshVersionOf } from './cluster-facts.ts';
import type { ReadinessCategory, ReadinessLine, ReadinessReport } from './readiness-result.ts';
import { countStatuses, fail, ok, warn, worst } from './readiness-result.ts';

/** What the check needs to know: the profiles of the target, where metrics come from, the per-call budget. */
export interface ReadinessOptions {
  target: string;
  mesh: MeshProfile;
  /** Undefined with the ingress profile `none`. */
  ingress: IngressProfile | undefined;
  metrics: MetricsConfig;
  /** Budget of each API call and of each metrics probe (timeouts.apply). */
  budgetMs: number;
}

/** The lowest Kubernetes version the OSM 1.2 chart accepts (`kubeVersion: ">= 1.22.9-0"`, osm.md §7). */
export const minimumKubernetes = [1, 22, 9] as const;
/** The API versions the suite uses, per CRD. */
const crdVersions: Record<string, string> = { 'ingressbackends.policy.openservicemesh.io': 'v1alpha1', 'meshconfigs.config.openservicemesh.io': 'v1alpha2' };

const types = {
  crd: { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' },
  mutating: { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration' },
  validating: { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration' },
  endpoints: { apiVersion: 'v1', kind: 'Endpoints' },
  meshConfig: { apiVersion: 'config.openservicemesh.io/v1alpha2', kind: 'MeshConfig' },
} as const;

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';

/** Parses `v1.29.4+k3s1` into [1, 29, 4]. */
export function parseKubeVersion(v: string): [number, number, number] | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(v);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

function olderThan(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < Math.max(a.length, b.length); i += 1) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) < (b[i] ?? 0);
  }
  return false;
}

/** Runs one category; an unexpected error becomes one fail line saying what could not be checked. */
async function category(id: string, title: string, fn: () => Promise<ReadinessLine[]>): Promise<ReadinessCategory> {
  try {
    return { id, title, lines: await fn() };
  } catch (err) {
    const msg = errorText(err);
    const hint = /→ 403/.test(msg) ? 'the user may not read it: ask a cluster admin for read access (docs/preflight.md)' : 'retry; if it persists, check the API server';
    return { id, title, lines: [fail(`${id}/error`, `could not check ${title.toLowerCase()}: ${msg}`, hint)] };
  }
}

/** Preflight findings as lines: problems fail, each passed item is ok. */
function areaLines(prefix: string, r: AreaResult): ReadinessLine[] {
  return [
    ...r.passed.map((p, i) => ok(`${prefix}/${i}`, p)),
    ...r.problems.map((p, i) => fail(`${prefix}/problem-${i}`, p.message, p.hint)),
  ];
}

function installHint(o: ReadinessOptions): string {
  return o.target === 'aks'
    ? 'enable the OSM add-on: `az aks enable-addons --addons open-service-mesh -g <group> -n <cluster>`; the add-on runs in kube-system'
    : 'install OSM: `osm install --mesh-name osm --osm-namespace osm-system --set osm.deployPrometheus=true` (or `node scripts/kind-up.mjs`)';
}

/** osm-controller, osm-injector, osm-bootstrap: ready replicas, restarts of their pods, the version, the mesh name. */
async function controlPlane(client: KubeClient, o: ReadinessOptions): Promise<ReadinessLine[]> {
  const ns = o.mesh.meshNamespace;
  const opts = { budgetMs: o.budgetMs };
  const lines: ReadinessLine[] = [];
  let found = 0;
  for (const name of osmDeployments) {
    const d = await client.read<V1Deployment>({ ...resourceTypes.deployment, namespace: ns, name }, opts);
    if (!d) {
      lines.push(fail(`control-plane/${name}`, `Deployment ${ns}/${name} not found`, installHint(o)));
      continue;
    }
    found += 1;
    const state = deploymentState(d);
    const selector = Object.entries(d.spec?.selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
    const pods = selector ? (await client.list<V1Pod>(resourceTypes.pod, { namespace: ns, labelSelector: selector }, opts)).items : [];
    const statuses = pods.flatMap((p) => [...(p.status?.containerStatuses ?? []), ...(p.status?.initContainerStatuses ?? [])]);
    const restarts = statuses.reduce((n, c) => n + (c.restartCount ?? 0), 0);
    const last = statuses.map((c) => c.lastState?.terminated?.reason).find(Boolean);
    const scaledDown = d.spec?.replicas === 0 ? ' (scaled to 0 replicas)' : '';
    const text = `${name}: ${state.text}${scaledDown}, ${restarts ? `${restarts} restart${restarts === 1 ? '' : 's'}${last ? ` (last: ${last})` : ''}` : 'no restarts'}`;
    if (!state.ready && scaledDown) lines.push(fail(`control-plane/${name}`, text, `scale it back: \`kubectl -n ${ns} scale deploy/${name} --replicas=1\` (the AKS add-on reconciles it)`));
    else if (!state.ready) lines.push(fail(`control-plane/${name}`, text, `look at \`kubectl -n ${ns} describe deploy/${name}\` and its pods' events; the suite needs a working ${name}`));
    else if (restarts) lines.push(warn(`control-plane/${name}`, text, `see why it restarted: \`kubectl -n ${ns} logs deploy/${name} --previous\``));
    else lines.push(ok(`control-plane/${name}`, text));
    if (name === 'osm-controller') {
      const version = meshVersionOf(d);
      if (!version) lines.push(warn('control-plane/version', 'OSM version unknown (no app.kubernetes.io/version label, no image tag)', 'the suite is written for OSM 1.2; check `osm version`'));
      else if (!/^v?1\.2\./.test(version)) lines.push(warn('control-plane/version', `OSM ${version}`, 'the suite\'s OSM profile is written for OSM 1.2 (osm.md); results on other versions may differ'));
      else lines.push(ok('control-plane/version', `OSM ${version}`));
      const meshName = d.metadata?.labels?.meshName;
      if (meshName && meshName !== o.mesh.meshName) {
        lines.push(fail('control-plane/mesh-name', `osm-controller in ${ns} runs mesh "${meshName}", the configuration says "${o.mesh.meshName}"`, `set meshName: ${meshName} (config file or MESH_CONFORMANCE_MESH_NAME)`));
      }
    }
  }
  if (!found) {
    const elsewhere = await client.list<V1Deployment>(resourceTypes.deployment, { labelSelector: 'app=osm-controller' }, opts)
      .then((l) => [...new Set(l.items.map((d) => d.metadata?.namespace).filter((n): n is string => !!n && n !== ns))], () => []);
    if (elsewhere.length) {
      return [fail('control-plane/namespace', `no OSM control plane in ${ns}, but osm-controller runs in ${elsewhere.join(', ')}`, `set meshNamespace: ${elsewhere[0] ?? ''} (config file, MESH_CONFORMANCE_MESH_NAMESPACE)`)];
    }
  }
  return lines;
}

/** Ready endpoint addresses of a Service (0 when it has no Endpoints object). */
async function readyEndpoints(client: KubeClient, namespace: string, name: string, budgetMs: number): Promise<number> {
  const ep = await client.read<V1Endpoints>({ ...types.endpoints, namespace, name }, { budgetMs });
  return (ep?.subsets ?? []).reduce((n, s) => n + (s.addresses?.length ?? 0), 0);
}

/** What `check` expects of one OSM admission webhook: a configuration calling its service, and a ready backend. */
interface WebhookExpectation {
  id: string;
  kind: 'MutatingWebhookConfiguration' | 'ValidatingWebhookConfiguration';
  service: string;
  configs(): Promise<{ items: (V1MutatingWebhookConfiguration | V1ValidatingWebhookConfiguration)[] }>;
  /** The line when no configuration calls the service: a missing injector fails, a missing validator warns. */
  absent(id: string, text: string): ReadinessLine;
  /** What breaks when the service has no ready endpoint. */
  noBackend: string;
  backendHint: string;
}

/** The CRDs (established, serving the version the suite uses) and the injector and validator webhooks with their backends. */
async function crdsAndWebhooks(client: KubeClient, o: ReadinessOptions): Promise<ReadinessLine[]> {
  const ns = o.mesh.meshNamespace;
  const opts = { budgetMs: o.budgetMs };
  const lines: ReadinessLine[] = [];
  for (const name of osmCrds) {
    const crd = await client.read<V1CustomResourceDefinition>({ ...types.crd, name }, opts);
    const version = crdVersions[name] ?? '';
    if (!crd) {
      lines.push(fail(`crds/${name}`, `CustomResourceDefinition ${name} not found`, `OSM's CRDs are installed with the control plane; ${installHint(o)}`));
      continue;
    }
    const established = crd.status?.conditions?.find((c) => c.type === 'Established');
    const served = crd.spec.versions.filter((v) => v.served).map((v) => v.name);
    if (established && established.status !== 'True') {
      lines.push(fail(`crds/${name}`, `CustomResourceDefinition ${name} is not established (${established.reason ?? established.status})`, `\`kubectl get crd ${name} -o yaml\` shows why`));
    } else if (!served.includes(version)) {
      lines.push(fail(`crds/${name}`, `CustomResourceDefinition ${name} does not serve ${version} (serves ${served.join(', ') || 'nothing'})`, 'the suite uses OSM 1.2\'s API versions; upgrade or reinstall OSM 1.2'));
    } else {
      lines.push(ok(`crds/${name}`, `CustomResourceDefinition ${name} serves ${version}`));
    }
  }

  const calls = (svc: string) => (h: V1MutatingWebhookConfiguration | V1ValidatingWebhookConfiguration): boolean =>
    (h.webhooks ?? []).some((w) => w.clientConfig.service?.name === svc && w.clientConfig.service.namespace === ns);
  const webhooks: WebhookExpectation[] = [
    {
      id: 'webhooks/injector', kind: 'MutatingWebhookConfiguration', service: 'osm-injector',
      configs: () => client.list<V1MutatingWebhookConfiguration>(types.mutating, {}, opts),
      absent: (line, text) => fail(line, `${text}: pods get no sidecar`, `osm-injector creates it when it starts: \`kubectl -n ${ns} logs deploy/osm-injector\``),
      noBackend: 'pod creation in monitored namespaces is refused (failurePolicy Fail)',
      backendHint: `\`kubectl -n ${ns} get pods -l app=osm-injector\` and their events`,
    },
    {
      id: 'webhooks/validator', kind: 'ValidatingWebhookConfiguration', service: 'osm-validator',
      configs: () => client.list<V1ValidatingWebhookConfiguration>(types.validating, {}, opts),
      absent: (line, text) => warn(line, `${text}: IngressBackends are not validated`, `osm-controller publishes it when it runs: \`kubectl -n ${ns} logs deploy/osm-controller\``),
      noBackend: 'IngressBackend writes are refused',
      backendHint: `osm-controller serves the validator: \`kubectl -n ${ns} get pods -l app=osm-controller\``,
    },
  ];
  for (const w of webhooks) {
    const config = (await w.configs()).items.find(calls(w.service));
    if (!config) {
      lines.push(w.absent(w.id, `no ${w.kind} calls ${w.service} in ${ns}`));
      continue;
    }
    const what = `${w.kind} ${config.metadata?.name ?? '?'} calls ${w.service}`;
    const n = await readyEndpoints(client, ns, w.service, o.budgetMs);
    lines.push(n
      ? ok(w.id, `${what} (${n} ready endpoint${n === 1 ? '' : 's'})`)
      : fail(w.id, `${what}, which has no ready endpoint: ${w.noBackend}`, w.backendHint));
  }
  return lines;
}

interface MeshConfigObject extends KubernetesObject {
  spec?: {
    traffic?: { enablePermissiveTrafficPolicyMode?: boolean; inboundExternalAuthorization?: { enable?: boolean; address?: string; port?: number; failureModeAllow?: boolean } };
    featureFlags?: { enableIngressBackendPolicy?: boolean };
  };
}

/** The MeshConfig settings the suite depends on: permissive mode, the IngressBackend policy flag, external authorization. */
async function meshConfig(client: KubeClient, o: ReadinessOptions): Promise<ReadinessLine[]> {
  const ns = o.mesh.meshNamespace;
  const mc = await client.read<MeshConfigObject>({ ...types.meshConfig, namespace: ns, name: meshConfigName }, { budgetMs: o.budgetMs });
  if (!mc) return [fail('mesh-config/exists', `MeshConfig ${ns}/${meshConfigName} not found`, `osm-bootstrap creates it: \`kubectl -n ${ns} logs deploy/osm-bootstrap\`; or set meshNamespace to where OSM runs`)];
  const patch = (json: string): string => `\`kubectl -n ${ns} patch meshconfig ${meshConfigName} --type merge -p '${json}'\``;
  const traffic = mc.spec?.traffic;
  const lines: ReadinessLine[] = [];
  lines.push(ok('mesh-config/permissive', traffic?.enablePermissiveTrafficPolicyMode
    ? 'permissive traffic policy mode: on (in-mesh traffic needs no SMI policy)'
    : 'permissive traffic policy mode: off (in-mesh traffic needs SMI policies; the suite\'s traffic comes from the ingress, which IngressBackend admits)'));
  if (mc.spec?.featureFlags?.enableIngressBackendPolicy === true) {
    lines.push(ok('mesh-config/ingress-backend-policy', 'featureFlags.enableIngressBackendPolicy: true'));
  } else {
    lines.push(fail('mesh-config/ingress-backend-policy', `featureFlags.enableIngressBackendPolicy: ${String(mc.spec?.featureFlags?.enableIngressBackendPolicy ?? 'unset')}: OSM ignores IngressBackends, the ingress check cannot pass`,
      patch('{"spec":{"featureFlags":{"enableIngressBackendPolicy":true}}}')));
  }
  const ext = traffic?.inboundExternalAuthorization;
  if (ext?.enable) {
    lines.push(warn('mesh-config/external-authorization', `inbound external authorization: on (${ext.address ?? '?'}:${ext.port ?? '?'}, failureModeAllow ${String(ext.failureModeAllow ?? false)}): every inbound request is sent to it first`,
      `the ingress check fails if that service denies or cannot be reached; to turn it off: ${patch('{"spec":{"traffic":{"inboundExternalAuthorization":{"enable":false}}}}')}`));
  } else {
    lines.push(ok('mesh-config/external-authorization', 'inbound external authorization: off'));
  }
  return lines;
}

/** The ingress controller of the profile (preflight's check), and for an in-cluster controller its namespace's mesh settings. */
async function ingressController(client: KubeClient, o: ReadinessOptions): Promise<ReadinessLine[]> {
  const lines = areaLines('ingress', await checkIngressController(client, {
    target: o.target, meshName: o.mesh.meshName, meshNamespace: o.mesh.meshNamespace, ingress: o.ingress?.name ?? 'none', budgetMs: o.budgetMs,
  }));
  const controllerNs = o.ingress?.controllerNamespace;
  if (controllerNs) {
    const got = await client.read<V1Namespace>({ ...resourceTypes.namespace, name: controllerNs }, { budgetMs: o.budgetMs });
    const problem = o.mesh.ingressSourceNamespaceProblem(got, controllerNs);
    const [what, hint] = (problem ?? '').split('; run: ');
    lines.push(problem
      ? fail('ingress/namespace', what ?? problem, hint ? `run: ${hint}` : 'onboard the controller\'s namespace with sidecar injection disabled')
      : ok('ingress/namespace', `namespace ${controllerNs} is in mesh ${o.mesh.meshName} without sidecar injection`));
  }
  return lines;
}

/** Whether the metrics source the suite would use answers: a Prometheus URL, a Log Analytics workspace, or the in-cluster Prometheus. */
async function metricsBackend(client: KubeClient, o: ReadinessOptions): Promise<ReadinessLine[]> {
  const m = o.mesh.metrics;
  const cfg = o.metrics;
  if (cfg.logAnalytics && !cfg.prometheusUrl) {
    const la = cfg.logAnalytics;
    const token = la.token ?? (la.tokenFile ? (await import('node:fs')).readFileSync(la.tokenFile, 'utf8').trim() : undefined);
    const source = await LogAnalyticsSource.connect({ workspaceId: la.workspaceId, endpoint: la.endpoint, token, caFile: la.caFile }, m);
    try {
      const rows = await source.rows(o.mesh.meshNamespace, { timeoutMs: o.budgetMs });
      return [ok('metrics/azure-monitor', `Azure Monitor reachable: ${source.description} answered (${rows.length} InsightsMetrics rows for ${o.mesh.meshNamespace})`)];
    } catch (err) {
      return [fail('metrics/azure-monitor', `Azure Monitor unreachable: ${source.description}: ${errorText(err)}`,
        'check the workspace id and the credentials (`az login`, or MESH_CONFORMANCE_AZURE_TOKEN); the metrics check reads InsightsMetrics from it')];
    } finally {
      await source.close();
    }
  }
  const choice = cfg.prometheusUrl
    ? { kind: 'url' as const, url: cfg.prometheusUrl, token: cfg.prometheusToken }
    : { kind: 'in-cluster' as const, kubeConfig: client.kubeConfig };
  if (choice.kind === 'in-cluster') {
    const svc = await client.read({ ...resourceTypes.service, namespace: m.prometheus.namespace, name: m.prometheus.service }, { budgetMs: o.budgetMs });
    if (!svc) {
      return [fail('metrics/prometheus', `no Prometheus to read metrics from: Service ${m.prometheus.namespace}/${m.prometheus.service} not found and no metrics source configured`,
        o.target === 'aks'
          ? 'point the check at Azure Monitor (--log-analytics-workspace ID) or at a Prometheus (--prometheus-url URL)'
          : 'deploy the mesh\'s Prometheus (`osm install --set osm.deployPrometheus=true`) or pass --prometheus-url URL')];
    }
  }
  try {
    const source = await connectPrometheus(choice, m, { timeoutMs: o.budgetMs });
    await source.close();
    return [ok('metrics/prometheus', `Prometheus reachable: ${source.description}`)];
  } catch (err) {
    return [fail('metrics/prometheus', errorText(err), cfg.prometheusUrl ? 'check the URL and MESH_CONFORMANCE_PROMETHEUS_TOKEN' : `check \`kubectl -n ${m.prometheus.namespace} get pods ${m.prometheus.podSelector ? `-l ${m.prometheus.podSelector}` : ''}\``)];
  }
}

const enabled = (v: string | undefined): boolean => ['enabled', 'yes', 'true'].includes((v ?? '').toLowerCase());
const disabled = (v: string | undefined): boolean => ['disabled', 'no', 'false'].includes((v ?? '').toLowerCase());

/** Namespaces in the mesh with their injection and metrics state; namespaces half-onboarded; leftovers of earlier runs. */
function namespaceLines(all: V1Namespace[], o: ReadinessOptions): { lines: ReadinessLine[]; injected: string[] } {
  const meshName = o.mesh.meshName;
  const lines: ReadinessLine[] = [];
  const injected: string[] = [];
  for (const ns of all) {
    const name = ns.metadata?.name ?? '?';
    const labels = ns.metadata?.labels ?? {};
    const ann = ns.metadata?.annotations ?? {};
    const runId = labels[runLabelKeys.runId];
    if (runId) {
      lines.push(warn(`namespaces/${name}`, `${name}: left by mesh-conformance run ${runId}${labels[runLabelKeys.createdAt] ? ` (created ${labels[runLabelKeys.createdAt]})` : ''}`,
        '`mesh-conformance cleanup` deletes leftovers of dead runs (or `kubectl delete namespace ' + name + '`)'));
      continue;
    }
    const injection = ann[osmKeys.sidecarInjection];
    if (labels[osmKeys.monitoredBy] !== meshName) {
      if (enabled(injection)) {
        lines.push(warn(`namespaces/${name}`, `${name}: annotated for sidecar injection but not in mesh ${meshName} (label ${osmKeys.monitoredBy}=${labels[osmKeys.monitoredBy] ?? '<none>'}): its pods get no sidecar`,
          `\`osm namespace add ${name} --mesh-name ${meshName}\`, then restart its pods`));
      }
      continue;
    }
    const metricsOn = enabled(ann[osmKeys.metrics]);
    if (disabled(injection)) {
      lines.push(ok(`namespaces/${name}`, `${name}: in the mesh without sidecar injection${metricsOn ? ', metrics enabled' : ''}`));
    } else if (enabled(injection)) {
      injected.push(name);
      lines.push(metricsOn
        ? ok(`namespaces/${name}`, `${name}: sidecar injection enabled, metrics enabled`)
        : warn(`namespaces/${name}`, `${name}: sidecar injection enabled, metrics not enabled: its sidecars are not scraped`, o.mesh.metrics.enableHint(name)));
    } else {
      lines.push(ok(`namespaces/${name}`, `${name}: in the mesh, sidecar injection not enabled on the namespace (pods opt in one by one)${metricsOn ? ', metrics enabled' : ''}`));
    }
  }
  if (!lines.some((l) => l.message.includes(': in the mesh') || l.message.includes(': sidecar injection enabled'))) {
    lines.unshift(ok('namespaces/none', `no namespace is in mesh ${meshName} yet`));
  }
  return { lines, injected };
}

/** For every namespace with injection enabled, the running pods without the sidecar (started before onboarding, or opted out wrongly). */
async function podsWithoutSidecar(client: KubeClient, o: ReadinessOptions, namespaces: string[]): Promise<ReadinessLine[]> {
  const sidecar = o.mesh.sidecar.containerName;
  if (!namespaces.length) return [ok('sidecars/none', 'no namespace with sidecar injection enabled: no pods to look at')];
  const lines: ReadinessLine[] = [];
  for (const ns of namespaces) {
    const pods = (await client.list<V1Pod>(resourceTypes.pod, { namespace: ns }, { budgetMs: o.budgetMs })).items.filter((p) =>
      !p.metadata?.deletionTimestamp && !p.spec?.hostNetwork && !['Succeeded', 'Failed'].includes(p.status?.phase ?? '')
      && !disabled(p.metadata?.annotations?.[osmKeys.sidecarInjection]));
    const missing = pods.filter((p) => !(p.spec?.containers ?? []).some((c) => c.name === sidecar)).map((p) => p.metadata?.name ?? '?');
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

/** Where the metrics check reads from, which decides the permissions it needs. */
export function metricsAccess(cfg: MetricsConfig): MetricsAccess {
  if (cfg.prometheusUrl) return 'external';
  return cfg.logAnalytics ? 'azure-monitor' : 'in-cluster-prometheus';
}

/**
 * Checks the cluster and returns the report. The API check comes first: when the server cannot be reached or
 * refuses the credentials, the report has that one line and `ran: false`. The other categories run in parallel.
 */
export async function checkReadiness(client: KubeClient, o: ReadinessOptions): Promise<ReadinessReport> {
  const base = {
    kind: 'MeshConformanceReadiness' as const, version: 1 as const, target: o.target, context: client.context, server: client.server,
    mesh: { name: o.mesh.meshName, profile: o.mesh.name, namespace: o.mesh.meshNamespace }, ingress: o.ingress?.name ?? 'none',
  };
  const version = await probe(client.kubeConfig, '/version', o.budgetMs);
  const authed = version.kind === 'response' && version.status === 200 ? await probe(client.kubeConfig, '/api/v1/namespaces/default', o.budgetMs) : undefined;
  const api = classifyApiAccess(version, authed, { server: client.server, target: o.target, timeoutMs: o.budgetMs });
  const apiTitle = 'Kubernetes API';
  if ('problem' in api) {
    const categories = [{ id: 'api', title: apiTitle, lines: [fail('api/access', api.problem.message, api.problem.hint)] }];
    return { ...base, status: 'fail', ready: false, ran: false, summary: countStatuses(categories), categories };
  }
  const parsed = parseKubeVersion(api.version);
  const apiLines = [
    ok('api/access', `API server ${client.server} reachable, credentials accepted`),
    parsed && olderThan(parsed, minimumKubernetes)
      ? warn('api/version', `Kubernetes ${api.version}`, `OSM 1.2 needs Kubernetes ${minimumKubernetes.join('.')} or later`)
      : ok('api/version', `Kubernetes ${api.version}`),
  ];
  const ns = o.mesh.meshNamespace;
  const namespacesAndSidecars = (async (): Promise<[ReadinessCategory, ReadinessCategory]> => {
    let injected: string[] = [];
    const nsCat = await category('namespaces', 'Namespaces in the mesh', async () => {
      const all = (await client.list<V1Namespace>(resourceTypes.namespace, {}, { budgetMs: o.budgetMs })).items;
      const r = namespaceLines(all, o);
      injected = r.injected;
      return r.lines;
    });
    const podCat = await category('sidecars', 'Pods without a sidecar', () => podsWithoutSidecar(client, o, injected));
    return [nsCat, podCat];
  })();
  const [cp, crds, mc, ing, met, [nsCat, podCat], perms] = await Promise.all([
    category('control-plane', `OSM control plane (${ns})`, () => controlPlane(client, o)),
    category('crds-webhooks', 'CRDs and webhooks', () => crdsAndWebhooks(client, o)),
    category('mesh-config', `MeshConfig ${ns}/${meshConfigName}`, () => meshConfig(client, o)),
    category('ingress', `Ingress controller (${o.ingress?.name ?? 'none'})`, () => ingressController(client, o)),
    category('metrics', 'Metrics backend', () => metricsBackend(client, o)),
    namespacesAndSidecars,
    category('permissions', 'Permissions for a run', async () => areaLines('permissions',
      await checkAccess(client, suiteRequirements({ meshNamespace: ns, metrics: metricsAccess(o.metrics) }), o.budgetMs))),
  ]);
  const categories = [{ id: 'api', title: apiTitle, lines: apiLines }, cp, crds, mc, ing, met, nsCat, podCat, perms];
  const status = worst(categories.flatMap((c) => c.lines));
  return { ...base, status, ready: status !== 'fail', ran: true, summary: countStatuses(categories), categories };
}
