// Requirement (issue 15 §3): the extended check ingress-mtls sets a cluster-wide setting (OSM MeshConfig
// spec.certificate.ingressGateway), so it runs only when the user allows the change by name, and it puts the setting
// back afterwards: after a pass, after a failure and after Ctrl-C. Without the opt-in it is skipped with a reason that
// names the opt-in. Each test runs the CLI against a simulated kind cluster started for this file (target kind, where
// no cluster change is allowed by default), selecting the check with --grep @mtls (the core checks it builds on come along).
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { TestSim } from './reliability-support.ts';
import { pollUntil, quickBudgets, runCliToEnd, runObjects, startCli, testRunId, useTestSim } from './reliability-support.ts';

const dir = join(process.env.MESH_CONFORMANCE_SELFTEST_REPORT_DIR ?? 'reports/selftest', 'ingress-mtls');
const meshConfig = { apiVersion: 'config.openservicemesh.io/v1alpha2', kind: 'MeshConfig', namespace: 'osm-system', name: 'osm-mesh-config' } as const;
type MeshConfig = KubernetesObject & { spec?: { certificate?: Record<string, unknown> } };

test.describe.configure({ mode: 'serial' });

async function specOf(sim: TestSim): Promise<unknown> {
  const mc = await sim.client.read<MeshConfig>(meshConfig, { budgetMs: 10_000 });
  expect(mc, 'MeshConfig osm-system/osm-mesh-config').toBeDefined();
  return mc?.spec;
}

const runArgs = (sim: TestSim, runId: string, extra: string[]): string[] =>
  ['run', '--target', 'kind', '--context', sim.context, '--kubeconfig', sim.kubeconfig, '--report-dir', join(dir, runId), ...extra, '--', '--grep', '@mtls'];

test.describe('clean cluster', () => {
  const sim = useTestSim(join(dir, 'sim'), { flavor: 'kind' });

  test('with --allow-cluster-change ingress-mtls: the check passes and MeshConfig is as it was', async () => {
    const before = await specOf(sim());
    expect((before as MeshConfig['spec'])?.certificate?.['ingressGateway'], 'no ingress gateway certificate before the run').toBeUndefined();
    const runId = testRunId('mtls');
    const r = await runCliToEnd(runArgs(sim(), runId, ['--allow-cluster-change', 'ingress-mtls']), { env: { ...quickBudgets, MESH_CONFORMANCE_RUN_ID: runId }, timeoutMs: 180_000 });
    expect(r.code, r.output.slice(-3000)).toBe(0);
    expect(r.output).toMatch(/^✔ ingress-mtls: with the mesh's ingress certificate, the ingress reaches the sidecar over mTLS \(200\) while plain HTTP to it is refused/m);
    expect(r.output).toMatch(/^extended: 1 passed, 0 failed, 0 skipped \(success\); features checked: ingress-mtls$/m);
    expect(await specOf(sim()), 'MeshConfig spec after the run').toEqual(before);
    expect(await runObjects(sim().client, runId)).toEqual([]);
  });

  test('without the opt-in: the check is skipped with a reason that names --allow-cluster-change ingress-mtls', async () => {
    const before = await specOf(sim());
    const runId = testRunId('mtls');
    const r = await runCliToEnd(runArgs(sim(), runId, []), { env: { ...quickBudgets, MESH_CONFORMANCE_RUN_ID: runId }, timeoutMs: 180_000 });
    expect(r.code, r.output.slice(-3000)).toBe(0);
    expect(r.output).toMatch(/ingress-mtls: skipped, extended feature ingress-mtls is not available: it sets MeshConfig osm-system\/osm-mesh-config spec\.certificate\.ingressGateway, a cluster-wide change \(restored after the check\): allow it with --allow-cluster-change ingress-mtls/);
    expect(await specOf(sim()), 'MeshConfig spec untouched').toEqual(before);
  });
});

test.describe('a cluster whose sidecars expect another principal (fault ingress-mtls-wrong-principal)', () => {
  const sim = useTestSim(join(dir, 'sim-fault'), { flavor: 'kind', faults: ['ingress-mtls-wrong-principal'] });

  test('the check fails at once on the sidecar\'s 403, and MeshConfig is restored', async () => {
    const before = await specOf(sim());
    const runId = testRunId('mtls');
    const r = await runCliToEnd(runArgs(sim(), runId, ['--allow-cluster-change', 'ingress-mtls']), { env: { ...quickBudgets, MESH_CONFORMANCE_RUN_ID: runId }, timeoutMs: 180_000 });
    expect(r.code, r.output.slice(-3000)).toBe(1);
    expect(r.output).toMatch(/^✖ ingress-mtls: failed .*Gave up after .*its RBAC refused the client certificate .*last seen: (HEAD|GET) \/get → 403/m);
    expect(await specOf(sim()), 'MeshConfig spec after the failed check').toEqual(before);
    expect(await runObjects(sim().client, runId)).toEqual([]);
  });

  test('Ctrl-C once MeshConfig carries the run\'s ingress certificate: exit 130, MeshConfig restored', async () => {
    const before = await specOf(sim());
    const runId = testRunId('mtls');
    const cli = startCli(runArgs(sim(), runId, ['--allow-cluster-change', 'ingress-mtls']), { env: { ...quickBudgets, MESH_CONFORMANCE_RUN_ID: runId } });
    try {
      await pollUntil('MeshConfig to carry the run\'s ingress gateway certificate', async () => {
        const mc = await sim().client.read<MeshConfig>(meshConfig, { budgetMs: 10_000 });
        return mc?.spec?.certificate?.['ingressGateway'] ? true : undefined;
      }, 120_000);
      cli.child.kill('SIGINT');
      const { code } = await cli.ended;
      expect(code, cli.output().slice(-3000)).toBe(130);
    } finally {
      if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
    }
    expect(await specOf(sim()), 'MeshConfig spec after Ctrl-C').toEqual(before);
    expect(await runObjects(sim().client, runId)).toEqual([]);
  });
});
