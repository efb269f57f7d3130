// Requirement (issue 16 §4): fan-out across clusters from one runner. Three simulated clusters at once (three
// `mesh-conformance sim` processes, one with a fault that breaks the mesh), their kubeconfigs merged into one file with
// three contexts; `run --context … --context … --context …` checks them concurrently, each with its own run id,
// namespace and report folder, and the aggregate (terminal table, fleet-report.json, fleet-report.html) gives per
// cluster the mesh and version, the verdict, the failing check, the duration; exit 1. A cluster that cannot be
// checked (nothing listens at its API server) makes it exit 2 with the reason in the table. Interrupting the fan-out
// cleans every cluster (exit 130, nothing left).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { parse, stringify } from 'yaml';
import { pollUntil, quickBudgets, runCliToEnd, runObjects, startCli, startTestSim } from './reliability-support.ts';
import type { TestSim } from './reliability-support.ts';

type Kubeconfig = { clusters: { name: string; cluster: Record<string, unknown> }[]; users: { name: string; user: Record<string, unknown> }[]; contexts: { name: string; context: Record<string, unknown> }[] };
type FleetJson = { exitCode: number; summary: Record<string, number>; clusters: { context: string; reportDir: string; verdict: string; mesh: string | null; meshVersion: string | null; failingChecks: string[]; reason: string | null; runId: string | null; durationSeconds: number }[] };

/** One kubeconfig with a context per simulated cluster (named `names`), plus extra raw entries. */
function mergeKubeconfigs(file: string, sims: TestSim[], names: string[], extra: { name: string; server: string }[] = []): void {
  const merged: Kubeconfig & Record<string, unknown> = { apiVersion: 'v1', kind: 'Config', clusters: [], users: [], contexts: [], 'current-context': names[0] };
  sims.forEach((sim, i) => {
    const kc = parse(readFileSync(sim.kubeconfig, 'utf8')) as Kubeconfig;
    const name = names[i] ?? `c${i}`;
    merged.clusters.push({ name, cluster: kc.clusters[0]?.cluster ?? {} });
    merged.users.push({ name, user: kc.users[0]?.user ?? {} });
    merged.contexts.push({ name, context: { cluster: name, user: name } });
  });
  for (const e of extra) {
    merged.clusters.push({ name: e.name, cluster: { server: e.server, 'insecure-skip-tls-verify': false } });
    merged.users.push({ name: e.name, user: { token: 'unused' } });
    merged.contexts.push({ name: e.name, context: { cluster: e.name, user: e.name } });
  }
  writeFileSync(file, stringify(merged), { mode: 0o600 });
}

test.describe('fan-out over three simulated clusters', () => {
  test.describe.configure({ mode: 'serial' });
  let dir: string;
  let sims: TestSim[] = [];
  let kubeconfig: string;
  const names = ['cluster-a', 'cluster-b', 'cluster-c'];

  test.beforeAll(async () => {
    test.setTimeout(180_000);
    dir = mkdtempSync(join(tmpdir(), 'mc-fleet-'));
    sims = await Promise.all([
      startTestSim(join(dir, 'a')),
      startTestSim(join(dir, 'b'), { faults: ['ingressbackend-admission-denied'] }),
      startTestSim(join(dir, 'c')),
    ]);
    kubeconfig = join(dir, 'fleet.kubeconfig');
    // A fourth context whose API server is not there: a cluster that cannot be checked.
    mergeKubeconfigs(kubeconfig, sims, names, [{ name: 'cluster-gone', server: 'https://127.0.0.1:9' }]);
  });
  test.afterAll(async () => {
    await Promise.all(sims.map((s) => s.stop()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('checks the three clusters at once and aggregates them: two pass, the broken one fails its check, exit 1', async () => {
    test.setTimeout(240_000);
    const reportDir = join(dir, 'reports-1');
    const res = await runCliToEnd(['run', '--target', 'kind', '--kubeconfig', kubeconfig, ...names.flatMap((n) => ['--context', n]), '--fleet-concurrency', '3', '--report-dir', reportDir],
      { env: quickBudgets, timeoutMs: 200_000 });
    expect(res.code, res.output).toBe(1);

    // Concurrently: all three started before the first one ended.
    const lines = res.stdout.split('\n').filter((l) => l.startsWith('mesh-conformance fleet: cluster-'));
    const firstEnd = lines.findIndex((l) => / (passed|failed|not checked) in /.test(l));
    expect(lines.slice(0, firstEnd).filter((l) => l.includes(': started ')), res.stdout).toHaveLength(3);

    // The terminal table: a row per cluster, the failing check under the broken one, the summary with the exit code.
    expect(res.stdout).toMatch(/^CLUSTER\s+MESH\s+VERSION\s+VERDICT\s+DURATION\s+SUPPORT ENDS$/m);
    expect(res.stdout).toMatch(/^cluster-a\s+osm\s+v1\.2\.\d+\s+passed\s+\d+\.\ds\s+-$/m);
    expect(res.stdout).toMatch(/^cluster-b\s+osm\s+v1\.2\.\d+\s+failed\s+\d+\.\ds\s+-\n {4}✖ ingress: .*admission webhook "osm-validator\.k8s\.io" denied the request/m);
    expect(res.stdout).toMatch(/^cluster-c\s+osm\s+v1\.2\.\d+\s+passed/m);
    expect(res.stdout).toContain('mesh-conformance fleet: 3 clusters: 2 passed, 1 failed; exit 1');

    const fleet = JSON.parse(readFileSync(join(reportDir, 'fleet', 'fleet-report.json'), 'utf8')) as FleetJson;
    expect(fleet.exitCode).toBe(1);
    expect(fleet.clusters.map((c) => [c.context, c.verdict])).toEqual([['cluster-a', 'passed'], ['cluster-b', 'failed'], ['cluster-c', 'passed']]);
    expect(fleet.clusters[1]?.failingChecks).toEqual([expect.stringMatching(/^ingress: /)]);
    // Each cluster's suite ran on its own: its own run id and report folder with its own ConformanceReport.
    const runIds = fleet.clusters.map((c) => c.runId);
    expect(new Set(runIds).size).toBe(3);
    for (const c of fleet.clusters) {
      const report = JSON.parse(readFileSync(join(reportDir, 'fleet', c.reportDir, 'conformance-report.json'), 'utf8')) as { run: { id: string }; cluster: { context: string } };
      expect(report.run.id).toBe(c.runId);
      expect(report.cluster.context).toBe(c.context);
      expect(readFileSync(join(reportDir, 'fleet', c.reportDir, 'run.log'), 'utf8')).toContain(`context ${c.context}`);
    }
    const html = readFileSync(join(reportDir, 'fleet', 'fleet-report.html'), 'utf8');
    expect(html).toContain('<td>cluster-b</td>');
    expect(html).toMatch(/✖ ingress: /);
    // Every cluster was cleaned by its own run.
    for (const sim of sims) expect(await runObjects(sim.client)).toEqual([]);
  });

  test('a cluster that cannot be checked is exit 2, with its reason in the table', async () => {
    test.setTimeout(180_000);
    const reportDir = join(dir, 'reports-2');
    const contextsFile = join(dir, 'contexts.txt');
    writeFileSync(contextsFile, '# two clusters\ncluster-a\ncluster-gone\n');
    const res = await runCliToEnd(['run', '--target', 'kind', '--kubeconfig', kubeconfig, '--contexts-file', contextsFile, '--report-dir', reportDir], { env: quickBudgets, timeoutMs: 150_000 });
    expect(res.code, res.output).toBe(2);
    expect(res.stdout).toMatch(/^cluster-gone\s+-\s+-\s+not checked\s+\d+\.\ds\s+-\n {4}reason: .*(nothing listens at https:\/\/127\.0\.0\.1:9|127\.0\.0\.1:9)/m);
    expect(res.stdout).toContain('mesh-conformance fleet: 2 clusters: 1 passed, 1 not checked; exit 2');
  });

  test('Ctrl-C during the fan-out cleans every cluster before it exits 130', async () => {
    test.setTimeout(180_000);
    const reportDir = join(dir, 'reports-3');
    const fleet = startCli(['run', '--target', 'kind', '--kubeconfig', kubeconfig, '--context', 'cluster-a', '--context', 'cluster-c', '--report-dir', reportDir], { env: quickBudgets });
    // Both runs have created their namespaces (a bounded poll of the clusters), then the interrupt.
    for (const sim of [sims[0], sims[2]]) await pollUntil('the run\'s namespace in the cluster', async () => ((await runObjects(sim!.client)).some((o) => o.startsWith('Namespace')) ? true : undefined), 90_000);
    fleet.child.kill('SIGINT');
    const ended = await fleet.ended;
    expect(ended.code, fleet.output()).toBe(130);
    expect(fleet.stdout()).toMatch(/SIGINT received: no new cluster starts; 2 running ones clean up and stop/);
    expect(fleet.stdout()).toMatch(/^cluster-a\s+\S+\s+\S+\s+interrupted/m);
    for (const sim of sims) expect(await runObjects(sim.client), 'nothing left in any cluster').toEqual([]);
  });
});
