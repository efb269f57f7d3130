#!/usr/bin/env node
// Prepares an AKS cluster for the aks profile with the az CLI, idempotently, then fetches credentials under a named
// context. See docs/aks.md.
//   --mesh osm (default): the OSM add-on, the AGIC add-on (--ingress agic, default) or Application Gateway for
//     Containers (--ingress agc: managed Gateway API and ALB controller add-ons, ApplicationLoadBalancer
//     alb-test-infra/alb-test) and Container insights collecting InsightsMetrics;
//   --mesh istio: the Istio add-on (newest revision the region offers, or --revision), its external ingress gateway,
//     managed Prometheus with an Azure Monitor workspace (created when absent) and the Istio scrape config.
//
//   node scripts/aks-up.mjs --resource-group RG --name CLUSTER [--mesh osm|istio] [--create --location westeurope] [--dry-run]
import process from 'node:process';
import { aksDefaults, aksUp } from './lib/aks-env.mjs';
import { scriptMain, UsageError } from './lib/script-main.mjs';

const usage = 'node scripts/aks-up.mjs --resource-group RG --name CLUSTER [--mesh osm|istio (default osm)] [--create] [--location LOC (default westeurope)] [--node-count N (default 2)] '
  + '[osm: --ingress agic|agc (default agic)] [--appgw-name NAME (default CLUSTER-appgw)] [--appgw-subnet-cidr CIDR (default 10.225.0.0/16)] [--workspace-resource-id ID (Log Analytics)] '
  + '[istio: --revision asm-X-Y (default: the newest the region offers)] [--azure-monitor-workspace NAME (default CLUSTER-amw)] [--azure-monitor-workspace-resource-id ID] '
  + '[--context NAME (default CLUSTER)] [--subscription ID] [--dry-run: print the commands only]';

process.exitCode = await scriptMain({
  name: 'aks-up',
  usage,
  options: {
    'resource-group': 'string', name: 'string', create: 'boolean', location: 'string', 'node-count': 'string', 'appgw-name': 'string',
    'appgw-subnet-cidr': 'string', 'workspace-resource-id': 'string', context: 'string', subscription: 'string',
    mesh: 'string', ingress: 'string', revision: 'string', 'azure-monitor-workspace': 'string', 'azure-monitor-workspace-resource-id': 'string',
  },
  tools: ['az', 'kubectl'],
  main: async (runner, a) => {
    if (!a['resource-group'] || !a.name) throw new UsageError(`--resource-group and --name are required; usage: ${usage}`);
    const mesh = a.mesh ?? aksDefaults.mesh;
    if (mesh !== 'osm' && mesh !== 'istio') throw new UsageError(`--mesh must be one of osm, istio, got ${String(mesh)}`);
    if (typeof a.revision === 'string' && !/^asm-\d+-\d+$/.test(a.revision)) throw new UsageError(`--revision must be an Istio add-on revision such as asm-1-30, got ${a.revision}`);
    const only = mesh === 'istio' ? ['ingress', 'appgw-name', 'appgw-subnet-cidr', 'workspace-resource-id'] : ['revision', 'azure-monitor-workspace', 'azure-monitor-workspace-resource-id'];
    const misplaced = only.find((k) => a[k] !== undefined);
    if (misplaced) throw new UsageError(`--${misplaced} does not apply to --mesh ${mesh}; usage: ${usage}`);
    const ingress = a.ingress ?? 'agic';
    if (ingress !== 'agic' && ingress !== 'agc') throw new UsageError(`--ingress must be one of agic, agc, got ${String(ingress)}`);
    if (ingress === 'agc' && (a['appgw-name'] !== undefined || a['appgw-subnet-cidr'] !== undefined)) throw new UsageError(`--appgw-name and --appgw-subnet-cidr configure AGIC and do not apply to --ingress agc; usage: ${usage}`);
    const nodeCount = Number(a['node-count'] ?? aksDefaults.nodeCount);
    if (!Number.isInteger(nodeCount) || nodeCount < 1) throw new UsageError(`--node-count must be a whole number of at least 1, got ${String(a['node-count'])}`);
    const cidr = String(a['appgw-subnet-cidr'] ?? aksDefaults.appgwSubnetCidr);
    if (!/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(cidr)) throw new UsageError(`--appgw-subnet-cidr must be a CIDR such as 10.225.0.0/16, got ${cidr}`);
    /** @param {string} k @returns {string | undefined} */
    const opt = (k) => (typeof a[k] === 'string' ? a[k] : undefined);
    await aksUp(runner, {
      resourceGroup: String(a['resource-group']), name: String(a.name), mesh, ingress, create: Boolean(a.create), nodeCount, appgwSubnetCidr: cidr,
      ...(opt('location') ? { location: opt('location') } : {}), ...(opt('appgw-name') ? { appgwName: opt('appgw-name') } : {}),
      ...(opt('workspace-resource-id') ? { workspaceResourceId: opt('workspace-resource-id') } : {}),
      ...(opt('context') ? { context: opt('context') } : {}), ...(opt('subscription') ? { subscription: opt('subscription') } : {}),
      ...(opt('revision') ? { revision: opt('revision') } : {}), ...(opt('azure-monitor-workspace') ? { azureMonitorWorkspace: opt('azure-monitor-workspace') } : {}),
      ...(opt('azure-monitor-workspace-resource-id') ? { azureMonitorWorkspaceResourceId: opt('azure-monitor-workspace-resource-id') } : {}),
    });
  },
});
