import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configFileLayer } from '../harness/config/config-file.ts';
import { simulatorConfig } from './sim-config-file.ts';

describe('the config file `sim` writes', () => {
  it('checks a simulated aks cluster as target aks, with its Log Analytics workspace, token and CA, collection opted in', () => {
    const values = simulatorConfig({
      kubeconfig: '/r/kubeconfig', context: 'mesh-conformance-sim-aks', server: 'https://127.0.0.1:1', flavor: 'aks', mesh: 'osm',
      logAnalytics: { endpoint: 'https://127.0.0.1:2/v1', workspaceId: 'ws', tokenFile: '/r/azure-token', caFile: '/r/azure-ca.crt' },
    });
    assert.deepEqual(values, {
      target: 'aks', kubeconfig: '/r/kubeconfig', context: 'mesh-conformance-sim-aks', mesh: 'osm',
      logAnalyticsWorkspace: 'ws', logAnalyticsEndpoint: 'https://127.0.0.1:2/v1', azureTokenFile: '/r/azure-token', azureCaFile: '/r/azure-ca.crt',
      allowClusterChanges: ['metrics-collection'],
    });
    // Every key is one the config file accepts (an unknown key would be exit 2 for the user).
    assert.doesNotThrow(() => configFileLayer('/r/mesh-conformance.config.yaml', values));
  });

  it('uses managed Prometheus on the simulated Istio add-on and plain kind otherwise', () => {
    const istio = simulatorConfig({
      kubeconfig: '/r/k', context: 'c', server: 's', flavor: 'aks', mesh: 'istio',
      managedPrometheus: { endpoint: 'https://127.0.0.1:3', tokenFile: '/r/t', caFile: '/r/ca', cluster: 'sim-aks' },
    });
    assert.deepEqual(istio, { target: 'aks', kubeconfig: '/r/k', context: 'c', mesh: 'istio', prometheusUrl: 'https://127.0.0.1:3', prometheusTokenFile: '/r/t', prometheusCaFile: '/r/ca', metricsCluster: 'sim-aks' });
    assert.doesNotThrow(() => configFileLayer('/r/c.yaml', istio));
    assert.deepEqual(simulatorConfig({ kubeconfig: '/r/k', context: 'c', server: 's', flavor: 'kind', mesh: 'osm' }), { target: 'kind', kubeconfig: '/r/k', context: 'c', mesh: 'osm' });
  });
});
