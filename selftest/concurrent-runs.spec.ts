// Requirement (issue 7, isolation): two runs against the same cluster at the same time do not collide: names,
// ingress hosts, and neither run's sweep touches the other's namespace, even with the most eager TTL (0).
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import type { V1Ingress, V1Namespace } from '@kubernetes/client-node';
import { heartbeatAnnotation } from '../harness/cleanup/leftovers.ts';
import { runLabels } from '../harness/k8s/run-labels.ts';
import { quickBudgets, runCliToEnd, runObjects, testRunId, useTestSim } from './reliability-support.ts';

test.describe.configure({ mode: 'serial' });

const dir = join(process.env.MESH_CONFORMANCE_SELFTEST_REPORT_DIR ?? 'reports/selftest', 'concurrent');

const sim = useTestSim(join(dir, 'sim'));

/** The ingress-nginx controller's access log: which upstream (`<namespace>-httpbin-14001`) served which status. */
async function upstreamStatuses(): Promise<Map<string, number[]>> {
  const pods = await sim().client.list<{ metadata?: { name?: string } }>({ apiVersion: 'v1', kind: 'Pod' }, { namespace: 'ingress-nginx' }, { budgetMs: 10_000 });
  const byUpstream = new Map<string, number[]>();
  for (const pod of pods.items) {
    const log = await sim().client.podLog('ingress-nginx', pod.metadata?.name ?? '', 'controller', { budgetMs: 10_000, tailLines: 5000 }).catch(() => '');
    for (const m of log.matchAll(/" (\d{3}) \d+ .*? \[([^\]]+)\]/g)) {
      const list = byUpstream.get(m[2] ?? '') ?? [];
      list.push(Number(m[1]));
      byUpstream.set(m[2] ?? '', list);
    }
  }
  return byUpstream;
}

test('two runs at once against one simulator both pass, each on its own namespace and ingress host, and leave nothing', async () => {
  const ids = [testRunId('a'), testRunId('b')];
  // --sweep-ttl 0: each run sweeps every dead run before starting; the other, live, run must survive it.
  const runs = await Promise.all(ids.map((id) => runCliToEnd(
    ['run', '--target', 'kind', '--kubeconfig', sim().kubeconfig, '--report-dir', join(dir, id), '--sweep-ttl', '0', '--', '--grep', '@ingress'],
    { env: { ...quickBudgets, MESH_CONFORMANCE_RUN_ID: id }, timeoutMs: 150_000 })));
  const namespaces: string[] = [];
  for (const [i, r] of runs.entries()) {
    expect(r.code, `run ${ids[i]}:\n${r.output.slice(-3000)}`).toBe(0);
    expect(r.output).toContain('run passed');
    const ns = /cleanup: namespace (mesh-conformance-\S+)/.exec(r.output)?.[1];
    expect(ns, 'the summary names the run namespace').toBeTruthy();
    namespaces.push(ns ?? '');
    expect(r.output, 'no run swept a live run').not.toMatch(/swept [1-9]/);
  }
  expect(new Set(namespaces).size, 'distinct namespaces').toBe(2);
  // Each run's requests reached its own httpbin: 200s on both upstreams, through the one shared controller.
  const statuses = await upstreamStatuses();
  for (const ns of namespaces) {
    const mine = statuses.get(`${ns}-httpbin-14001`) ?? [];
    expect(mine.filter((s) => s === 200).length, `200s served by ${ns}'s httpbin`).toBeGreaterThanOrEqual(10);
  }
  expect(await runObjects(sim().client), 'objects of either run left in the cluster').toEqual([]);
});

test('a run id already in the cluster is refused before anything is written; that run\'s namespace is untouched (issue 19, F8)', async () => {
  const id = testRunId('same');
  // What a live run of that id has in the cluster: its namespace, labelled, with a fresh heartbeat (its lease).
  const created = await sim().client.create<V1Namespace>({
    apiVersion: 'v1', kind: 'Namespace',
    metadata: { generateName: 'mesh-conformance-', labels: runLabels(id), annotations: { [heartbeatAnnotation]: new Date().toISOString() } },
  }, { budgetMs: 10_000 });
  const ns = created.metadata?.name ?? '';
  try {
    const run = (): Promise<Awaited<ReturnType<typeof runCliToEnd>>> => runCliToEnd(['run', '--target', 'kind', '--kubeconfig', sim().kubeconfig, '--report-dir', join(dir, `${id}-2`), '--sweep-ttl', '0'],
      { env: { ...quickBudgets, MESH_CONFORMANCE_RUN_ID: id }, timeoutMs: 90_000 });
    const live = await run();
    expect(live.code, live.output).toBe(2);
    expect(live.stderr).toMatch(new RegExp(`^mesh-conformance: run id ${id} is in use by a live run \\(namespace ${ns}, run still alive \\(heartbeat .*\\)\\): unset MESH_CONFORMANCE_RUN_ID, or give each run its own id\n$`));
    // The run is dead (its lease expired) but its namespace is there: still refused, with what to do.
    await sim().client.patch<V1Namespace>({ apiVersion: 'v1', kind: 'Namespace', name: ns }, { metadata: { annotations: { [heartbeatAnnotation]: new Date(Date.now() - 3_600_000).toISOString() } } }, { budgetMs: 10_000 });
    const dead = await run();
    expect(dead.code, dead.output).toBe(2);
    expect(dead.stderr).toContain(`namespaces of an earlier run with id ${id} are still in the cluster (${ns}): remove them with \`mesh-conformance cleanup --ttl 0\``);
    const still = await sim().client.read<V1Namespace>({ apiVersion: 'v1', kind: 'Namespace', name: ns }, { budgetMs: 10_000 });
    expect(still?.metadata?.deletionTimestamp, 'the other run\'s namespace was left alone').toBeUndefined();
  } finally {
    await sim().client.delete({ apiVersion: 'v1', kind: 'Namespace', name: ns }, { budgetMs: 10_000 });
  }
});

test('another tenant\'s catch-all Ingress on the same controller does not capture the run\'s traffic', async () => {
  // Created first, host-less, path "/": before per-run hosts, the run's requests would have gone here (503).
  const tenant = 'aaa-other-tenant';
  await sim().client.create<V1Namespace>({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: tenant } }, { budgetMs: 10_000 });
  try {
    await sim().client.create<V1Ingress>({
      apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'catch-all', namespace: tenant },
      spec: { ingressClassName: 'nginx', rules: [{ http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'nothing', port: { number: 80 } } } }] } }] },
    }, { budgetMs: 10_000 });
    const id = testRunId('tenant');
    const r = await runCliToEnd(['run', '--target', 'kind', '--kubeconfig', sim().kubeconfig, '--report-dir', join(dir, id), '--', '--grep', '@ingress'],
      { env: { ...quickBudgets, MESH_CONFORMANCE_RUN_ID: id }, timeoutMs: 150_000 });
    expect(r.code, r.output.slice(-3000)).toBe(0);
    // The tenant's objects are not ours: untouched.
    const still = await sim().client.read<V1Ingress>({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', namespace: tenant, name: 'catch-all' }, { budgetMs: 10_000 });
    expect(still, 'the other tenant\'s Ingress is left alone').toBeTruthy();
  } finally {
    await sim().client.delete({ apiVersion: 'v1', kind: 'Namespace', name: tenant }, { budgetMs: 10_000 });
  }
});
