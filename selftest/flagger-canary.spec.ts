// Requirement (issue 15, §6): the extended check `canary` against the simulated kind cluster (Flagger in osm-system with
// -mesh-provider=osm, its Canary initialisation emulated). It passes there, and what Flagger built for it (the Canary,
// the primary Deployment, the canary and primary Services, the TrafficSplit) is gone after the run, also when the run
// is interrupted while it waits. The faults that make it fail or skip are proven by the fault matrix
// (flagger-canary-stuck, flagger-routing-not-written, flagger-default-provider on kind).
import { join } from 'node:path';
import type { KubernetesObject } from '@kubernetes/client-node';
import { expect, test } from '@playwright/test';
import type { TestSim } from './reliability-support.ts';
import { pollUntil, quickBudgets, runCliToEnd, startCli, startTestSim, testRunId } from './reliability-support.ts';

test.describe.configure({ mode: 'serial' });

const dir = join(process.env.MESH_CONFORMANCE_SELFTEST_REPORT_DIR ?? 'reports/selftest', 'flagger-canary');
const budget = { budgetMs: 10_000 };
const kinds = {
  canary: { apiVersion: 'flagger.app/v1beta1', kind: 'Canary' },
  trafficSplit: { apiVersion: 'split.smi-spec.io/v1alpha2', kind: 'TrafficSplit' },
  deployment: { apiVersion: 'apps/v1', kind: 'Deployment' },
  service: { apiVersion: 'v1', kind: 'Service' },
};

/** Everything of Flagger's making for a run's httpbin, cluster-wide: Canaries, TrafficSplits, `*-primary`/`*-canary` objects in run namespaces. */
async function flaggerObjects(sim: TestSim): Promise<string[]> {
  const names = async (type: { apiVersion: string; kind: string }, keep: (o: KubernetesObject) => boolean): Promise<string[]> =>
    (await sim.client.list<KubernetesObject>(type, {}, budget)).items.filter(keep).map((o) => `${type.kind} ${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`);
  const inRun = (o: KubernetesObject): boolean => (o.metadata?.namespace ?? '').startsWith('mesh-conformance-');
  const flaggerMade = (o: KubernetesObject): boolean => inRun(o) && /-(primary|canary)$/.test(o.metadata?.name ?? '');
  return [
    ...await names(kinds.canary, () => true),
    ...await names(kinds.trafficSplit, () => true),
    ...await names(kinds.deployment, flaggerMade),
    ...await names(kinds.service, flaggerMade),
  ];
}

test('clean kind: the canary check passes and the run leaves no Canary, primary, Service or TrafficSplit behind', async () => {
  const sim = await startTestSim(join(dir, 'sim'));
  try {
    const id = testRunId('clean');
    const r = await runCliToEnd(['run', '--target', 'kind', '--kubeconfig', sim.kubeconfig, '--report-dir', join(dir, id), '--', '--grep', '@flagger'],
      { env: { ...quickBudgets, MESH_CONFORMANCE_RUN_ID: id }, timeoutMs: 180_000 });
    expect(r.code, r.output.slice(-3000)).toBe(0);
    expect(r.output).toMatch(/^✔ canary: Flagger initialises a Canary for httpbin/m);
    expect(r.output).toContain('features checked: progressive-delivery');
    expect(await flaggerObjects(sim), 'Flagger objects left after the run').toEqual([]);
  } finally {
    await sim.stop();
  }
});

test('SIGINT while the check waits for Flagger: exit 130, and the Canary is removed', async () => {
  const sim = await startTestSim(join(dir, 'sim-stuck'), { faults: ['flagger-canary-stuck'] });
  try {
    const id = testRunId('sigint');
    const cli = startCli(['run', '--target', 'kind', '--kubeconfig', sim.kubeconfig, '--report-dir', join(dir, id), '--', '--grep', '@flagger'],
      { env: { ...quickBudgets, MESH_CONFORMANCE_RUN_ID: id } });
    await pollUntil('the run to create its Canary', async () => ((await sim.client.list<KubernetesObject>(kinds.canary, {}, budget)).items.length > 0 ? true : undefined), 150_000);
    cli.child.kill('SIGINT');
    const ended = await cli.ended;
    expect(ended.code, cli.output().slice(-3000)).toBe(130);
    expect(await flaggerObjects(sim), 'Flagger objects left after the interrupted run').toEqual([]);
  } finally {
    await sim.stop();
  }
});
