// Requirement (issue 15, §5): the extended check `external-authorization` against the simulated kind cluster (OPA-Envoy
// installed as `kind-up --with opa` installs it, MeshConfig external authorization off). Turning it on is a
// cluster-wide change: without the opt-in the check is skipped with the reason; with it the check passes and the
// MeshConfig is as it was afterwards; when the MeshConfig already has it on, the check uses it and changes nothing.
import { join } from 'node:path';
import { PatchStrategy } from '@kubernetes/client-node';
import type { KubernetesObject } from '@kubernetes/client-node';
import { expect, test } from '@playwright/test';
import { pollUntil, quickBudgets, runCliToEnd, startCli, startTestSim, testRunId, useTestSim } from './reliability-support.ts';

test.describe.configure({ mode: 'serial' });

const dir = join(process.env.MESH_CONFORMANCE_SELFTEST_REPORT_DIR ?? 'reports/selftest', 'external-authorization');
const meshConfig = { apiVersion: 'config.openservicemesh.io/v1alpha2', kind: 'MeshConfig', namespace: 'osm-system', name: 'osm-mesh-config' };
const budget = { budgetMs: 10_000 };

type MeshConfigObject = KubernetesObject & { spec?: { traffic?: { inboundExternalAuthorization?: Record<string, unknown> } } };
const extAuthz = async (): Promise<Record<string, unknown> | undefined> => (await sim().client.read<MeshConfigObject>(meshConfig, budget))?.spec?.traffic?.inboundExternalAuthorization;

function run(id: string, ...more: string[]) {
  return runCliToEnd(['run', '--target', 'kind', '--kubeconfig', sim().kubeconfig, '--report-dir', join(dir, id), ...more, '--', '--grep', '@ext-authz'],
    { env: { ...quickBudgets, MESH_CONFORMANCE_RUN_ID: id }, timeoutMs: 150_000 });
}

const sim = useTestSim(join(dir, 'sim'));

test('without the opt-in, the check is skipped with the reason and the MeshConfig is not touched', async () => {
  const before = await extAuthz();
  expect(before).toMatchObject({ enable: false });
  const r = await run(testRunId('no-opt-in'));
  expect(r.code, r.output.slice(-3000)).toBe(0);
  expect(r.output).toMatch(/^- external-authorization: skipped, extended feature external-authorization is not available: inbound external authorization is off in MeshConfig osm-system\/osm-mesh-config; turning it on with Service opa\/opa is a cluster-wide change: allow it with --allow-cluster-change external-authorization \(restored after the check\)$/m);
  expect(await extAuthz()).toEqual(before);
});

test('with --allow-cluster-change external-authorization, the check turns it on, passes, and the MeshConfig is restored', async () => {
  const before = await extAuthz();
  const r = await run(testRunId('opt-in'), '--allow-cluster-change', 'external-authorization');
  expect(r.code, r.output.slice(-3000)).toBe(0);
  expect(r.output).toContain('external-authorization: turns on inbound external authorization with opa.opa.svc.cluster.local:9191 (failureModeAllow false, timeout 1s)');
  expect(r.output).toMatch(/^✔ external-authorization: /m);
  expect(await extAuthz(), 'MeshConfig inboundExternalAuthorization after the run').toEqual(before);
});

test('when the MeshConfig already has it on, the check uses it without the opt-in and changes nothing', async () => {
  const on = { enable: true, address: 'opa.opa.svc.cluster.local', port: 9191, statPrefix: 'inboundExtAuthz', timeout: '2s', failureModeAllow: false };
  const before = await extAuthz();
  await sim().client.patch(meshConfig, { spec: { traffic: { inboundExternalAuthorization: on } } }, { ...budget, strategy: PatchStrategy.MergePatch });
  try {
    const r = await run(testRunId('already-on'));
    expect(r.code, r.output.slice(-3000)).toBe(0);
    expect(r.output).not.toContain('turns on inbound external authorization');
    expect(r.output).toMatch(/^✔ external-authorization: /m);
    expect(await extAuthz()).toEqual(on);
  } finally {
    await sim().client.patch(meshConfig, { spec: { traffic: { inboundExternalAuthorization: before ?? null } } }, { ...budget, strategy: PatchStrategy.MergePatch });
  }
});

test('SIGINT while the check runs with the MeshConfig turned on: exit 130, the MeshConfig restored', async () => {
  // The bypass fault keeps the check in its deny-probe loop (the denied request gets 200), so the signal lands while
  // the change is in place.
  const faulty = await startTestSim(join(dir, 'sim-bypassed'), { faults: ['ext-authz-bypassed'] });
  try {
    const read = async () => (await faulty.client.read<MeshConfigObject>(meshConfig, budget))?.spec?.traffic?.inboundExternalAuthorization;
    const before = await read();
    const id = testRunId('sigint');
    const cli = startCli(['run', '--target', 'kind', '--kubeconfig', faulty.kubeconfig, '--report-dir', join(dir, id), '--allow-cluster-change', 'external-authorization', '--', '--grep', '@ext-authz'],
      { env: { ...quickBudgets, MESH_CONFORMANCE_RUN_ID: id } });
    await pollUntil('the run to turn on inbound external authorization', async () => ((await read())?.['enable'] === true ? true : undefined), 120_000);
    cli.child.kill('SIGINT');
    const ended = await cli.ended;
    expect(ended.code, cli.output().slice(-3000)).toBe(130);
    expect(await read(), 'MeshConfig inboundExternalAuthorization after the interrupted run').toEqual(before);
  } finally {
    await faulty.stop();
  }
});

test('fail-open: with failureModeAllow true and the authorization service down, the denied request passes and the check fails', async () => {
  const down = await startTestSim(join(dir, 'sim-unreachable'), { faults: ['ext-authz-unreachable'] });
  try {
    await down.client.patch(meshConfig, { spec: { traffic: { inboundExternalAuthorization: { enable: true, address: 'opa.opa.svc.cluster.local', port: 9191, timeout: '1s', failureModeAllow: true } } } },
      { ...budget, strategy: PatchStrategy.MergePatch });
    const id = testRunId('fail-open');
    const r = await runCliToEnd(['run', '--target', 'kind', '--kubeconfig', down.kubeconfig, '--report-dir', join(dir, id), '--', '--grep', '@ext-authz'],
      { env: { ...quickBudgets, MESH_CONFORMANCE_RUN_ID: id }, timeoutMs: 150_000 });
    expect(r.code, r.output.slice(-3000)).toBe(1);
    expect(r.output).toMatch(/^✖ external-authorization: failed .*failureModeAllow true.*last seen: GET \/get with x-mesh-conformance-authz → 200 \(\d+ms\): the request was let through/m);
  } finally {
    await down.stop();
  }
});
