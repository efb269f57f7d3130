// Requirement (issue 19, F15): a run touches nothing it did not create and removes all it created. On aks, the run
// merges its namespaces into the shared Azure Monitor ConfigMap kube-system/container-azm-ms-osmconfig; with
// `--namespaces N` the workers share it, and whichever created it, it is gone once the last one restored it.
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import type { V1ConfigMap } from '@kubernetes/client-node';
import type { TestSim } from './reliability-support.ts';
import { quickBudgets, runCliToEnd, runObjects, startTestSim, testRunId } from './reliability-support.ts';

const dir = join(process.env.MESH_CONFORMANCE_SELFTEST_REPORT_DIR ?? 'reports/selftest', 'aks-shared-config');
const configMap = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'kube-system', name: 'container-azm-ms-osmconfig' } as const;
let sim: TestSim;

test.beforeAll(async () => {
  sim = await startTestSim(join(dir, 'sim'), { flavor: 'aks' });
});
test.afterAll(async () => {
  await sim?.stop();
});

test('aks with --namespaces 2: the Azure Monitor ConfigMap the run created is gone afterwards', async () => {
  const la = sim.ready?.logAnalytics;
  expect(la, 'the simulated aks cluster offers a Log Analytics workspace').toBeTruthy();
  expect(await sim.client.read<V1ConfigMap>(configMap, { budgetMs: 10_000 }), 'no ConfigMap before the run').toBeUndefined();
  const runId = testRunId('azm');
  const r = await runCliToEnd(['run', '--target', 'aks', '--context', sim.context, '--kubeconfig', sim.kubeconfig, '--report-dir', join(dir, runId),
    '--namespaces', '2', '--allow-cluster-change', 'metrics-collection', '--log-analytics-workspace', la?.workspaceId ?? ''], {
    env: {
      ...quickBudgets, MESH_CONFORMANCE_RUN_ID: runId, MESH_CONFORMANCE_LOG_ANALYTICS_ENDPOINT: la?.endpoint ?? '',
      MESH_CONFORMANCE_AZURE_TOKEN_FILE: la?.tokenFile ?? '', MESH_CONFORMANCE_AZURE_CA_FILE: la?.caFile ?? '',
    },
    timeoutMs: 180_000,
  });
  expect(r.code, r.output.slice(-3000)).toBe(0);
  // Two copies of the flow: 8 core checks passed (extended ones, where the cluster has their feature, come on top).
  expect(r.output).toMatch(/^core: 8 passed, 0 failed, 0 skipped \(success\)$/m);
  // external-authorization is skipped in each copy: the simulated aks cluster has no authorization service.
  expect(r.output).toMatch(/mesh-conformance: \d+ passed, 0 failed, 2 skipped; run passed/);
  expect(await sim.client.read<V1ConfigMap>(configMap, { budgetMs: 10_000 }), 'the ConfigMap the run created').toBeUndefined();
  expect(await runObjects(sim.client, runId)).toEqual([]);
});
