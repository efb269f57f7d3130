// What aks-up does, as steps over a Runner (runner.mjs). Two environments:
//   osm (default): the OSM add-on, the Application Gateway Ingress Controller add-on (or, with ingress agc, the
//     managed Gateway API and Application Gateway for Containers add-ons and an ALB-managed ApplicationLoadBalancer)
//     and Container insights (Azure Monitor) collecting the InsightsMetrics stream, then credentials under a named context;
//   istio: the Istio-based service mesh add-on at the newest revision the region offers (or --revision), its external
//     ingress gateway, Azure Monitor managed Prometheus with an Azure Monitor workspace and the Istio scrape config.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { UsageError } from './script-main.mjs';

/**
 * The part of `az aks show` read here.
 * @typedef {{
 *   id?: string, location?: string, kubernetesVersion?: string, currentKubernetesVersion?: string, supportPlan?: string,
 *   addonProfiles?: Record<string, { enabled?: boolean, config?: Record<string, string> } | null | undefined>,
 *   serviceMeshProfile?: { mode?: string, istio?: { revisions?: string[], components?: { ingressGateways?: { mode?: string, enabled?: boolean }[] } } } | null,
 *   azureMonitorProfile?: { metrics?: { enabled?: boolean } | null } | null,
 *   ingressProfile?: { applicationLoadBalancer?: { enabled?: boolean } | null } | null,
 *   securityProfile?: { workloadIdentity?: { enabled?: boolean } | null } | null,
 * }} AksShow
 */

/**
 * @typedef {{
 *   resourceGroup: string, name: string, mesh?: 'osm' | 'istio', location?: string, create?: boolean, nodeCount?: number,
 *   appgwName?: string, appgwSubnetCidr?: string, workspaceResourceId?: string, context?: string, subscription?: string,
 *   revision?: string, azureMonitorWorkspace?: string, azureMonitorWorkspaceResourceId?: string, ingress?: 'agic' | 'agc',
 *   writeFile?: (name: string, text: string) => string,
 * }} AksUpOptions `writeFile` stores a file the az CLI reads (default: a new temporary folder) and returns its path
 */

/** Defaults; the subnet is the one the AKS AGIC tutorial uses (inside 10.0.0.0/8, the IngressBackend IPRange). */
export const aksDefaults = Object.freeze({ location: 'westeurope', nodeCount: 2, appgwSubnetCidr: '10.225.0.0/16', mesh: /** @type {'osm' | 'istio'} */ ('osm') });

/** The add-ons the aks profile needs: their `az aks` names and their keys under `addonProfiles`. */
export const aksAddons = Object.freeze([
  { addon: 'open-service-mesh', profile: 'openServiceMesh', why: 'OSM control plane in kube-system' },
  { addon: 'ingress-appgw', profile: 'ingressApplicationGateway', why: 'Application Gateway Ingress Controller' },
  { addon: 'monitoring', profile: 'omsagent', why: 'Container insights, which collects the envoy metrics into Log Analytics' },
]);

/**
 * The Container insights streams aks-up asks for: the CLI's default set when no settings are given (ContainerLogV2,
 * KubeEvents, KubePodInventory: the "Logs and Events" preset) plus InsightsMetrics, the table the OSM sidecar metrics
 * land in. Stream names: Azure Monitor docs, containers/includes/data-collection-rule-streams.md.
 */
export const containerInsightsStreams = Object.freeze(['Microsoft-ContainerLogV2', 'Microsoft-KubeEvents', 'Microsoft-KubePodInventory', 'Microsoft-InsightsMetrics']);

/** The streams that include InsightsMetrics (itself, or the group stream of every Container insights table). */
const insightsMetricsStreams = ['microsoft-insightsmetrics', 'microsoft-containerinsights-group-default'];

/**
 * The `--data-collection-settings` file for `az aks create/enable-addons --addons monitoring` (shape: Azure Monitor
 * docs, containers/kubernetes-monitoring-enable.md, "Log configuration file"): every namespace, 1 minute, the
 * ContainerLogV2 schema and the streams above.
 * @returns {{ interval: string, namespaceFilteringMode: string, enableContainerLogV2: boolean, streams: string[] }}
 */
export function dataCollectionSettings() {
  return { interval: '1m', namespaceFilteringMode: 'Off', enableContainerLogV2: true, streams: [...containerInsightsStreams] };
}

/**
 * `--appgw-name … --appgw-subnet-cidr …` or `--workspace-resource-id … --data-collection-settings …`: the extra
 * arguments an add-on takes.
 * @param {string} addon
 * @param {{ appgwName: string, appgwSubnetCidr: string, workspaceResourceId?: string }} o
 * @param {string} settingsFile the data collection settings file (monitoring)
 * @returns {string[]}
 */
function addonArgs(addon, o, settingsFile) {
  if (addon === 'ingress-appgw') return ['--appgw-name', o.appgwName, '--appgw-subnet-cidr', o.appgwSubnetCidr];
  if (addon === 'monitoring') return [...(o.workspaceResourceId ? ['--workspace-resource-id', o.workspaceResourceId] : []), '--data-collection-settings', settingsFile];
  return [];
}

/**
 * Which add-ons an `az aks show` document has enabled (keys compared case-insensitively, as az varies them).
 * @param {AksShow | undefined} showJson
 * @returns {Set<string>}
 */
export function enabledAddons(showJson) {
  const profiles = showJson?.addonProfiles ?? {};
  const enabled = new Set();
  for (const a of aksAddons) {
    const key = Object.keys(profiles).find((k) => k.toLowerCase() === a.profile.toLowerCase());
    if (key && profiles[key]?.enabled) enabled.add(a.addon);
  }
  return enabled;
}

/**
 * Writes a file into a new temporary folder; returns its path.
 * @param {string} name
 * @param {string} text
 */
function writeTempFile(name, text) {
  const file = join(mkdtempSync(join(tmpdir(), 'aks-up-')), name);
  writeFileSync(file, text);
  return file;
}

/**
 * The data collection settings file: written (real runs) or shown (dry run).
 * @param {import('./runner.mjs').Runner} r
 * @param {AksUpOptions} o
 * @returns {string} its path
 */
function settingsFileFor(r, o) {
  const text = `${JSON.stringify(dataCollectionSettings(), null, 2)}\n`;
  if (r.dryRun) {
    r.say(`(would write data-collection-settings.json: ${JSON.stringify(dataCollectionSettings())})`);
    return '/tmp/aks-up-XXXXXX/data-collection-settings.json';
  }
  return (o.writeFile ?? writeTempFile)('data-collection-settings.json', text);
}

/**
 * Parses a JSON answer of az, or undefined.
 * @param {{ ok: boolean, stdout: string }} res
 * @returns {any}
 */
function jsonOf(res) {
  if (!res.ok) return undefined;
  try {
    return JSON.parse(res.stdout);
  } catch {
    return undefined;
  }
}

/**
 * Brings an AKS cluster to what the aks profile expects for `mesh` (default osm). Idempotent: what is enabled is
 * left alone, and the cluster is created only with `create` (never by surprise in someone's subscription).
 * @param {import('./runner.mjs').Runner} r
 * @param {AksUpOptions} opts
 * @returns {Promise<{ context: string, workspaceId?: string, revision?: string, prometheusQueryEndpoint?: string }>}
 */
export async function aksUp(r, opts) {
  const o = { ...aksDefaults, appgwName: `${opts.name}-appgw`, context: opts.name, ...opts };
  const agc = o.ingress === 'agc';
  // With AGC the ingress is the Application Gateway for Containers add-on instead of AGIC.
  const addons = agc ? aksAddons.filter((a) => a.addon !== 'ingress-appgw') : aksAddons;
  const sub = o.subscription ? ['--subscription', o.subscription] : [];
  const login = await r.query('az', ['account', 'show', '--output', 'none', ...sub]);
  if (!login.ok && !r.dryRun) throw new UsageError('the Azure CLI is not logged in (or cannot see the subscription): run `az login` (and `az account set --subscription …`), then retry');
  const target = ['--resource-group', o.resourceGroup, '--name', o.name, ...sub];
  const show = () => r.query('az', ['aks', 'show', ...target, '--output', 'json']);

  const shown = await show();
  /** @type {AksShow | undefined} */
  let doc;
  if (!shown.ok) {
    if (!o.create && !r.dryRun) throw new UsageError(`AKS cluster ${o.name} not found in resource group ${o.resourceGroup}: check the names, or pass --create to create it`);
    // A dry run does not ask Azure (every query answers "no"), so it shows the set-up from scratch; say what a real
    // run without --create would do instead.
    if (r.dryRun && !o.create) r.say(`(dry run: cluster ${o.name} is taken as absent; a real run creates it only with --create, and otherwise stops here)`);
    await r.run('az', ['group', 'create', '--name', o.resourceGroup, '--location', o.location, '--output', 'none', ...sub]);
    if (o.mesh === 'istio') {
      await r.run('az', ['aks', 'create', ...target, '--location', o.location, '--node-count', String(o.nodeCount), '--generate-ssh-keys', '--output', 'none']);
      if (!r.dryRun) doc = jsonOf(await show());
    } else {
      const settings = settingsFileFor(r, o);
      if (agc) await agcPrerequisites(r, sub);
      await r.run('az', [
        'aks', 'create', ...target, '--location', o.location, '--node-count', String(o.nodeCount),
        // AGIC and AGC need Azure CNI: pods get VNet addresses the gateway can reach.
        '--network-plugin', 'azure',
        '--enable-addons', addons.map((a) => a.addon).join(','),
        ...addons.flatMap((a) => addonArgs(a.addon, o, settings)),
        ...(agc ? agcCreateArgs : []),
        '--generate-ssh-keys', '--output', 'none',
      ]);
    }
  } else {
    doc = jsonOf(shown) ?? {};
  }

  if (o.mesh === 'istio') return istioUp(r, o, target, doc);

  if (doc) {
    const enabled = enabledAddons(doc);
    for (const a of addons) {
      if (enabled.has(a.addon)) {
        r.say(`add-on ${a.addon} is enabled (${a.why}): keeping it`);
        if (a.addon === 'monitoring') await checkInsightsMetrics(r, o, doc);
        continue;
      }
      await r.run('az', ['aks', 'enable-addons', ...target, '--addons', a.addon, ...addonArgs(a.addon, o, a.addon === 'monitoring' ? settingsFileFor(r, o) : ''), '--output', 'none']);
    }
    if (agc) await agcAddon(r, target, sub, doc);
  }
  await r.run('az', ['aks', 'get-credentials', ...target, '--context', o.context, '--overwrite-existing']);
  if (agc) await applicationLoadBalancerUp(r, o, target);

  // The Log Analytics workspace Container insights writes to: the metrics check queries it (customerId = workspace id).
  const ws = await r.query('az', ['aks', 'show', ...target, '--query', 'addonProfiles.omsagent.config.logAnalyticsWorkspaceResourceID', '--output', 'tsv']);
  let workspaceId;
  if (ws.ok && ws.stdout.trim()) {
    const id = await r.query('az', ['monitor', 'log-analytics', 'workspace', 'show', '--ids', ws.stdout.trim(), '--query', 'customerId', '--output', 'tsv']);
    if (id.ok && id.stdout.trim()) workspaceId = id.stdout.trim();
  }
  r.say(`ready: AKS cluster ${o.name} with OSM, ${agc ? 'Application Gateway for Containers' : 'AGIC'} and Container insights (context ${o.context})`);
  r.say(`next: npx mesh-conformance run --target aks --context ${o.context}${agc ? ' --ingress agc' : ''}${workspaceId ? ` --log-analytics-workspace ${workspaceId}` : ' --log-analytics-workspace <workspace id>'}`);
  return { context: o.context, workspaceId };
}

/** `az aks create` flags of the AGC add-on (AGC add-on quickstart: workload identity, managed Gateway API, ALB controller). */
const agcCreateArgs = Object.freeze(['--enable-oidc-issuer', '--enable-workload-identity', '--enable-gateway-api', '--enable-application-load-balancer']);
/** The quickstart's ALB-managed ApplicationLoadBalancer, which the agc ingress profile binds its Gateways to by default. */
export const applicationLoadBalancer = Object.freeze({ namespace: 'alb-test-infra', name: 'alb-test' });
/** The subnet the AGC add-on creates, delegated to Microsoft.ServiceNetworking/TrafficController, in an AKS-managed VNet. */
export const agcSubnetName = 'aks-appgateway';

/**
 * What the AGC add-on needs in the subscription and the CLI (AGC add-on quickstart): the Microsoft.ServiceNetworking
 * provider, the `alb` and `aks-preview` extensions, and the preview features ManagedGatewayAPIPreview and
 * ApplicationLoadBalancerPreview (registration takes minutes; `az feature show` says when it is Registered).
 * @param {import('./runner.mjs').Runner} r
 * @param {string[]} sub
 */
async function agcPrerequisites(r, sub) {
  await r.run('az', ['provider', 'register', '--namespace', 'Microsoft.ServiceNetworking', ...sub]);
  for (const ext of ['alb', 'aks-preview']) await r.run('az', ['extension', 'add', '--name', ext, '--upgrade', '--output', 'none']);
  for (const feature of ['ManagedGatewayAPIPreview', 'ApplicationLoadBalancerPreview']) {
    await r.run('az', ['feature', 'register', '--namespace', 'Microsoft.ContainerService', '--name', feature, '--output', 'none', ...sub]);
  }
}

/**
 * On an existing cluster: enables workload identity when off, then the managed Gateway API and the ALB controller
 * add-ons, unless `ingressProfile.applicationLoadBalancer.enabled` says they are on.
 * @param {import('./runner.mjs').Runner} r
 * @param {string[]} target
 * @param {string[]} sub
 * @param {AksShow} doc
 */
async function agcAddon(r, target, sub, doc) {
  if (doc.ingressProfile?.applicationLoadBalancer?.enabled) {
    r.say('add-on application-load-balancer is enabled (Application Gateway for Containers ALB controller): keeping it');
    return;
  }
  await agcPrerequisites(r, sub);
  if (!doc.securityProfile?.workloadIdentity?.enabled) await r.run('az', ['aks', 'update', ...target, '--enable-oidc-issuer', '--enable-workload-identity', '--output', 'none']);
  await r.run('az', ['aks', 'update', ...target, '--enable-gateway-api', '--enable-application-load-balancer', '--output', 'none']);
}

/**
 * The ApplicationLoadBalancer `alb-test-infra/alb-test` associated with the add-on's subnet `aks-appgateway` in the
 * cluster's VNet (ALB-managed deployment), and a wait until its Azure resource is deployed (5-6 minutes per the quickstart).
 * @param {import('./runner.mjs').Runner} r
 * @param {AksUpOptions & { context: string }} o
 * @param {string[]} target
 */
async function applicationLoadBalancerUp(r, o, target) {
  const tsv = async (/** @type {string[]} */ args, /** @type {string} */ placeholder) => {
    const res = await r.query('az', [...args, '--output', 'tsv']);
    return res.ok && res.stdout.trim() ? res.stdout.trim() : r.dryRun ? placeholder : undefined;
  };
  const nodeGroup = await tsv(['aks', 'show', ...target, '--query', 'nodeResourceGroup'], '<node resource group>');
  const vnet = nodeGroup && await tsv(['network', 'vnet', 'list', '--resource-group', nodeGroup, '--query', '[0].name'], '<vnet>');
  const subnetId = nodeGroup && vnet && await tsv(['network', 'vnet', 'subnet', 'show', '--resource-group', nodeGroup, '--vnet-name', vnet, '--name', agcSubnetName, '--query', 'id'], `<id of subnet ${agcSubnetName}>`);
  if (!subnetId) {
    throw new UsageError(`no subnet ${agcSubnetName} in the cluster's VNet (the AGC add-on creates it only in an AKS-managed VNet): create a subnet delegated to Microsoft.ServiceNetworking/trafficControllers and an ApplicationLoadBalancer ${applicationLoadBalancer.namespace}/${applicationLoadBalancer.name} listing it in spec.associations (docs/aks.md)`);
  }
  const manifest = stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: applicationLoadBalancer.namespace } })
    + '---\n'
    + stringify({ apiVersion: 'alb.networking.azure.io/v1', kind: 'ApplicationLoadBalancer', metadata: { ...applicationLoadBalancer }, spec: { associations: [subnetId] } });
  await r.run('kubectl', ['--context', o.context, 'apply', '-f', '-'], { input: manifest });
  await r.run('kubectl', ['--context', o.context, 'wait', '--for=condition=Deployment', `applicationloadbalancer/${applicationLoadBalancer.name}`, '-n', applicationLoadBalancer.namespace, '--timeout=15m']);
}

/**
 * On a cluster whose Container insights is already enabled: reads its data collection rule (MSCI-…, in the cluster's
 * resource group) and warns when it does not collect InsightsMetrics, with the commands that fix it. Read-only: the
 * fix (disable, then enable with the settings) is left to the user.
 * @param {import('./runner.mjs').Runner} r
 * @param {AksUpOptions} o
 * @param {AksShow} doc
 */
async function checkInsightsMetrics(r, o, doc) {
  const sub = o.subscription ? ['--subscription', o.subscription] : [];
  const fix = `az aks disable-addons --addons monitoring -g ${o.resourceGroup} -n ${o.name}, then run aks-up again (it enables monitoring with the InsightsMetrics stream)`;
  const rules = await r.query('az', ['resource', 'list', '--resource-group', o.resourceGroup, '--resource-type', 'Microsoft.Insights/dataCollectionRules',
    '--query', "[?starts_with(name, 'MSCI-')].id", '--output', 'json', ...sub]);
  /** @type {string[]} */
  const ids = (jsonOf(rules) ?? []).filter((/** @type {unknown} */ id) => typeof id === 'string' && id.toLowerCase().includes(o.name.toLowerCase()));
  /** @type {string[]} */
  const streams = [];
  let read = false;
  for (const id of ids) {
    const flows = jsonOf(await r.query('az', ['resource', 'show', '--ids', id, '--query', 'properties.dataFlows[].streams[]', '--output', 'json', ...sub]));
    if (Array.isArray(flows)) {
      read = true;
      streams.push(...flows.map(String));
    }
  }
  if (!read) {
    if (!r.dryRun) r.say(`note: could not read Container insights' data collection rule (MSCI-${doc.location ?? '<region>'}-${o.name}): make sure it collects Microsoft-InsightsMetrics, or ${fix}`);
    return;
  }
  if (streams.some((s) => insightsMetricsStreams.includes(s.toLowerCase()))) {
    r.say('Container insights collects Microsoft-InsightsMetrics (the table the sidecar metrics land in)');
  } else {
    r.say(`warning: Container insights does not collect Microsoft-InsightsMetrics (streams: ${streams.join(', ') || 'none'}), so the metrics check cannot pass: ${fix}`);
  }
}

/**
 * The Istio add-on revisions of an `az aks mesh get-revisions --output json` answer, newest first, limited to those
 * compatible with Kubernetes 1.<minor> when the answer says which versions each supports.
 * @param {any} answer `{ meshRevisions: [{ revision: "asm-1-30", compatibleWith: [{ name, versions }] }] }` (or under `properties`)
 * @param {number} [minor] the cluster's Kubernetes minor
 * @param {string} [supportPlan] the cluster's `supportPlan` (KubernetesOfficial, AKSLongTermSupport)
 * @returns {string[]}
 */
export function offeredRevisions(answer, minor, supportPlan = 'KubernetesOfficial') {
  /** @type {{ revision?: string, compatibleWith?: { name?: string, versions?: string[] }[] }[]} */
  const list = answer?.meshRevisions ?? answer?.properties?.meshRevisions ?? [];
  /** @param {string} rev */
  const order = (rev) => (/^asm-(\d+)-(\d+)$/.exec(rev) ?? []).slice(1).map(Number);
  const fits = (/** @type {(typeof list)[number]} */ rev) => {
    if (minor === undefined || !rev.compatibleWith?.length) return true;
    const plans = rev.compatibleWith.filter((c) => ['kubernetes', supportPlan.toLowerCase()].includes((c.name ?? '').toLowerCase()));
    return plans.some((c) => (c.versions ?? []).some((v) => v === `1.${minor}` || v.startsWith(`1.${minor}.`)));
  };
  return list
    .filter((x) => typeof x.revision === 'string' && order(x.revision).length === 2 && fits(x))
    .map((x) => /** @type {string} */ (x.revision))
    .sort((a, b) => {
      const [a1 = 0, a2 = 0] = order(a);
      const [b1 = 0, b2 = 0] = order(b);
      return b1 - a1 || b2 - a2;
    });
}

/**
 * The scrape config the AKS doc "Collect metrics for Istio service mesh add-on workloads … in Azure Managed Prometheus"
 * gives (job `workload`: endpoints whose pods carry prometheus.io/scrape, path and port from the annotations, 30 s),
 * plus the target's namespace and pod as labels, as Istio's own Prometheus addon adds them.
 * @returns {string}
 */
export function istioScrapeConfig() {
  return stringify({
    global: { scrape_interval: '30s' },
    scrape_configs: [{
      job_name: 'workload',
      scheme: 'http',
      kubernetes_sd_configs: [{ role: 'endpoints' }],
      relabel_configs: [
        { source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_scrape'], action: 'keep', regex: 'true' },
        { source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_path'], action: 'replace', target_label: '__metrics_path__', regex: '(.+)' },
        { source_labels: ['__address__', '__meta_kubernetes_pod_annotation_prometheus_io_port'], action: 'replace', regex: '([^:]+)(?::\\d+)?;(\\d+)', replacement: '$1:$2', target_label: '__address__' },
        { source_labels: ['__meta_kubernetes_namespace'], action: 'replace', target_label: 'namespace' },
        { source_labels: ['__meta_kubernetes_pod_name'], action: 'replace', target_label: 'pod' },
      ],
    }],
  });
}

/**
 * ConfigMap `kube-system/ama-metrics-prometheus-config` with the scrape config under `prometheus-config` (what
 * `kubectl create configmap ama-metrics-prometheus-config --from-file=prometheus-config` makes), for kubectl apply.
 * @returns {string}
 */
export function amaMetricsConfigMap() {
  return stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ama-metrics-prometheus-config', namespace: 'kube-system' }, data: { 'prometheus-config': istioScrapeConfig() } });
}

/**
 * The istio environment on an existing (or just created) cluster.
 * @param {import('./runner.mjs').Runner} r
 * @param {AksUpOptions & { context: string, location: string }} o
 * @param {string[]} target `--resource-group … --name … [--subscription …]`
 * @param {AksShow | undefined} doc the cluster (undefined in a dry run of a cluster to create)
 * @returns {Promise<{ context: string, revision: string, prometheusQueryEndpoint?: string }>}
 */
async function istioUp(r, o, target, doc) {
  const sub = o.subscription ? ['--subscription', o.subscription] : [];
  const location = doc?.location ?? o.location;
  if (enabledAddons(doc).has('open-service-mesh')) {
    r.say(`warning: the OSM add-on is enabled on ${o.name}: AKS may refuse the Istio add-on beside it (UNCONFIRMED); disable it with az aks disable-addons --addons open-service-mesh -g ${o.resourceGroup} -n ${o.name}`);
  }

  // The Istio add-on at the newest revision the region offers for the cluster's Kubernetes (or --revision).
  const mesh = doc?.serviceMeshProfile;
  const enabledRevisions = (mesh?.mode ?? '').toLowerCase() === 'istio' ? (mesh?.istio?.revisions ?? []) : [];
  let revision = o.revision;
  if (enabledRevisions.length) {
    r.say(`Istio add-on is enabled (revision${enabledRevisions.length > 1 ? 's' : ''} ${enabledRevisions.join(', ')}): keeping it`);
    if (revision && !enabledRevisions.includes(revision)) {
      r.say(`warning: --revision ${revision} is not enabled; aks-up does not upgrade the mesh (az aks mesh upgrade start --revision ${revision} -g ${o.resourceGroup} -n ${o.name})`);
    }
    // The newest enabled one (two are enabled during a canary upgrade).
    revision = offeredRevisions({ meshRevisions: enabledRevisions.map((x) => ({ revision: x })) })[0] ?? /** @type {string} */ (enabledRevisions[0]);
  } else {
    if (!revision) {
      const version = doc?.currentKubernetesVersion ?? doc?.kubernetesVersion;
      const minorMatch = /^1\.(\d+)/.exec(version ?? '');
      const minor = minorMatch ? Number(minorMatch[1]) : undefined;
      const answer = jsonOf(await r.query('az', ['aks', 'mesh', 'get-revisions', '--location', location, '--output', 'json', ...sub]));
      revision = offeredRevisions(answer, minor, doc?.supportPlan)[0];
      if (!revision) {
        if (!r.dryRun) throw new UsageError(`no Istio add-on revision offered in ${location}${minor !== undefined ? ` for Kubernetes 1.${minor}` : ''}: see az aks mesh get-revisions --location ${location} -o table, or pass --revision asm-X-Y`);
        revision = '<asm-X-Y>';
        r.say(`(dry run: the revision is the newest one az aks mesh get-revisions --location ${location} offers for the cluster's Kubernetes)`);
      } else {
        r.say(`Istio add-on revision ${revision}: the newest ${location} offers${minor !== undefined ? ` for Kubernetes 1.${minor}` : ''}`);
      }
    }
    await r.run('az', ['aks', 'mesh', 'enable', ...target, '--revision', revision, '--output', 'none']);
  }

  const gateways = mesh?.istio?.components?.ingressGateways ?? [];
  if (gateways.some((g) => (g.mode ?? '').toLowerCase() === 'external' && g.enabled)) {
    r.say('Istio external ingress gateway is enabled (aks-istio-ingress/aks-istio-ingressgateway-external): keeping it');
  } else {
    await r.run('az', ['aks', 'mesh', 'enable-ingress-gateway', ...target, '--ingress-gateway-type', 'external', '--output', 'none']);
  }

  // Azure Monitor managed Prometheus: an Azure Monitor workspace (created when absent), linked to the cluster.
  const metricsEnabled = doc?.azureMonitorProfile?.metrics?.enabled === true;
  const workspaceName = o.azureMonitorWorkspace ?? `${o.name}-amw`;
  const showWorkspace = () => r.query('az', ['monitor', 'account', 'show',
    ...(o.azureMonitorWorkspaceResourceId ? ['--ids', o.azureMonitorWorkspaceResourceId] : ['--name', workspaceName, '--resource-group', o.resourceGroup, ...sub]), '--output', 'json']);
  /** @type {{ id?: string, metrics?: { prometheusQueryEndpoint?: string }, properties?: { metrics?: { prometheusQueryEndpoint?: string } } } | undefined} */
  let workspace = jsonOf(await showWorkspace());
  if (!workspace) {
    if (o.azureMonitorWorkspaceResourceId && !r.dryRun) throw new UsageError(`Azure Monitor workspace ${o.azureMonitorWorkspaceResourceId} not found (or not visible to this login)`);
    if (metricsEnabled && !o.azureMonitorWorkspace && !o.azureMonitorWorkspaceResourceId) {
      r.say(`managed Prometheus is enabled with a workspace other than ${workspaceName}: keeping it (pass --azure-monitor-workspace-resource-id to print its query endpoint)`);
    } else if (!o.azureMonitorWorkspaceResourceId) {
      await r.run('az', ['monitor', 'account', 'create', '--name', workspaceName, '--resource-group', o.resourceGroup, '--location', location, '--output', 'none', ...sub]);
      workspace = jsonOf(await showWorkspace());
    }
  }
  const workspaceId = workspace?.id ?? o.azureMonitorWorkspaceResourceId
    ?? (r.dryRun ? `/subscriptions/<subscription>/resourceGroups/${o.resourceGroup}/providers/Microsoft.Monitor/accounts/${workspaceName}` : undefined);
  if (metricsEnabled) {
    r.say('Azure Monitor managed Prometheus is enabled: keeping it');
  } else if (workspaceId) {
    await r.run('az', ['aks', 'update', ...target, '--enable-azure-monitor-metrics', '--azure-monitor-workspace-resource-id', workspaceId, '--output', 'none']);
  }

  await r.run('az', ['aks', 'get-credentials', ...target, '--context', o.context, '--overwrite-existing']);
  // Pod-annotation scraping of the sidecars (:15020/stats/prometheus) by the managed Prometheus agent (istio.md §5.2).
  await r.run('kubectl', ['--context', o.context, 'apply', '-f', '-'], { input: amaMetricsConfigMap() });

  const endpoint = workspace?.metrics?.prometheusQueryEndpoint ?? workspace?.properties?.metrics?.prometheusQueryEndpoint;
  r.say(`ready: AKS cluster ${o.name} with the Istio add-on (revision ${revision}, label namespaces istio.io/rev=${revision}), its external ingress gateway and managed Prometheus (context ${o.context})`);
  r.say(`Prometheus query endpoint of the Azure Monitor workspace: ${endpoint ?? '<not known: az monitor account show … --query metrics.prometheusQueryEndpoint>'} (your login needs Monitoring Data Reader on the workspace)`);
  r.say(`next: MESH_CONFORMANCE_PROMETHEUS_TOKEN=$(az account get-access-token --resource https://prometheus.monitor.azure.com --query accessToken -o tsv) npx mesh-conformance run --target aks --mesh istio --context ${o.context} --mesh-revision ${revision} --prometheus-url ${endpoint ?? '<query endpoint>'}`);
  return { context: o.context, revision, ...(endpoint ? { prometheusQueryEndpoint: endpoint } : {}) };
}
