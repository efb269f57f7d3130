// The az command lines aks-up composes, checked without the Azure CLI.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aksUp, enabledAddons } from './aks-env.mjs';
import { recordingRunner } from './runner.mjs';

/** @type {import('./runner.mjs').Answer} */
const loggedIn = ['az account show --output none', {}];
const target = '--resource-group rg --name mesh';

describe('aks-up', () => {
  it('creates the cluster with the three add-ons only when asked to', async () => {
    const r = recordingRunner([loggedIn]);
    await aksUp(r, { resourceGroup: 'rg', name: 'mesh', create: true });
    assert.deepEqual(r.commands, [
      'az group create --name rg --location westeurope --output none',
      `az aks create ${target} --location westeurope --node-count 2 --network-plugin azure --enable-addons open-service-mesh,ingress-appgw,monitoring --appgw-name mesh-appgw --appgw-subnet-cidr 10.225.0.0/16 --generate-ssh-keys --output none`,
      `az aks get-credentials ${target} --context mesh --overwrite-existing`,
    ]);
    await assert.rejects(aksUp(recordingRunner([loggedIn]), { resourceGroup: 'rg', name: 'mesh' }), /AKS cluster mesh not found in resource group rg: check the names, or pass --create/);
  });

  it('on an existing cluster enables only the missing add-ons, with their arguments', async () => {
    const show = { addonProfiles: { openServiceMesh: { enabled: true }, ingressApplicationGateway: { enabled: false }, omsagent: { enabled: false } } };
    const r = recordingRunner([loggedIn, [`az aks show ${target} --output json`, { stdout: JSON.stringify(show) }]]);
    await aksUp(r, { resourceGroup: 'rg', name: 'mesh', workspaceResourceId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/w', context: 'aks-mesh' });
    assert.deepEqual(r.commands, [
      `az aks enable-addons ${target} --addons ingress-appgw --appgw-name mesh-appgw --appgw-subnet-cidr 10.225.0.0/16 --output none`,
      `az aks enable-addons ${target} --addons monitoring --workspace-resource-id /subscriptions/s/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/w --output none`,
      `az aks get-credentials ${target} --context aks-mesh --overwrite-existing`,
    ]);
    assert.ok(r.said.includes('add-on open-service-mesh is enabled (OSM control plane in kube-system): keeping it'));
  });

  it('is idempotent: nothing to enable on a ready cluster; prints the workspace id for the metrics check', async () => {
    const show = { addonProfiles: { openServiceMesh: { enabled: true }, IngressApplicationGateway: { enabled: true }, omsAgent: { enabled: true } } };
    const r = recordingRunner([loggedIn, [`az aks show ${target} --output json`, { stdout: JSON.stringify(show) }],
      [/--query addonProfiles\.omsagent\.config\.logAnalyticsWorkspaceResourceID/, { stdout: '/subscriptions/s/w\n' }],
      ['az monitor log-analytics workspace show --ids /subscriptions/s/w --query customerId --output tsv', { stdout: '1111-2222\n' }]]);
    const res = await aksUp(r, { resourceGroup: 'rg', name: 'mesh' });
    assert.deepEqual(r.commands, [`az aks get-credentials ${target} --context mesh --overwrite-existing`]);
    assert.equal(res.workspaceId, '1111-2222');
    assert.equal(r.said.at(-1), 'next: npx mesh-conformance run --target aks --context mesh --log-analytics-workspace 1111-2222');
  });

  it('stops with a hint when az is not logged in', async () => {
    await assert.rejects(aksUp(recordingRunner([]), { resourceGroup: 'rg', name: 'mesh' }), /not logged in .*run `az login`/);
  });

  it('reads add-on state case-insensitively', () => {
    assert.deepEqual([...enabledAddons({ addonProfiles: { OPENSERVICEMESH: { enabled: true } } })], ['open-service-mesh']);
    assert.deepEqual([...enabledAddons({})], []);
  });
});
