// Requirement (issue 6, `mesh-conformance check`): a read-only readiness report. Each line is ok, warn or fail
// with a hint when not ok; `-o json` prints one JSON document; exit 0 without failures (warnings allowed), 1 with
// failures, 2 when the check cannot run; and it never writes to the cluster: every object reads back the same
// afterwards, and the simulator's request log shows only reads (and SelfSubjectAccessReviews) during the check.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import { PatchStrategy } from '@kubernetes/client-node';
import { expect, test } from '@playwright/test';
import { startSimulator } from '../cli/simulator-process.ts';
import type { RunningSimulator } from '../cli/simulator-process.ts';
import { KubeClient } from '../harness/k8s/kube-client.ts';
import { resourceTypes } from '../harness/k8s/resources.ts';
import { probe } from '../harness/readiness/api-access.ts';
import type { ReadinessReport } from '../harness/readiness/readiness-result.ts';

const root = join(import.meta.dirname, '..');
const budget = { budgetMs: 15_000 };

interface CheckRun { code: number | null; stdout: string; stderr: string; started: number; ended: number }

function check(args: string[]): Promise<CheckRun> {
  const started = Date.now();
  const child = spawn(process.execPath, ['bin/mesh-conformance.js', 'check', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr, started, ended: Date.now() })));
}

/** Every object the API serves, by `group/version kind namespace/name` → resourceVersion, via discovery and lists. */
async function snapshot(client: KubeClient): Promise<Map<string, string>> {
  const get = async (path: string): Promise<unknown> => {
    const r = await probe(client.kubeConfig, path, 15_000);
    if (r.kind !== 'response' || r.status !== 200) throw new Error(`GET ${path}: ${JSON.stringify(r).slice(0, 200)}`);
    return JSON.parse(r.body) as unknown;
  };
  const groups = (await get('/apis')) as { groups: { preferredVersion: { groupVersion: string } }[] };
  const groupVersions = ['v1', ...groups.groups.map((g) => g.preferredVersion.groupVersion)];
  const objects = new Map<string, string>();
  for (const gv of groupVersions) {
    const base = gv === 'v1' ? '/api/v1' : `/apis/${gv}`;
    const list = (await get(base)) as { resources: { name: string; kind: string; verbs: string[] }[] };
    // Leases are the control plane's own heartbeats (kube-controller-manager renews its leader lease every few
    // seconds, as upstream): they move on their own; that the check wrote nothing is the request log's assertion.
    for (const res of list.resources.filter((r) => !r.name.includes('/') && r.verbs.includes('list') && !(gv.startsWith('coordination.k8s.io/') && r.kind === 'Lease'))) {
      const items = ((await get(`${base}/${res.name}`)) as { items: { metadata: { namespace?: string; name: string; resourceVersion: string } }[] }).items;
      for (const i of items) objects.set(`${gv} ${res.kind} ${i.metadata.namespace ?? ''}/${i.metadata.name}`, i.metadata.resourceVersion);
    }
  }
  return objects;
}

/** Snapshots until two in a row agree (controllers settle after the setup), bounded. */
async function settledSnapshot(client: KubeClient): Promise<Map<string, string>> {
  let last = await snapshot(client);
  await expect.poll(async () => {
    const next = await snapshot(client);
    const same = next.size === last.size && [...next].every(([k, v]) => last.get(k) === v);
    last = next;
    return same;
  }, { message: 'the simulated cluster to settle after the setup', timeout: 30_000, intervals: [500] }).toBe(true);
  return last;
}

/** Leader-election Leases, which the control plane renews every few seconds whoever reads the cluster. */
const renewedByControlPlane = (key: string): boolean => key.startsWith('coordination.k8s.io/v1 Lease ');

function diff(before: Map<string, string>, after: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [k, v] of before) if (after.get(k) !== v && !renewedByControlPlane(k)) out.push(after.has(k) ? `changed: ${k}` : `deleted: ${k}`);
  for (const k of after.keys()) if (!before.has(k)) out.push(`created: ${k}`);
  return out;
}

interface RequestLogLine { time: string; method: string; path: string }
function requestsBetween(file: string, from: number, to: number): RequestLogLine[] {
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as RequestLogLine)
    .filter((r) => Date.parse(r.time) >= from && Date.parse(r.time) <= to);
}

const lineOf = (r: ReadinessReport, id: string) => r.categories.flatMap((c) => c.lines).find((l) => l.id === id);

test.describe('mesh-conformance check', () => {
  test.describe.configure({ mode: 'serial' });
  let dir = '';
  let sim: RunningSimulator | undefined;
  let client: KubeClient;
  let kubeconfig = '';

  test.beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mesh-conformance-check-'));
    sim = await startSimulator({ flavor: 'kind', kubeconfig: join(dir, 'kubeconfig'), faults: [] });
    kubeconfig = sim.ready.kubeconfig;
    client = KubeClient.connect({ kubeconfig, context: sim.ready.context });
    // A cluster with things to report: a workload started before its namespace was onboarded (no sidecar, metrics
    // off), and the IngressBackend feature flag switched off in the MeshConfig.
    await client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'legacy' } }, budget);
    const deployment: V1Deployment = {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'legacy' },
      spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'kennethreitz/httpbin' }] } } },
    };
    await client.apply(deployment, budget);
    // Ready before the snapshots, so nothing in the cluster moves on its own while the check runs.
    await expect.poll(async () => (await client.read<V1Deployment>({ ...resourceTypes.deployment, namespace: 'legacy', name: 'web' }, budget))?.status?.readyReplicas ?? 0,
      { message: 'Deployment legacy/web to have 1 ready replica', timeout: 60_000 }).toBe(1);
    expect((await client.list<V1Pod>(resourceTypes.pod, { namespace: 'legacy' }, budget)).items).toHaveLength(1);
    await client.patch({ ...resourceTypes.namespace, name: 'legacy' }, {
      metadata: { labels: { 'openservicemesh.io/monitored-by': 'osm' }, annotations: { 'openservicemesh.io/sidecar-injection': 'enabled' } },
    }, { ...budget, strategy: PatchStrategy.MergePatch });
    await client.patch({ apiVersion: 'config.openservicemesh.io/v1alpha2', kind: 'MeshConfig', namespace: 'osm-system', name: 'osm-mesh-config' },
      { spec: { featureFlags: { enableIngressBackendPolicy: false } } }, { ...budget, strategy: PatchStrategy.MergePatch });
  });

  test.afterAll(async () => {
    await sim?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('reports failures and warnings with hints, as one JSON document, exit 1, and writes nothing', async () => {
    const before = await settledSnapshot(client);
    const run = await check(['--target', 'kind', '--kubeconfig', kubeconfig, '-o', 'json']);
    const after = await snapshot(client);

    expect(run.code, run.stderr).toBe(1);
    const report = JSON.parse(run.stdout) as ReadinessReport; // the whole of stdout is one document
    expect(report).toMatchObject({ kind: 'MeshConformanceReadiness', status: 'fail', ready: false, ran: true });
    const lines = report.categories.flatMap((c) => c.lines);
    for (const l of lines) {
      expect(['ok', 'warn', 'fail']).toContain(l.status);
      if (l.status !== 'ok') expect(l.hint, `hint of ${l.id}`).toBeTruthy();
    }
    expect(report.summary.fail).toBe(lines.filter((l) => l.status === 'fail').length);
    expect(lineOf(report, 'api/version')?.message).toMatch(/^Kubernetes v\d+\.\d+\.\d+/);
    expect(lineOf(report, 'control-plane/osm-controller')).toMatchObject({ status: 'ok' });
    expect(lineOf(report, 'control-plane/version')?.message).toMatch(/^OSM v1\.2\./);
    expect(lineOf(report, 'mesh-config/ingress-backend-policy')).toMatchObject({ status: 'fail' });
    expect(lineOf(report, 'mesh-config/ingress-backend-policy')?.hint).toContain('enableIngressBackendPolicy":true');
    expect(lineOf(report, 'mesh-config/permissive')).toMatchObject({ status: 'ok' });
    expect(lineOf(report, 'namespaces/legacy')).toMatchObject({ status: 'warn', message: expect.stringContaining('metrics not enabled') });
    expect(lineOf(report, 'sidecars/legacy')).toMatchObject({ status: 'warn', message: expect.stringMatching(/1 of 1 pod has no envoy sidecar: web-/) });
    expect(lineOf(report, 'metrics/prometheus')).toMatchObject({ status: 'ok' });
    expect(lineOf(report, 'webhooks/injector')).toMatchObject({ status: 'ok' });

    expect(diff(before, after), 'objects changed by the check').toEqual([]);
    const requests = requestsBetween(sim?.requestLog ?? '', run.started, run.ended);
    expect(requests.length).toBeGreaterThan(10);
    const writes = requests.filter((r) => r.method !== 'GET' && !(r.method === 'POST' && r.path.startsWith('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews')));
    expect(writes, 'requests other than reads and SelfSubjectAccessReviews').toEqual([]);
  });

  test('prints a table and exits 0 when only warnings are left', async () => {
    await client.patch({ apiVersion: 'config.openservicemesh.io/v1alpha2', kind: 'MeshConfig', namespace: 'osm-system', name: 'osm-mesh-config' },
      { spec: { featureFlags: { enableIngressBackendPolicy: true } } }, { ...budget, strategy: PatchStrategy.MergePatch });
    const run = await check(['--target', 'kind', '--kubeconfig', kubeconfig]);
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toMatch(/^✔ featureFlags\.enableIngressBackendPolicy: true$/m);
    expect(run.stdout).toMatch(/^‼ legacy: 1 of 1 pod has no envoy sidecar/m);
    expect(run.stdout).toMatch(/^ {4}hint: pods started before the namespace was onboarded/m);
    expect(run.stdout).toMatch(/Status: \d+ ok, 2 warnings, 0 failures: ready, with warnings \(exit 0\)/);
  });

  test('exits 2 with the reason when the API server cannot be reached', async () => {
    const closed = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const { port } = s.address() as AddressInfo;
        s.close(() => resolve(port));
      });
    });
    const dead = join(dir, 'dead-kubeconfig');
    writeFileSync(dead, readFileSync(kubeconfig, 'utf8').replace(/server: https:\/\/127\.0\.0\.1:\d+/, `server: https://127.0.0.1:${closed}`));
    const run = await check(['--target', 'kind', '--kubeconfig', dead, '-o', 'json']);
    expect(run.code).toBe(2);
    const report = JSON.parse(run.stdout) as ReadinessReport;
    expect(report).toMatchObject({ ran: false, status: 'fail' });
    expect(lineOf(report, 'api/access')?.message).toContain('connection refused');

    const missing = await check(['--target', 'kind', '--kubeconfig', join(dir, 'no-such-file')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toContain('cannot read kubeconfig');
  });
});
