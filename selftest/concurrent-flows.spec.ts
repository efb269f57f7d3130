// Requirement (issue 17, scale): with more copies of the flow (`--namespaces N`) than workers, each worker runs its
// share as concurrent flows, each in its own namespace; every check of every copy is reported (summary,
// ConformanceReport), a copy's failure is its own (the others go on and pass), a selection (`-- --grep`) still selects, and nothing is left,
// also after Ctrl-C.
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect, test } from '@playwright/test';
import type { KubernetesObject } from '@kubernetes/client-node';
import { runLabelKeys } from '../harness/k8s/run-labels.ts';
import type { TestSim } from './reliability-support.ts';
import { pollUntil, quickBudgets, runCliToEnd, runObjects, startCli, testRunId, useTestSim } from './reliability-support.ts';

test.describe.configure({ mode: 'serial' });

const dir = resolve(process.env.MESH_CONFORMANCE_SELFTEST_REPORT_DIR ?? 'reports/selftest', 'concurrent-flows');
// One worker for three copies, whatever the machine's cores: the flows path, not a worker per copy.
const flowsEnv = { ...quickBudgets, MESH_CONFORMANCE_WORKERS: '1' };

interface ReportFile { core: { statistics: Record<string, number>; tests: { name: string; result: string; copy?: number; reason?: string }[] } }

function readReport(reportDir: string): ReportFile {
  return JSON.parse(readFileSync(join(reportDir, 'conformance-report.json'), 'utf8')) as ReportFile;
}

/** Three copies of the core checks in one worker against `sim`, to the end. */
async function runCoreCopies(sim: TestSim, tag: string) {
  const runId = testRunId(tag);
  const reportDir = join(dir, runId);
  const r = await runCliToEnd(['run', '--target', 'kind', '--kubeconfig', sim.kubeconfig, '--report-dir', reportDir, '--namespaces', '3', '--', '--grep', '@core'],
    { env: { ...flowsEnv, MESH_CONFORMANCE_RUN_ID: runId }, timeoutMs: 240_000 });
  return { runId, reportDir, r };
}

test.describe('on a healthy cluster', () => {
  const simulator = useTestSim(join(dir, 'sim'));

  test('three copies in one worker all pass, each check of each copy is listed, and every namespace is deleted', async () => {
    const sim = simulator();
    const { runId, reportDir, r } = await runCoreCopies(sim, 'flows');
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

test.describe('on a cluster where one namespace cannot pull the sample (fault image-pull-error-one-namespace)', () => {
  const simulator = useTestSim(join(dir, 'sim-fault'), { faults: ['image-pull-error-one-namespace'] });

  test('that copy fails httpbin with its own reason and diagnostics and skips what depends on it; the other copies pass; nothing is left', async () => {
    const sim = simulator();
    const { runId, reportDir, r } = await runCoreCopies(sim, 'flowsfail');
    expect(r.code, r.output.slice(-3000)).toBe(1);
    const failures = [...r.output.matchAll(/✖ httpbin \[(mesh-conformance-\S+)\]: failed \([\d.]+s\): (.*)/g)];
    expect(failures, r.output.slice(-3000)).toHaveLength(1);
    const [, failed = '', message = ''] = failures[0] ?? [];
    expect(message).toMatch(/container httpbin is (ErrImagePull|ImagePullBackOff)/);
    expect(r.output).toContain(`- ingress [${failed}]: skipped, depends on httpbin, which failed`);
    expect(r.output).toContain(`- metrics [${failed}]: skipped, depends on ingress, which was skipped`);
    // The other copies are not held back by it: every core check passes in both.
    const namespaces = [...new Set([...r.output.matchAll(/cleanup: namespace (mesh-conformance-\S+) and/g)].map((m) => m[1] ?? ''))];
    expect(namespaces).toHaveLength(3);
    for (const ns of namespaces.filter((n) => n !== failed)) {
      for (const check of ['namespace', 'httpbin', 'ingress', 'metrics']) expect(r.output, `${check} in ${ns}`).toMatch(new RegExp(`✔ ${check}: .*\\[${ns}\\]`));
    }
    // Only the failed copy's diagnostics, from its own namespace.
    const dirs = readdirSync(join(reportDir, 'diagnostics'));
    expect(dirs, 'diagnostics folders').toHaveLength(1);
    const files = readdirSync(join(reportDir, 'diagnostics', dirs[0] ?? ''));
    expect(dirs[0]).toMatch(/^httpbin-copy[012]$/);
    expect(files.some((f) => f.includes(`pod-status-${failed}`)) && files.some((f) => f.includes(`events-${failed}`)), files.join(', ')).toBe(true);
    expect(readReport(reportDir).core.statistics).toMatchObject({ passed: 9, failed: 1, skipped: 2 });
    expect(r.output).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/); // no stack trace
    expect(await runObjects(sim.client, runId), 'objects of the run left in the cluster').toEqual([]);
  });
});
