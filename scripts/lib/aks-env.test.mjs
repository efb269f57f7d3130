// The az command lines aks-up composes, checked without the Azure CLI.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { aksUp, amaMetricsConfigMap, dataCollectionSettings, enabledAddons, offeredRevisions } from './aks-env.mjs';
import { dryRunner, recordingRunner } from './runner.mjs';

/** @type {import('./runner.mjs').Answer} */
const loggedIn = ['az account show --output none', {}];
const target = '--resource-group rg --name mesh';
const showLine = `az aks show ${target} --output json`;

/** A writeFile that keeps what aks-up would hand to az. */
const files = () => {
  /** @type {Record<string, string>} */
  const written = {};
  return { written, writeFile: (/** @type {string} */ name, /** @type {string} */ text) => { written[name] = text; return `/tmp/t/${name}`; } };
};

/** Collects what a runner prints. */
const sink = () => {
  let text = '';
  return { write: (/** @type {string} */ s) => { text += s; return true; }, get text() { return text; } };
};

describe('aks-up (osm)', () => {
  it('creates the cluster with the three add-ons only when asked to, Container insights collecting InsightsMetrics', async () => {
    const r = recordingRunner([loggedIn]);
    const f = files();
    await aksUp(r, { resourceGroup: 'rg', name: 'mesh', create: true, writeFile: f.writeFile });
    assert.deepEqual(r.commands, [
      'az group create --name rg --location westeurope --output none',
      `az aks create ${target} --location westeurope --node-count 2 --network-plugin azure --enable-addons open-service-mesh,ingress-appgw,monitoring --appgw-name mesh-appgw --appgw-subnet-cidr 10.225.0.0/16 --data-collection-settings /tmp/t/data-collection-settings.json --generate-ssh-keys --output none`,
      `az aks get-credentials ${target} --context mesh --overwrite-existing`,
    ]);
    const settings = JSON.parse(f.written['data-collection-settings.json'] ?? '{}');
    assert.deepEqual(settings, dataCollectionSettings());
    assert.ok(settings.streams.includes('Microsoft-InsightsMetrics'), 'the table the sidecar metrics land in');
    assert.ok(settings.streams.includes('Microsoft-ContainerLogV2'), 'the default streams stay');
    await assert.rejects(aksUp(recordingRunner([loggedIn]), { resourceGroup: 'rg', name: 'mesh' }), /AKS cluster mesh not found in resource group rg: check the names, or pass --create/);
  });

  it('--dry-run without --create still prints the create commands, and says a real run would stop', async () => {
    const out = sink();
    await aksUp(dryRunner({ out }), { resourceGroup: 'rg', name: 'mesh' });
    assert.match(out.text, /^\(dry run: cluster mesh is taken as absent; a real run creates it only with --create, and otherwise stops here\)$/m);
    assert.match(out.text, /^\+ az group create --name rg --location westeurope --output none$/m);
    assert.match(out.text, /^\+ az aks create --resource-group rg --name mesh .*--enable-addons open-service-mesh,ingress-appgw,monitoring .*--data-collection-settings \S+data-collection-settings\.json /m);
    assert.match(out.text, /^\(would write data-collection-settings\.json: \{.*"Microsoft-InsightsMetrics".*\}\)$/m);
  });

  it('on an existing cluster enables only the missing add-ons, with their arguments', async () => {
    const show = { addonProfiles: { openServiceMesh: { enabled: true }, ingressApplicationGateway: { enabled: false }, omsagent: { enabled: false } } };
    const r = recordingRunner([loggedIn, [showLine, { stdout: JSON.stringify(show) }]]);
    const f = files();
    await aksUp(r, { resourceGroup: 'rg', name: 'mesh', workspaceResourceId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/w', context: 'aks-mesh', writeFile: f.writeFile });
    assert.deepEqual(r.commands, [
      `az aks enable-addons ${target} --addons ingress-appgw --appgw-name mesh-appgw --appgw-subnet-cidr 10.225.0.0/16 --output none`,
      `az aks enable-addons ${target} --addons monitoring --workspace-resource-id /subscriptions/s/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/w --data-collection-settings /tmp/t/data-collection-settings.json --output none`,
      `az aks get-credentials ${target} --context aks-mesh --overwrite-existing`,
    ]);
    assert.ok(r.said.includes('add-on open-service-mesh is enabled (OSM control plane in kube-system): keeping it'));
  });

  it('is idempotent: nothing to enable on a ready cluster; prints the workspace id for the metrics check', async () => {
    const show = { location: 'westeurope', addonProfiles: { openServiceMesh: { enabled: true }, IngressApplicationGateway: { enabled: true }, omsAgent: { enabled: true } } };
    const dcr = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Insights/dataCollectionRules/MSCI-westeurope-mesh';
    const r = recordingRunner([loggedIn, [showLine, { stdout: JSON.stringify(show) }],
      [/^az resource list --resource-group rg --resource-type Microsoft.Insights\/dataCollectionRules /, { stdout: JSON.stringify([dcr, '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Insights/dataCollectionRules/MSCI-westeurope-other']) }],
      [new RegExp(`^az resource show --ids ${dcr} --query \\S+ --output json$`), { stdout: '["Microsoft-ContainerLogV2","Microsoft-InsightsMetrics"]' }],
      [/--query addonProfiles\.omsagent\.config\.logAnalyticsWorkspaceResourceID/, { stdout: '/subscriptions/s/w\n' }],
      ['az monitor log-analytics workspace show --ids /subscriptions/s/w --query customerId --output tsv', { stdout: '1111-2222\n' }]]);
    const res = await aksUp(r, { resourceGroup: 'rg', name: 'mesh' });
    assert.deepEqual(r.commands, [`az aks get-credentials ${target} --context mesh --overwrite-existing`]);
    assert.ok(!r.calls.some((c) => c.line.includes('MSCI-westeurope-other')), 'only the cluster\'s own rule is read');
    assert.ok(r.said.includes('Container insights collects Microsoft-InsightsMetrics (the table the sidecar metrics land in)'));
    assert.equal(res.workspaceId, '1111-2222');
    assert.equal(r.said.at(-1), 'next: npx mesh-conformance run --target aks --context mesh --log-analytics-workspace 1111-2222');
  });

  it('warns, with the fix, when Container insights was enabled without InsightsMetrics ("Logs and Events")', async () => {
    const show = { addonProfiles: { openServiceMesh: { enabled: true }, ingressApplicationGateway: { enabled: true }, omsagent: { enabled: true } } };
    const r = recordingRunner([loggedIn, [showLine, { stdout: JSON.stringify(show) }],
      [/^az resource list /, { stdout: '["/s/rg/providers/Microsoft.Insights/dataCollectionRules/MSCI-westeurope-mesh"]' }],
      [/^az resource show /, { stdout: '["Microsoft-ContainerLogV2","Microsoft-KubeEvents","Microsoft-KubePodInventory"]' }]]);
    await aksUp(r, { resourceGroup: 'rg', name: 'mesh' });
    assert.ok(r.said.includes('warning: Container insights does not collect Microsoft-InsightsMetrics (streams: Microsoft-ContainerLogV2, Microsoft-KubeEvents, Microsoft-KubePodInventory), '
      + 'so the metrics check cannot pass: az aks disable-addons --addons monitoring -g rg -n mesh, then run aks-up again (it enables monitoring with the InsightsMetrics stream)'));
    assert.deepEqual(r.commands, [`az aks get-credentials ${target} --context mesh --overwrite-existing`], 'read-only: nothing is disabled by surprise');
  });

  it('--ingress agc: creates the cluster with the Gateway API and ALB controller add-ons instead of AGIC, then the ApplicationLoadBalancer', async () => {
    const r = recordingRunner([loggedIn,
      [`az aks show ${target} --query nodeResourceGroup --output tsv`, { stdout: 'MC_rg_mesh_westeurope\n' }],
      ["az network vnet list --resource-group MC_rg_mesh_westeurope --query $'[0].name' --output tsv", { stdout: 'aks-vnet-1\n' }],
      ['az network vnet subnet show --resource-group MC_rg_mesh_westeurope --vnet-name aks-vnet-1 --name aks-appgateway --query id --output tsv', { stdout: '/subscriptions/s/subnets/aks-appgateway\n' }]]);
    const f = files();
    await aksUp(r, { resourceGroup: 'rg', name: 'mesh', create: true, ingress: 'agc', writeFile: f.writeFile });
    assert.deepEqual(r.commands, [
      'az group create --name rg --location westeurope --output none',
      'az provider register --namespace Microsoft.ServiceNetworking',
      'az extension add --name alb --upgrade --output none',
      'az extension add --name aks-preview --upgrade --output none',
      'az feature register --namespace Microsoft.ContainerService --name ManagedGatewayAPIPreview --output none',
      'az feature register --namespace Microsoft.ContainerService --name ApplicationLoadBalancerPreview --output none',
      `az aks create ${target} --location westeurope --node-count 2 --network-plugin azure --enable-addons open-service-mesh,monitoring --data-collection-settings /tmp/t/data-collection-settings.json --enable-oidc-issuer --enable-workload-identity --enable-gateway-api --enable-application-load-balancer --generate-ssh-keys --output none`,
      `az aks get-credentials ${target} --context mesh --overwrite-existing`,
      'kubectl --context mesh apply -f -',
      'kubectl --context mesh wait --for=condition=Deployment applicationloadbalancer/alb-test -n alb-test-infra --timeout=15m',
    ]);
    const applied = r.calls.find((c) => c.line === 'kubectl --context mesh apply -f -')?.input ?? '';
    assert.deepEqual(applied.split('---\n').map((d) => parse(d)), [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'alb-test-infra' } },
      { apiVersion: 'alb.networking.azure.io/v1', kind: 'ApplicationLoadBalancer', metadata: { namespace: 'alb-test-infra', name: 'alb-test' }, spec: { associations: ['/subscriptions/s/subnets/aks-appgateway'] } },
    ]);
    assert.equal(r.said.at(-1), 'next: npx mesh-conformance run --target aks --context mesh --ingress agc --log-analytics-workspace <workspace id>');
  });

  it('--ingress agc on an existing cluster: workload identity and the add-ons only when off; stops with what to do when the subnet is missing', async () => {
    const show = { addonProfiles: { openServiceMesh: { enabled: true }, omsagent: { enabled: true } }, securityProfile: { workloadIdentity: { enabled: true } } };
    const r = recordingRunner([loggedIn, [showLine, { stdout: JSON.stringify(show) }]]);
    await assert.rejects(aksUp(r, { resourceGroup: 'rg', name: 'mesh', ingress: 'agc' }), /no subnet aks-appgateway in the cluster's VNet .*ApplicationLoadBalancer alb-test-infra\/alb-test/);
    assert.ok(r.commands.includes(`az aks update ${target} --enable-gateway-api --enable-application-load-balancer --output none`));
    assert.ok(!r.commands.some((c) => c.includes('--enable-workload-identity')), 'workload identity is already on');
    assert.ok(!r.commands.some((c) => c.includes('ingress-appgw')), 'no AGIC with agc');

    const ready = { ...show, ingressProfile: { applicationLoadBalancer: { enabled: true } } };
    const again = recordingRunner([loggedIn, [showLine, { stdout: JSON.stringify(ready) }]]);
    await assert.rejects(aksUp(again, { resourceGroup: 'rg', name: 'mesh', ingress: 'agc' }), /no subnet aks-appgateway/);
    assert.ok(!again.commands.some((c) => c.startsWith('az aks update') || c.startsWith('az feature')), 'nothing to enable');
    assert.ok(again.said.includes('add-on application-load-balancer is enabled (Application Gateway for Containers ALB controller): keeping it'));
  });

  it('stops with a hint when az is not logged in', async () => {
    await assert.rejects(aksUp(recordingRunner([]), { resourceGroup: 'rg', name: 'mesh' }), /not logged in .*run `az login`/);
  });

  it('reads add-on state case-insensitively', () => {
    assert.deepEqual([...enabledAddons({ addonProfiles: { OPENSERVICEMESH: { enabled: true } } })], ['open-service-mesh']);
    assert.deepEqual([...enabledAddons({})], []);
  });
});

describe('aks-up --mesh istio', () => {
  const revisions = {
    meshRevisions: [
      { revision: 'asm-1-29', upgrades: ['asm-1-30'], compatibleWith: [{ name: 'kubernetes', versions: ['1.31', '1.32', '1.33', '1.34', '1.35', '1.36'] }] },
      { revision: 'asm-1-30', upgrades: [], compatibleWith: [{ name: 'kubernetes', versions: ['1.32', '1.33', '1.34', '1.35', '1.36'] }] },
      { revision: 'asm-1-28', upgrades: ['asm-1-29'], compatibleWith: [{ name: 'kubernetes', versions: ['1.30', '1.31', '1.32', '1.33'] }] },
    ],
  };
  const workspace = { id: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Monitor/accounts/mesh-amw', metrics: { prometheusQueryEndpoint: 'https://mesh-amw-abcd.westeurope.prometheus.monitor.azure.com' } };
  const bare = { location: 'westeurope', currentKubernetesVersion: '1.33.2', addonProfiles: {} };

  it('enables the newest revision the region offers, the external gateway, managed Prometheus with a new workspace and the scrape config', async () => {
    const r = recordingRunner([loggedIn, [showLine, { stdout: JSON.stringify(bare) }],
      ['az aks mesh get-revisions --location westeurope --output json', { stdout: JSON.stringify(revisions) }],
      [/^az monitor account show --name mesh-amw --resource-group rg --output json$/, { ok: false }]]);
    // The second `az monitor account show` (after create) answers with the workspace.
    let shows = 0;
    const query = r.query.bind(r);
    r.query = async (cmd, args) => {
      const res = await query(cmd, args);
      if (args.slice(0, 3).join(' ') === 'monitor account show' && (shows += 1) === 2) return { ok: true, stdout: JSON.stringify(workspace), stderr: '' };
      return res;
    };
    const res = await aksUp(r, { resourceGroup: 'rg', name: 'mesh', mesh: 'istio' });
    assert.deepEqual(r.commands, [
      `az aks mesh enable ${target} --revision asm-1-30 --output none`,
      `az aks mesh enable-ingress-gateway ${target} --ingress-gateway-type external --output none`,
      'az monitor account create --name mesh-amw --resource-group rg --location westeurope --output none',
      `az aks update ${target} --enable-azure-monitor-metrics --azure-monitor-workspace-resource-id ${workspace.id} --output none`,
      `az aks get-credentials ${target} --context mesh --overwrite-existing`,
      'kubectl --context mesh apply -f -',
    ]);
    assert.ok(!r.commands.some((c) => /enable-addons|open-service-mesh|ingress-appgw/.test(c)), 'no OSM, AGIC or Container insights');
    assert.equal(res.revision, 'asm-1-30');
    assert.equal(res.prometheusQueryEndpoint, workspace.metrics.prometheusQueryEndpoint);
    assert.ok(r.said.includes(`Prometheus query endpoint of the Azure Monitor workspace: ${workspace.metrics.prometheusQueryEndpoint} (your login needs Monitoring Data Reader on the workspace)`));
    assert.match(r.said.at(-1) ?? '', /^next: MESH_CONFORMANCE_PROMETHEUS_TOKEN=\$\(az account get-access-token --resource https:\/\/prometheus\.monitor\.azure\.com .*\) npx mesh-conformance run --target aks --mesh istio --context mesh --mesh-revision asm-1-30 --prometheus-url https:\/\/mesh-amw-abcd/);
  });

  it('applies ama-metrics-prometheus-config in kube-system with the Istio scrape job', async () => {
    const r = recordingRunner([loggedIn, [showLine, { stdout: JSON.stringify(bare) }], [/get-revisions/, { stdout: JSON.stringify(revisions) }],
      [/^az monitor account show /, { stdout: JSON.stringify(workspace) }]]);
    await aksUp(r, { resourceGroup: 'rg', name: 'mesh', mesh: 'istio' });
    const input = r.calls.find((c) => c.line === 'kubectl --context mesh apply -f -')?.input ?? '';
    assert.equal(input, amaMetricsConfigMap());
    /** @type {{ metadata: { name: string, namespace: string }, data: Record<string, string> }} */
    const cm = parse(input);
    assert.deepEqual(cm.metadata, { name: 'ama-metrics-prometheus-config', namespace: 'kube-system' });
    const config = parse(cm.data['prometheus-config'] ?? '');
    assert.equal(config.global.scrape_interval, '30s');
    assert.equal(config.scrape_configs[0].job_name, 'workload');
    assert.deepEqual(config.scrape_configs[0].kubernetes_sd_configs, [{ role: 'endpoints' }]);
    assert.deepEqual(config.scrape_configs[0].relabel_configs[2], { source_labels: ['__address__', '__meta_kubernetes_pod_annotation_prometheus_io_port'], action: 'replace', regex: '([^:]+)(?::\\d+)?;(\\d+)', replacement: '$1:$2', target_label: '__address__' });
    assert.ok(!r.commands.some((c) => c.startsWith('az monitor account create')), 'an existing workspace is used');
  });

  it('honours --revision and an existing workspace by resource id', async () => {
    const r = recordingRunner([loggedIn, [showLine, { stdout: JSON.stringify(bare) }], [`az monitor account show --ids ${workspace.id} --output json`, { stdout: JSON.stringify(workspace) }]]);
    await aksUp(r, { resourceGroup: 'rg', name: 'mesh', mesh: 'istio', revision: 'asm-1-29', azureMonitorWorkspaceResourceId: workspace.id });
    assert.ok(!r.calls.some((c) => c.line.includes('get-revisions')), 'no lookup when --revision is given');
    assert.equal(r.commands[0], `az aks mesh enable ${target} --revision asm-1-29 --output none`);
    assert.ok(r.commands.includes(`az aks update ${target} --enable-azure-monitor-metrics --azure-monitor-workspace-resource-id ${workspace.id} --output none`));
  });

  it('is idempotent: keeps the enabled mesh, gateway and managed Prometheus', async () => {
    const ready = {
      ...bare,
      serviceMeshProfile: { mode: 'Istio', istio: { revisions: ['asm-1-29', 'asm-1-30'], components: { ingressGateways: [{ mode: 'External', enabled: true }] } } },
      azureMonitorProfile: { metrics: { enabled: true } },
    };
    const r = recordingRunner([loggedIn, [showLine, { stdout: JSON.stringify(ready) }], [/^az monitor account show /, { stdout: JSON.stringify(workspace) }]]);
    const res = await aksUp(r, { resourceGroup: 'rg', name: 'mesh', mesh: 'istio' });
    assert.deepEqual(r.commands, [`az aks get-credentials ${target} --context mesh --overwrite-existing`, 'kubectl --context mesh apply -f -']);
    assert.equal(res.revision, 'asm-1-30', 'the newest enabled revision (a canary upgrade has two)');
    assert.ok(r.said.includes('Istio add-on is enabled (revisions asm-1-29, asm-1-30): keeping it'));
    assert.ok(r.said.includes('Azure Monitor managed Prometheus is enabled: keeping it'));
  });

  it('creates a plain cluster with --create, then the same steps', async () => {
    const r = recordingRunner([loggedIn, [/get-revisions/, { stdout: JSON.stringify(revisions) }], [/^az monitor account show /, { stdout: JSON.stringify(workspace) }]]);
    await aksUp(r, { resourceGroup: 'rg', name: 'mesh', mesh: 'istio', create: true, location: 'eastus' });
    assert.deepEqual(r.commands.slice(0, 3), [
      'az group create --name rg --location eastus --output none',
      `az aks create ${target} --location eastus --node-count 2 --generate-ssh-keys --output none`,
      `az aks mesh enable ${target} --revision asm-1-30 --output none`,
    ]);
  });

  it('stops when the region offers no revision for the cluster\'s Kubernetes', async () => {
    const old = { ...bare, currentKubernetesVersion: '1.29.9' };
    const r = recordingRunner([loggedIn, [showLine, { stdout: JSON.stringify(old) }], [/get-revisions/, { stdout: JSON.stringify(revisions) }]]);
    await assert.rejects(aksUp(r, { resourceGroup: 'rg', name: 'mesh', mesh: 'istio' }), /no Istio add-on revision offered in westeurope for Kubernetes 1\.29: see az aks mesh get-revisions --location westeurope -o table, or pass --revision asm-X-Y/);
  });

  it('orders revisions newest first and keeps those compatible with the cluster', () => {
    assert.deepEqual(offeredRevisions(revisions), ['asm-1-30', 'asm-1-29', 'asm-1-28']);
    assert.deepEqual(offeredRevisions(revisions, 31), ['asm-1-29', 'asm-1-28']);
    assert.deepEqual(offeredRevisions({ properties: { meshRevisions: [{ revision: 'asm-1-9' }, { revision: 'asm-1-10' }] } }, 33), ['asm-1-10', 'asm-1-9']);
    const lts = { meshRevisions: [{ revision: 'asm-1-25', compatibleWith: [{ name: 'KubernetesOfficial', versions: ['1.30'] }, { name: 'AKSLongTermSupport', versions: ['1.28'] }] }] };
    assert.deepEqual(offeredRevisions(lts, 28, 'AKSLongTermSupport'), ['asm-1-25']);
    assert.deepEqual(offeredRevisions(lts, 28), []);
    assert.deepEqual(offeredRevisions(undefined), []);
  });
});
