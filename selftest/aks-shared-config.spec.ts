// Requirement (issue 19, F15): a run touches nothing it did not create and removes all it created. On aks, the run
// merges its namespaces into the shared Azure Monitor ConfigMap kube-system/container-azm-ms-osmconfig; with
// `--namespaces N` the workers share it, and whichever created it, it is gone once the last one restored it.
// Issue 14 §2: every edit restarts the Azure Monitor agent, so the copies are listed in one edit and taken out in one.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { osmConfigKey, osmConfigToml } from '../harness/mesh/osm/azure-monitor-config.ts';
import type { RequestLogEntry } from './conformance-run.ts';
import { pollUntil, quickBudgets, runCliToEnd, runObjects, testRunId, useTestSim } from './reliability-support.ts';

const dir = join(process.env.MESH_CONFORMANCE_SELFTEST_REPORT_DIR ?? 'reports/selftest', 'aks-shared-config');
const configMap = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'kube-system', name: 'container-azm-ms-osmconfig' } as const;
// One simulated cluster for both tests, one after the other (the second starts from the first's clean state).
test.describe.configure({ mode: 'default' });

/** The writes to the ConfigMap, from the simulator's request log. */
function configMapWrites(): RequestLogEntry[] {
  return readFileSync(sim().requestLog ?? '', 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as RequestLogEntry)
    .filter((e) => e.method !== 'GET')
    .filter((e) => e.path.includes(`/configmaps/${configMap.name}`) || e.created === `${configMap.namespace}/${configMap.name}`);
}

const sim = useTestSim(join(dir, 'sim'), { flavor: 'aks', requestLog: true });

test('aks with --namespaces 2: the Azure Monitor ConfigMap is written once for both copies, and the one write after the run removes it', async () => {
  const la = sim().ready?.logAnalytics;
  expect(la, 'the simulated aks cluster offers a Log Analytics workspace').toBeTruthy();
  expect(await sim().client.read<V1ConfigMap>(configMap, { budgetMs: 10_000 }), 'no ConfigMap before the run').toBeUndefined();
  const runId = testRunId('azm');
  const r = await runCliToEnd(['run', '--target', 'aks', '--context', sim().context, '--kubeconfig', sim().kubeconfig, '--report-dir', join(dir, runId),
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
  // In each copy external-authorization is skipped (the simulated aks cluster has no authorization service),
  // ingress-mtls too (AGIC speaks only HTTP to backends), dapr-invocation (no Dapr there) and canary (no Flagger there).
  expect(r.output).toMatch(/mesh-conformance: \d+ passed, 0 failed, 8 skipped; run passed/);
  expect(await sim().client.read<V1ConfigMap>(configMap, { budgetMs: 10_000 }), 'the ConfigMap the run created').toBeUndefined();
  expect(r.output).toMatch(/cleanup after the run: deleted kube-system\/container-azm-ms-osmconfig, which mesh-conformance created/);
  // Per copy, an edit in and an edit out would be four writes (and four agent restarts on AKS).
  const writes = configMapWrites().map((e) => `${e.method} ${e.status}`);
  expect(writes, 'writes to kube-system/container-azm-ms-osmconfig').toEqual(['POST 201', 'DELETE 200']);
  expect(await runObjects(sim().client, runId)).toEqual([]);
});

test('aks with one namespace and the user\'s own ConfigMap: the run adds its namespace, and its test takes it out again, leaving the user\'s entries', async () => {
  const la = sim().ready?.logAnalytics;
  const user = { [osmConfigKey]: osmConfigToml(['user-ns']), 'schema-version': 'v1', 'config-version': 'ver1' };
  const creates = (): number => configMapWrites().filter((e) => e.method === 'POST').length;
  const createsBefore = creates();
  await sim().client.create<V1ConfigMap>({ ...configMap, metadata: { namespace: configMap.namespace, name: configMap.name }, data: user }, { budgetMs: 10_000 });
  try {
    const runId = testRunId('azm1');
    // The simulator appends to its request log after it answers: count the writes once our own create is in it.
    const before = await pollUntil('the simulator to log the user\'s ConfigMap create', () => Promise.resolve(creates() > createsBefore ? configMapWrites().length : undefined), 10_000);
    const r = await runCliToEnd(['run', '--target', 'aks', '--context', sim().context, '--kubeconfig', sim().kubeconfig, '--report-dir', join(dir, runId),
      '--allow-cluster-change', 'metrics-collection', '--log-analytics-workspace', la?.workspaceId ?? ''], {
      env: {
        ...quickBudgets, MESH_CONFORMANCE_RUN_ID: runId, MESH_CONFORMANCE_LOG_ANALYTICS_ENDPOINT: la?.endpoint ?? '',
        MESH_CONFORMANCE_AZURE_TOKEN_FILE: la?.tokenFile ?? '', MESH_CONFORMANCE_AZURE_CA_FILE: la?.caFile ?? '',
      },
      timeoutMs: 180_000,
    });
    expect(r.code, r.output.slice(-3000)).toBe(0);
    expect((await sim().client.read<V1ConfigMap>(configMap, { budgetMs: 10_000 }))?.data, 'the user\'s ConfigMap, as it was').toEqual(user);
    const writes = configMapWrites().slice(before).map((e) => `${e.method} ${e.status}`);
    expect(writes, 'writes to kube-system/container-azm-ms-osmconfig: the namespace in, then out').toEqual(['PATCH 200', 'PATCH 200']);
    expect(r.output, 'nothing left for the CLI to restore').not.toMatch(/cleanup after the run: .*monitor_namespaces/);
  } finally {
    await sim().client.delete(configMap, { budgetMs: 10_000 });
  }
});
