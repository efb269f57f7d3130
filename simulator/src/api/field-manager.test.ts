// Server-side apply and managedFields: field ownership, conflicts (409 in upstream's words), force, removal of fields a
// manager stops applying. The scenario's results are compared with kube-apiserver's, recorded in
// testdata/ssa-upstream.json and re-checked against a live kube-apiserver when the upstream binaries are built.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { Agent, request } from 'undici';
import { startUpstreamControlPlane, upstreamBinariesPresent, upstreamBinDir } from '../upstream/control-plane.ts';
import { FieldSet, pathString } from './field-manager.ts';
import { startTestCluster } from './test-cluster.ts';
import { runSsaScenario } from './testdata/ssa-scenario.ts';
import type { Step } from './testdata/ssa-scenario.ts';

const golden = new URL('./testdata/ssa-upstream.json', import.meta.url);

/** The value as JSON would carry it (undefined members gone), keys sorted so that ordering inside maps does not matter. */
/**
 * Key order ignored; managedFields entries in (operation, manager, apiVersion, subresource) order. Upstream sorts them by
 * time (seconds) after the operation, so a scenario that crosses a second boundary lists them in another order, on
 * kube-apiserver as here.
 */
function canonical(value: unknown): unknown {
  const isEntry = (v: unknown): v is Record<string, string> => v !== null && typeof v === 'object' && 'manager' in v && 'operation' in v;
  if (Array.isArray(value) && value.length > 0 && value.every(isEntry)) {
    const key = (e: Record<string, string>) => [e.operation, e.manager, e.apiVersion, e.subresource ?? ''].join('\u0000');
    return [...value].sort((a, b) => key(a).localeCompare(key(b))).map(canonical);
  }
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    return Object.fromEntries(Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => [k, canonical(o[k])]));
  }
  return value;
}

test('FieldsV1 round-trips: members, `.` on a member with children, paths printed as conflicts print them', () => {
  const fields = { 'f:data': { '.': {}, 'f:a': {} }, 'f:spec': { 'f:containers': { 'k:{"name":"c"}': { '.': {}, 'f:image': {} } } }, 'f:finalizers': { 'v:"x"': {} } };
  const set = FieldSet.fromFieldsV1(fields);
  assert.deepEqual(set.toFieldsV1(), fields);
  assert.deepEqual(set.paths().map(pathString).sort(), ['.data', '.data.a', '.finalizers[="x"]', '.spec.containers[name="c"]', '.spec.containers[name="c"].image']);
});

test('the server-side apply scenario gives kube-apiserver\'s results (ownership, conflicts, force, removal)', async () => {
  const cluster = await startTestCluster();
  let steps: Step[];
  try {
    await cluster.store.create(cluster.type('', 'v1', 'namespaces'), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ssa' } });
    steps = await runSsaScenario({ server: cluster.server.url, token: cluster.server.token, caPem: cluster.server.caPem }, 'ssa');
  } finally {
    await cluster.close();
  }
  const expected = JSON.parse(readFileSync(golden, 'utf8')) as { steps: Step[] };
  assert.equal(steps.length, expected.steps.length);
  steps.forEach((s, i) => assert.deepEqual(canonical(s), canonical(expected.steps[i]), `step "${String(s.name)}"`));
});

test('the recorded results are kube-apiserver\'s (re-run against the upstream build) (skipped where the upstream binaries are not built: npm run upstream:build)', async (t) => {
  if (!upstreamBinariesPresent()) {
    t.skip(`upstream binaries not built (no ${upstreamBinDir()}): run node scripts/upstream-build.mjs`);
    return;
  }
  // Without the controller manager no controller adds its own managedFields entries to the Deployment.
  const cp = await startUpstreamControlPlane({ controllerManager: false, scheduler: false, readyTimeoutMs: 90_000 });
  try {
    const dispatcher = new Agent({ connect: { ca: cp.caPem } });
    await request(`${cp.server}/api/v1/namespaces`, {
      method: 'POST', dispatcher, headers: { authorization: `Bearer ${cp.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ssa' } }),
    }).then((r) => r.body.dump());
    await dispatcher.close();
    const steps = await runSsaScenario({ server: cp.server, token: cp.token, caPem: cp.caPem }, 'ssa');
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(golden, `${JSON.stringify({ recordedFrom: `kube-apiserver ${cp.versions.kubernetes}`, steps }, null, 1)}\n`);
    const expected = JSON.parse(readFileSync(golden, 'utf8')) as { steps: Step[] };
    steps.forEach((s, i) => assert.deepEqual(canonical(s), canonical(expected.steps[i]), `step "${String(s.name)}"`));
  } finally {
    await cp.stop();
  }
});
