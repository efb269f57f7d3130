/**
 * The config file `sim` writes next to its kubeconfig, so that `run --config <file>` checks the simulated cluster as
 * the real target it imitates (`--target kind` or `--target aks`), pre-flight included, with the metrics source the
 * flavor offers (the simulated Log Analytics workspace or managed Prometheus, their token and CA files) and no value
 * to copy by hand from the ready line.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import type { SimulatorReady } from './simulator-process.ts';

/** The config file's values for a simulator that announced `ready`. */
export function simulatorConfig(ready: SimulatorReady): Record<string, unknown> {
  const target = ready.flavor === 'aks' ? 'aks' : 'kind';
  const la = ready.logAnalytics;
  const mp = ready.managedPrometheus;
  return {
    target,
    kubeconfig: ready.kubeconfig,
    context: ready.context,
    ...(ready.mesh ? { mesh: ready.mesh } : {}),
    ...(la ? {
      logAnalyticsWorkspace: la.workspaceId, logAnalyticsEndpoint: la.endpoint,
      ...(la.tokenFile ? { azureTokenFile: la.tokenFile } : {}), ...(la.caFile ? { azureCaFile: la.caFile } : {}),
      // The run adds its namespace to Container insights' ConfigMap (and restores it): a cluster-wide change, opted in.
      allowClusterChanges: ['metrics-collection'],
    } : {}),
    ...(!la && mp ? {
      prometheusUrl: mp.endpoint,
      ...(mp.tokenFile ? { prometheusTokenFile: mp.tokenFile } : {}), ...(mp.caFile ? { prometheusCaFile: mp.caFile } : {}),
      ...(mp.cluster ? { metricsCluster: mp.cluster } : {}),
    } : {}),
  };
}

/** Writes `mesh-conformance.config.yaml` next to the kubeconfig and returns its path. */
export function writeSimulatorConfig(ready: SimulatorReady): string {
  const file = join(dirname(ready.kubeconfig), 'mesh-conformance.config.yaml');
  const values = simulatorConfig(ready);
  const header = `# Written by \`mesh-conformance sim\`: checks this simulated cluster as target ${String(values.target)}, pre-flight included.\n`
    + `# mesh-conformance run --config ${file}\n`;
  writeFileSync(file, header + stringify(values), { mode: 0o600 });
  return file;
}
