// What aks-up does, as steps over a Runner (runner.mjs): an AKS cluster with the OSM add-on, the Application
// Gateway Ingress Controller add-on and Container insights (Azure Monitor), then credentials under a named context.
import { UsageError } from './script-main.mjs';

/** @typedef {{ addonProfiles?: Record<string, { enabled?: boolean } | null | undefined> }} AksShow the part of `az aks show` read here */

/** Defaults; the subnet is the one the AKS AGIC tutorial uses (inside 10.0.0.0/8, the IngressBackend IPRange). */
export const aksDefaults = Object.freeze({ location: 'westeurope', nodeCount: 2, appgwSubnetCidr: '10.225.0.0/16' });

/** The add-ons the aks profile needs: their `az aks` names and their keys under `addonProfiles`. */
export const aksAddons = Object.freeze([
  { addon: 'open-service-mesh', profile: 'openServiceMesh', why: 'OSM control plane in kube-system' },
  { addon: 'ingress-appgw', profile: 'ingressApplicationGateway', why: 'Application Gateway Ingress Controller' },
  { addon: 'monitoring', profile: 'omsagent', why: 'Container insights, which collects the envoy metrics into Log Analytics' },
]);

/**
 * `--appgw-name … --appgw-subnet-cidr …` or `--workspace-resource-id …`: the extra arguments an add-on takes.
 * @param {string} addon
 * @param {{ appgwName: string, appgwSubnetCidr: string, workspaceResourceId?: string }} o
 * @returns {string[]}
 */
function addonArgs(addon, o) {
  if (addon === 'ingress-appgw') return ['--appgw-name', o.appgwName, '--appgw-subnet-cidr', o.appgwSubnetCidr];
  if (addon === 'monitoring' && o.workspaceResourceId) return ['--workspace-resource-id', o.workspaceResourceId];
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
 * Brings an AKS cluster to what the aks profile expects. Idempotent: add-ons already enabled are left alone, and
 * the cluster is created only with `create` (never by surprise in someone's subscription).
 * @param {import('./runner.mjs').Runner} r
 * @param {{ resourceGroup: string, name: string, location?: string, create?: boolean, nodeCount?: number,
 *   appgwName?: string, appgwSubnetCidr?: string, workspaceResourceId?: string, context?: string, subscription?: string }} opts
 */
export async function aksUp(r, opts) {
  const o = { ...aksDefaults, appgwName: `${opts.name}-appgw`, context: opts.name, ...opts };
  const sub = o.subscription ? ['--subscription', o.subscription] : [];
  const login = await r.query('az', ['account', 'show', '--output', 'none', ...sub]);
  if (!login.ok && !r.dryRun) throw new UsageError('the Azure CLI is not logged in (or cannot see the subscription): run `az login` (and `az account set --subscription …`), then retry');
  const target = ['--resource-group', o.resourceGroup, '--name', o.name, ...sub];

  const shown = await r.query('az', ['aks', 'show', ...target, '--output', 'json']);
  if (!shown.ok) {
    if (!o.create && !r.dryRun) throw new UsageError(`AKS cluster ${o.name} not found in resource group ${o.resourceGroup}: check the names, or pass --create to create it`);
    await r.run('az', ['group', 'create', '--name', o.resourceGroup, '--location', o.location, '--output', 'none', ...sub]);
    await r.run('az', [
      'aks', 'create', ...target, '--location', o.location, '--node-count', String(o.nodeCount),
      // AGIC needs Azure CNI: pods get VNet addresses the Application Gateway can reach.
      '--network-plugin', 'azure',
      '--enable-addons', aksAddons.map((a) => a.addon).join(','),
      ...aksAddons.flatMap((a) => addonArgs(a.addon, o)),
      '--generate-ssh-keys', '--output', 'none',
    ]);
  } else {
    let doc;
    try {
      doc = JSON.parse(shown.stdout);
    } catch {
      doc = {};
    }
    const enabled = enabledAddons(doc);
    for (const a of aksAddons) {
      if (enabled.has(a.addon)) {
        r.say(`add-on ${a.addon} is enabled (${a.why}): keeping it`);
        continue;
      }
      await r.run('az', ['aks', 'enable-addons', ...target, '--addons', a.addon, ...addonArgs(a.addon, o), '--output', 'none']);
    }
  }
  await r.run('az', ['aks', 'get-credentials', ...target, '--context', o.context, '--overwrite-existing']);

  // The Log Analytics workspace Container insights writes to: the metrics check queries it (customerId = workspace id).
  const ws = await r.query('az', ['aks', 'show', ...target, '--query', 'addonProfiles.omsagent.config.logAnalyticsWorkspaceResourceID', '--output', 'tsv']);
  let workspaceId;
  if (ws.ok && ws.stdout.trim()) {
    const id = await r.query('az', ['monitor', 'log-analytics', 'workspace', 'show', '--ids', ws.stdout.trim(), '--query', 'customerId', '--output', 'tsv']);
    if (id.ok && id.stdout.trim()) workspaceId = id.stdout.trim();
  }
  r.say(`ready: AKS cluster ${o.name} with OSM, AGIC and Container insights (context ${o.context})`);
  r.say(`next: npx mesh-conformance run --target aks --context ${o.context}${workspaceId ? ` --log-analytics-workspace ${workspaceId}` : ' --log-analytics-workspace <workspace id>'}`);
  return { context: o.context, workspaceId };
}
