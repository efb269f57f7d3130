// Requirement (issue 14 §3): `aks-up` enabling monitoring without the InsightsMetrics stream left the metrics check
// unable to ever pass. Pre-flight and `check` now query the workspace for recent InsightsMetrics rows of the
// namespaces Container insights is told to collect, and fail with a hint when pods there have run with the sidecar
// for longer than the metrics budget and no row exists; against the simulated aks cluster, clean and with the fault
// insights-metrics-not-collected (the "Logs and Events" preset).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { expect, test } from '@playwright/test';
import { startSimulator } from '../cli/simulator-process.ts';
import { KubeClient } from '../harness/k8s/kube-client.ts';
import { resourceTypes } from '../harness/k8s/resources.ts';
import { azureMonitorConfigMap, osmConfigKey, osmConfigToml } from '../harness/mesh/osm/azure-monitor-config.ts';
import type { ReadinessReport } from '../harness/readiness/readiness-result.ts';

const root = join(import.meta.dirname, '..');
const budget = { budgetMs: 15_000 };
const lineId = 'metrics/log-analytics-rows';

function cli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['bin/mesh-conformance.js', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** An aks simulator with a namespace onboarded with metrics, one meshed pod in it, listed in the agent's ConfigMap. */
async function scenario(dir: string, faults: string[]) {
  const sim = await startSimulator({ flavor: 'aks', kubeconfig: join(dir, 'kubeconfig'), faults });
  const client = KubeClient.connect({ kubeconfig: sim.ready.kubeconfig, context: sim.ready.context });
  const la = sim.ready.logAnalytics!;
  const env = {
    MESH_CONFORMANCE_LOG_ANALYTICS_ENDPOINT: la.endpoint, MESH_CONFORMANCE_AZURE_TOKEN_FILE: la.tokenFile ?? '', MESH_CONFORMANCE_AZURE_CA_FILE: la.caFile ?? '',
    // Pods count once they have run longer than the metrics budget: 3 s here, 10 minutes by default on aks.
    MESH_CONFORMANCE_METRICS_TIMEOUT: '3s',
  };
  const args = ['--target', 'aks', '--kubeconfig', sim.ready.kubeconfig, '--context', sim.ready.context, '--log-analytics-workspace', la.workspaceId];
  await client.apply({
    apiVersion: 'v1', kind: 'Namespace',
    metadata: { name: 'shop', labels: { 'openservicemesh.io/monitored-by': 'osm' }, annotations: { 'openservicemesh.io/sidecar-injection': 'enabled', 'openservicemesh.io/metrics': 'enabled' } },
  }, budget);
  await client.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'shop' }, spec: { containers: [{ name: 'web', image: 'kennethreitz/httpbin' }] } }, budget);
  await client.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { ...azureMonitorConfigMap }, data: { 'schema-version': 'v1', 'config-version': 'ver1', [osmConfigKey]: osmConfigToml(['shop']) } }, budget);
  await expect.poll(async () => (await client.read<V1Pod>({ ...resourceTypes.pod, namespace: 'shop', name: 'web' }, budget))?.status?.phase, { timeout: 60_000 }).toBe('Running');
  return { sim, client, env, args };
}

const lineOf = (stdout: string) => (JSON.parse(stdout) as ReadinessReport).categories.flatMap((c) => c.lines).find((l) => l.id === lineId);

test.describe('check and pre-flight: recent InsightsMetrics rows of the mesh', () => {
  test.describe.configure({ timeout: 180_000 });

  test('with the InsightsMetrics stream collected, the listed namespace has rows and the line passes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mesh-conformance-insights-'));
    const { sim, env, args } = await scenario(dir, []);
    try {
      await expect(async () => {
        const r = await cli(['check', ...args, '-o', 'json'], env);
        expect(lineOf(r.stdout), r.stdout.slice(-2000)).toMatchObject({ status: 'ok', message: expect.stringMatching(/^\d+ recent InsightsMetrics rows for shop \(1 pod\): Container insights stores the mesh's metrics$/) });
      }).toPass({ timeout: 60_000 });
    } finally {
      await sim.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('fault insights-metrics-not-collected: check fails the line with the hint, and a run is refused at pre-flight', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mesh-conformance-insights-fault-'));
    const { sim, env, args } = await scenario(dir, ['insights-metrics-not-collected']);
    try {
      // Before the pod has run for the budget there is nothing to compare; after, the missing rows are a failure.
      await expect(async () => {
        const r = await cli(['check', ...args, '-o', 'json'], env);
        expect(r.code).toBe(1);
        expect(lineOf(r.stdout), r.stdout.slice(-2000)).toMatchObject({
          status: 'fail',
          message: 'no recent InsightsMetrics rows for shop (1 pod), listed in kube-system/container-azm-ms-osmconfig and running with the sidecar for longer than the metrics budget (3 s): Container insights is not storing the InsightsMetrics stream, so the metrics check cannot pass',
          hint: expect.stringContaining('Microsoft-InsightsMetrics'),
        });
      }).toPass({ timeout: 60_000 });
      const run = await cli(['run', ...args, '--report-dir', join(dir, 'run')], env);
      expect(run.code, run.stdout + run.stderr).toBe(2);
      expect(run.stdout + run.stderr).toContain('no recent InsightsMetrics rows for shop');
    } finally {
      await sim.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
