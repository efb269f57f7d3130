// Requirement (issue 17, scale): with more copies of the flow (`--namespaces N`) than workers, each worker runs its
// share as concurrent flows, each in its own namespace; every check of every copy is reported (summary,
// ConformanceReport), a copy's failure is its own, a selection (`-- --grep`) still selects, and nothing is left,
// also after Ctrl-C.
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect, test } from '@playwright/test';
import type { KubernetesObject } from '@kubernetes/client-node';
import { runLabelKeys } from '../harness/k8s/run-labels.ts';
import { pollUntil, quickBudgets, runCliToEnd, runObjects, startCli, testRunId, useTestSim } from './reliability-support.ts';

test.describe.configure({ mode: 'serial' });

const dir = resolve(process.env.MESH_CONFORMANCE_SELFTEST_REPORT_DIR ?? 'reports/selftest', 'concurrent-flows');
// One worker for three copies, whatever the machine's cores: the flows path, not a worker per copy.
const flowsEnv = { ...quickBudgets, MESH_CONFORMANCE_WORKERS: '1' };

interface ReportFile { core: { statistics: Record<string, number>; tests: { name: string; result: string; copy?: number; reason?: string }[] } }

function readReport(reportDir: string): ReportFile {
  return JSON.parse(readFileSync(join(reportDir, 'conformance-report.json'), 'utf8')) as ReportFile;
}

test.describe('on a healthy cluster', () => {
  const simulator = useTestSim(join(dir, 'sim'));

  test('three copies in one worker all pass, each check of each copy is listed, and every namespace is deleted', async () => {
    const sim = simulator();
    const runId = testRunId('flows');
    const reportDir = join(dir, runId);
    const r = await runCliToEnd(['run', '--target', 'kind', '--kubeconfig', sim.kubeconfig, '--report-dir', reportDir, '--namespaces', '3', '--', '--grep', '@core'],
      { env: { ...flowsEnv, MESH_CONFORMANCE_RUN_ID: runId }, timeoutMs: 240_000 });
    expect(r.code, r.output.slice(-3000)).toBe(0);
    const namespaces = [...new Set([...r.output.matchAll(/cleanup: namespace (mesh-conformance-\S+) and/g)].map((m) => m[1]))];
    expect(namespaces, 'three namespaces, each deleted').toHaveLength(3);
    for (const check of ['namespace', 'httpbin', 'ingress', 'metrics']) {
      for (const ns of namespaces) expect(r.output, `${check} in ${ns}`).toMatch(new RegExp(`✔ ${check}: .*\\[${ns}\\]`));
    }
    // The selection held: no extended check ran or is listed as skipped.
    expect(r.output).not.toMatch(/workload-identity|canary/);
    expect(r.output).toContain('mesh-conformance: 12 passed, 0 failed, 0 skipped; run passed');
    expect(readReport(reportDir).core.statistics).toMatchObject({ passed: 12, failed: 0, skipped: 0 });
    // Playwright's own report has the one flows test, with a step per check and copy.
    const results = JSON.parse(readFileSync(join(reportDir, 'results.json'), 'utf8')) as { stats: { expected: number; unexpected: number } };
    expect(results.stats).toMatchObject({ expected: 1, unexpected: 0 });
    expect(await runObjects(sim.client, runId), 'objects of the run left in the cluster').toEqual([]);
  });

  test('Ctrl-C while the copies roll out: exit 130, every copy\'s namespace deleted', async () => {
    const sim = simulator();
    const runId = testRunId('flowsint');
    const run = startCli(['run', '--target', 'kind', '--kubeconfig', sim.kubeconfig, '--report-dir', join(dir, runId), '--namespaces', '3'],
      { env: { ...flowsEnv, MESH_CONFORMANCE_RUN_ID: runId } });
    // All three copies have applied their Deployment: the flows are mid-check.
    await pollUntil('the three copies to apply their Deployments', async () => {
      const list = await sim.client.list<KubernetesObject>({ apiVersion: 'apps/v1', kind: 'Deployment' }, { labelSelector: `${runLabelKeys.runId}=${runId}` }, { budgetMs: 10_000 });
      return list.items.length >= 3 ? list.items : undefined;
    }, 90_000);
    run.child.kill('SIGINT');
    const ended = await run.ended;
    expect(ended.code, run.output().slice(-3000)).toBe(130);
    expect(await runObjects(sim.client, runId), 'objects of the run left in the cluster').toEqual([]);
    expect(run.output()).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/); // no stack trace
  });
});

test.describe('on a cluster where the sample cannot start', () => {
  const simulator = useTestSim(join(dir, 'sim-fault'), { faults: ['image-pull-error'] });

  test('each copy fails httpbin with its own reason and diagnostics, skips what depends on it, and leaves nothing', async () => {
    const sim = simulator();
    const runId = testRunId('flowsfail');
    const reportDir = join(dir, runId);
    const r = await runCliToEnd(['run', '--target', 'kind', '--kubeconfig', sim.kubeconfig, '--report-dir', reportDir, '--namespaces', '3'],
      { env: { ...flowsEnv, MESH_CONFORMANCE_RUN_ID: runId }, timeoutMs: 240_000 });
    expect(r.code, r.output.slice(-3000)).toBe(1);
    const failures = [...r.output.matchAll(/✖ httpbin \[(mesh-conformance-\S+)\]: failed \([\d.]+s\): (.*)/g)];
    expect(failures, r.output.slice(-3000)).toHaveLength(3);
    for (const [, ns, message] of failures) expect(message, ns).toMatch(/container httpbin is (ErrImagePull|ImagePullBackOff)/);
    expect(r.output.match(/- ingress \[mesh-conformance-\S+\]: skipped, depends on httpbin, which failed/g)).toHaveLength(3);
    // Each copy's diagnostics are its own: the events and pod status of its namespace.
    const failedNamespaces = failures.map((f) => f[1] ?? '');
    for (const copy of [0, 1, 2]) {
      const files = readdirSync(join(reportDir, 'diagnostics', `httpbin-copy${copy}`));
      const ns = failedNamespaces.find((n) => files.some((f) => f.includes(`pod-status-${n}`)));
      expect(ns, `diagnostics of copy ${copy}: ${files.join(', ')}`).toBeTruthy();
      expect(files.some((f) => f.includes(`events-${ns}`)), `events of ${ns}`).toBe(true);
    }
    expect(readReport(reportDir).core.statistics).toMatchObject({ passed: 3, failed: 3, skipped: 6 });
    expect(r.output).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/); // no stack trace
    expect(await runObjects(sim.client, runId), 'objects of the run left in the cluster').toEqual([]);
  });
});
