#!/usr/bin/env node
// Prepares an AKS cluster for the aks profile with the az CLI: the OSM add-on, the AGIC add-on and Container insights
// (Azure Monitor), idempotently, then fetches credentials under a named context. See docs/aks.md.
//
//   node scripts/aks-up.mjs --resource-group RG --name CLUSTER [--create --location westeurope] [--dry-run]
import process from 'node:process';
import { aksDefaults, aksUp } from './lib/aks-env.mjs';
import { scriptMain, UsageError } from './lib/script-main.mjs';

const usage = 'node scripts/aks-up.mjs --resource-group RG --name CLUSTER [--create] [--location LOC (default westeurope)] [--node-count N (default 2)] '
  + '[--appgw-name NAME (default CLUSTER-appgw)] [--appgw-subnet-cidr CIDR (default 10.225.0.0/16)] [--workspace-resource-id ID] [--context NAME (default CLUSTER)] '
  + '[--subscription ID] [--dry-run: print the commands only]';

process.exitCode = await scriptMain({
  name: 'aks-up',
  usage,
  options: {
    'resource-group': 'string', name: 'string', create: 'boolean', location: 'string', 'node-count': 'string', 'appgw-name': 'string',
    'appgw-subnet-cidr': 'string', 'workspace-resource-id': 'string', context: 'string', subscription: 'string',
  },
  tools: ['az', 'kubectl'],
  main: async (runner, a) => {
    if (!a['resource-group'] || !a.name) throw new UsageError(`--resource-group and --name are required; usage: ${usage}`);
    const nodeCount = Number(a['node-count'] ?? aksDefaults.nodeCount);
    if (!Number.isInteger(nodeCount) || nodeCount < 1) throw new UsageError(`--node-count must be a whole number of at least 1, got ${String(a['node-count'])}`);
    const cidr = String(a['appgw-subnet-cidr'] ?? aksDefaults.appgwSubnetCidr);
    if (!/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(cidr)) throw new UsageError(`--appgw-subnet-cidr must be a CIDR such as 10.225.0.0/16, got ${cidr}`);
    /** @param {string} k @returns {string | undefined} */
    const opt = (k) => (typeof a[k] === 'string' ? a[k] : undefined);
    await aksUp(runner, {
      resourceGroup: String(a['resource-group']), name: String(a.name), create: Boolean(a.create), nodeCount, appgwSubnetCidr: cidr,
      ...(opt('location') ? { location: opt('location') } : {}), ...(opt('appgw-name') ? { appgwName: opt('appgw-name') } : {}),
      ...(opt('workspace-resource-id') ? { workspaceResourceId: opt('workspace-resource-id') } : {}),
      ...(opt('context') ? { context: opt('context') } : {}), ...(opt('subscription') ? { subscription: opt('subscription') } : {}),
    });
  },
});
