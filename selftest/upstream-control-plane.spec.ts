// Requirement (issue 18, phase 2): `run --control-plane upstream` runs the suite on the real Kubernetes control plane
// (etcd, kube-apiserver, kube-controller-manager, kube-scheduler built by `npm run upstream:build`) with our node agent,
// webhooks and controllers attached: a clean run passes every check, and faults that act through each attached part
// (the injection webhook, the validating webhook, the scheduler's input, the API front) keep their verdict, for OSM and
// for the Istio flavors (istiod's webhook certificate from its own CA, Prometheus' discovery by pod address). Without
// the binaries those tests skip, saying how to build them; the refusals (no binaries, a real target) need none.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import type { TestInfo } from '@playwright/test';
import type { RunEvidence } from './conformance-run.ts';
import { createdTwice, runCli, runConformance } from './conformance-run.ts';
import type { Budgets } from './templates.ts';
import type { FaultExpectation, SimClusterName } from './fault-expectations.ts';
import { extendedChecksOn, faultExpectations } from './fault-expectations.ts';
import { upstreamBinariesPresent, upstreamBinDir } from '../simulator/src/upstream/control-plane.ts';
import { upstreamIstioBinDir, upstreamIstiodPresent } from '../simulator/src/upstream/istiod.ts';

/** Budgets for the real control plane on a loaded 2-core machine: kube-controller-manager's rollout takes longer than ours. */
const upstreamBudgets: Budgets = { rollout: 60_000, assert: 20_000, http: 20_000, metrics: 60_000 };
/** Bound on one run: the control plane's start (~15 s, more under load), a failing wait's budget, cleanup. */
const runTimeoutMs = 360_000;

const binDir = upstreamBinDir();
const built = upstreamBinariesPresent(binDir);
const skipReason = `the upstream control plane is not built (no binaries in ${binDir}): run \`npm run upstream:build\` (needs Go) to run these tests`;

/** Faults acting through each part attached to kube-apiserver, and one per check (all verified on this mode). */
const faultsOnUpstream = [
  'sidecar-not-injected', // the mutating webhook
  'ingressbackend-admission-denied', // the validating webhook
  'pod-security-baseline', // kube-apiserver's own PodSecurity admission
  'pod-unschedulable', // kube-scheduler's verdict on the pod
  'image-pull-error', // the node agent's pod status through the API
  'namespace-onboarding-stripped', // a write through the API-backed store
  'ingressbackend-no-status', // our controller's status through the API
  'ingress-no-address', // the ingress controller's status through the API
  'metrics-not-scraped', // Prometheus' pod discovery on cluster addresses
  'app-503', // the data path: ingress to sidecar to app on cluster addresses
  'watch-cut', // the API front's watch hook
  'watch-expired', // etcd compaction without the watch cache
];

/** Istio faults acting through the parts that differ on this mode (istiod's webhook certificate, Prometheus' discovery). */
const istioFaultsOnUpstream = [
  'istio-revision-missing', // the injection webhook's namespace selector, on kube-apiserver
  'native-sidecar-never-ready', // the native sidecar's status through the API
  'metrics-not-scraped', // the Istio addon's relabelling from the pod address
];

type Mesh = 'osm' | 'istio';
type Flavor = 'kind' | 'aks';

/** The faults the simulator lists for a mesh on a flavor. */
function listedFaults(flavor: Flavor, mesh: Mesh = 'osm'): string[] {
  const out = execFileSync(process.execPath, ['bin/mesh-conformance.js', 'sim', '--list-faults', '--mesh', mesh, '--flavor', flavor], { cwd: join(import.meta.dirname, '..'), encoding: 'utf8' });
  return out.split('\n').map((l) => l.split('\t')[0] ?? '').filter((name) => name !== '');
}

/**
 * The wider sweeps that look for more differences, too slow for every `npm test`:
 * MESH_CONFORMANCE_SELFTEST_UPSTREAM=all runs every fault of the OSM kind catalogue, not only the twelve above, the aks
 * sweep and the Istio sweep; `aks` runs only the aks sweep: the faults the fault matrix runs on aks (`aks: true`: their
 * path differs there), each on the aks flavor with the ingress its expectation names; `istio` runs only the Istio
 * sweep: every fault of the Istio kind catalogue, and those the matrix runs on Istio on aks.
 */
function upstreamFaults(): { fault: string; flavor: Flavor; mesh: Mesh }[] {
  const sweep = process.env.MESH_CONFORMANCE_SELFTEST_UPSTREAM;
  const wide = (name: string): boolean => built && (sweep === 'all' || sweep === name);
  const onAks = (mesh: Mesh): string[] => listedFaults('aks', mesh).filter((f) => faultExpectations[f]?.aks === true);
  const runs = (faults: string[], flavor: Flavor, mesh: Mesh) => faults.map((fault) => ({ fault, flavor, mesh }));
  const narrow = sweep === 'aks' || sweep === 'istio';
  return [
    ...runs(wide('all') ? listedFaults('kind') : narrow ? [] : faultsOnUpstream, 'kind', 'osm'),
    ...runs(wide('aks') ? onAks('osm') : [], 'aks', 'osm'),
    ...runs(wide('istio') ? listedFaults('kind', 'istio') : narrow ? [] : istioFaultsOnUpstream, 'kind', 'istio'),
    ...runs(wide('istio') ? onAks('istio') : [], 'aks', 'istio'),
  ];
}

/** How a test names a cluster: the fault matrix's names (kind, aks, istio-kind, istio-aks). */
const clusterName = (flavor: Flavor, mesh: Mesh): SimClusterName => (mesh === 'osm' ? flavor : `${mesh}-${flavor}`);

function tail(run: RunEvidence): string {
  return `\n--- output (last 3000 chars) ---\n${run.output.slice(-3000)}`;
}

/** `istiod: 'upstream'` runs the real istiod in place of our emulation (MESH_SIM_ISTIOD=upstream; Istio flavors only). */
function upstreamRun(fault: string | undefined, testInfo: TestInfo, flavor: Flavor = 'kind', mesh: Mesh = 'osm', istiod: 'emulated' | 'upstream' = 'emulated'): Promise<RunEvidence> {
  const e = fault ? faultExpectations[fault] : undefined;
  const ingress = e?.outcome === 'fail' ? e.ingress : undefined;
  return runConformance({
    ...(mesh === 'osm' ? {} : { mesh }), flavor, fault, ingress, controlPlane: 'upstream', reportDir: testInfo.outputPath('report'), budgets: upstreamBudgets, timeoutMs: runTimeoutMs,
    env: { MESH_SIM_ISTIOD: istiod },
  });
}

/** The simulator's log of a run (stderr lines and its ready line). */
function simulatorLog(run: RunEvidence): string {
  const dir = join(run.reportDir, 'simulator');
  return existsSync(dir) ? readdirSync(dir).map((d) => join(dir, d, 'simulator.log')).filter((f) => existsSync(f)).map((f) => readFileSync(f, 'utf8')).join('\n') : '';
}

/**
 * Istio faults that keep their verdict with the real istiod, each through a part that is istiod's there: its injection
 * webhook's revision selectors, its ENABLE_NATIVE_SIDECARS, the root it publishes against the certificates our SDS
 * signs, its Gateway API controller's status, the CA it loads from istio-ca-secret.
 */
const faultsWithRealIstiod = [
  'istio-revision-missing', // istiod and its webhook run the stale revision; the namespace's label selects none
  'classic-sidecars', // istiod runs with ENABLE_NATIVE_SIDECARS=false: its template adds a classic sidecar
  'foreign-ca-certificate', // our SDS signs with another CA than the root istiod publishes
  'gateway-not-programmed', // istiod's Gateway controller reports no address as Programmed=False
  'root-ca-expiring', // istiod reuses the soon-expiring root it finds in istio-ca-secret (a pass fault)
];

/** Whether an extended check's feature is absent from a simulated cluster (the clean run then skips it with the reason). */
function absentOn(check: string, cluster: SimClusterName): boolean {
  const on = (extendedChecksOn as Record<string, readonly SimClusterName[] | undefined>)[check];
  return on !== undefined && !on.includes(cluster);
}

function expectCleanPass(run: RunEvidence, cluster: SimClusterName): void {
  expect(run.output, 'the run says which control plane it started').toContain('upstream control plane');
  expect(run.code, `exit code of a run that must pass${tail(run)}`).toBe(0);
  const notPassed = run.checks.filter((c) => c.status !== 'passed' && !(c.status === 'skipped' && absentOn(c.check, cluster))).map((c) => `${c.check}: ${c.status} ${c.message.split('\n')[0] ?? ''}`);
  expect(run.checks.length, `the run reported no checks${tail(run)}`).toBeGreaterThan(0);
  expect(notPassed, 'every check passes').toEqual([]);
  expect(run.summary).toMatch(/^✔ cleanup: namespace mesh-conformance-\w+ and \d+ objects in it deleted$/m);
  expect(run.requestLogFile, 'the API front writes the request log').toBeDefined();
  expect(createdTwice(run.requests), 'objects created by more than one successful create').toEqual([]);
}

/** A fault keeps its verdict: a pass fault passes; a fail fault fails exactly its check. */
function expectVerdict(run: RunEvidence, e: FaultExpectation): void {
  if (e.outcome === 'pass') {
    expect(run.code, `exit code of a run that must pass${tail(run)}`).toBe(0);
    return;
  }
  expect(run.code, `exit code of a run that must fail${tail(run)}`).toBe(1);
  const failed = run.checks.filter((c) => c.status !== 'passed' && c.status !== 'skipped');
  expect(failed.map((c) => `${c.check}=${c.status}`), `exactly check ${e.check} fails${tail(run)}`).toEqual([`${e.check}=failed`]);
}

test.describe.configure({ mode: 'parallel' });

test('upstream: without the built binaries, `sim --control-plane upstream` exits 2 with one line saying how to build them', async () => {
  const cache = mkdtempSync(join(tmpdir(), 'mesh-upstream-empty-'));
  const r = await runCli(['sim', '--control-plane', 'upstream', '--kubeconfig', join(cache, 'kubeconfig')], { env: { MESH_UPSTREAM_CACHE: cache }, timeoutMs: 60_000 });
  expect(r.code, r.output).toBe(2);
  const lines = r.output.split('\n').filter((l) => l.includes('not built'));
  expect(lines, r.output).toEqual([expect.stringMatching(/^simulator: the upstream control plane is not built \(no binaries in .*\): run `npm run upstream:build`/)]);
  expect(r.output).not.toMatch(/\n\s+at /);
});

test('upstream: --control-plane is refused for a real target (exit 2, one line)', async () => {
  const r = await runCli(['run', '--target', 'kind', '--control-plane', 'upstream'], { timeoutMs: 60_000 });
  expect(r.code, r.output).toBe(2);
  expect(r.output.trim()).toBe('mesh-conformance: --control-plane applies only to --target local (it chooses what runs the simulated cluster): drop it for a real cluster');
});

test('upstream: a fault that acts on our istiod emulation is refused with the real istiod (exit 2, one line)', async () => {
  const kubeconfig = join(mkdtempSync(join(tmpdir(), 'mesh-istiod-refused-')), 'kubeconfig');
  const r = await runCli(['sim', '--mesh', 'istio', '--control-plane', 'upstream', '--fault', 'istio-injection-skipped', '--kubeconfig', kubeconfig], { env: { MESH_SIM_ISTIOD: 'upstream' }, timeoutMs: 60_000 });
  expect(r.code, r.output).toBe(2);
  const lines = r.output.split('\n').filter((l) => l.startsWith('simulator:'));
  expect(lines).toEqual(['simulator: fault "istio-injection-skipped" acts on our istiod emulation and cannot apply with the real istiod (MESH_SIM_ISTIOD=upstream): drop the fault, or unset MESH_SIM_ISTIOD']);
  expect(r.output).not.toMatch(/\n\s+at /);
});

test.describe('on the upstream control plane (skipped where the upstream binaries are not built: npm run upstream:build)', () => {
  test.skip(!built, skipReason);
  test.setTimeout(runTimeoutMs + 60_000);

  for (const mesh of ['osm', 'istio'] as const) {
    for (const flavor of ['kind', 'aks'] as const) {
      test(`${clusterName(flavor, mesh)}: a clean run passes every check and creates nothing twice`, async ({}, testInfo) => {
        expectCleanPass(await upstreamRun(undefined, testInfo, flavor, mesh), clusterName(flavor, mesh));
      });
    }
  }

  test('kind: `check --target local` reports the cluster ready (exit 0)', async () => {
    const r = await runCli(['check', '--target', 'local', '--control-plane', 'upstream'], { timeoutMs: runTimeoutMs });
    expect(r.code, r.output.slice(-3000)).toBe(0);
    expect(r.output).toMatch(/Status: \d+ ok, \d+ warnings?, 0 failures: ready \(exit 0\)/);
  });

  for (const { fault, flavor, mesh } of upstreamFaults()) {
    test(`${clusterName(flavor, mesh)}: ${fault} keeps its verdict`, async ({}, testInfo) => {
      const e = faultExpectations[fault];
      if (!e) throw new Error(`fault ${fault} has no expectation in selftest/fault-expectations.ts`);
      expectVerdict(await upstreamRun(fault, testInfo, flavor, mesh), e);
    });
  }

  test.describe('with the real istiod (MESH_SIM_ISTIOD=upstream; skipped where pilot-discovery and istioctl are not built: npm run upstream:build)', () => {
    test.skip(!upstreamIstiodPresent(), `the real istiod is not built (no pilot-discovery and istioctl in ${upstreamIstioBinDir()}): run \`npm run upstream:build\``);

    for (const flavor of ['kind', 'aks'] as const) {
      test(`${clusterName(flavor, 'istio')}: a clean run with the real istiod passes every check and creates nothing twice`, async ({}, testInfo) => {
        const run = await upstreamRun(undefined, testInfo, flavor, 'istio', 'upstream');
        expectCleanPass(run, clusterName(flavor, 'istio'));
        const log = simulatorLog(run);
        expect(log, 'istiod ran as pilot-discovery').toMatch(/istiod \(pilot-discovery\) ready in \d+ ms/);
        expect(log, 'the ready line says the real istiod runs').toContain('"meshControlPlane":"upstream"');
      });
    }

    test('istio-kind: `check --target local` reports the cluster ready with the real istiod (exit 0)', async () => {
      const r = await runCli(['check', '--target', 'local', '--mesh', 'istio', '--control-plane', 'upstream'], { env: { MESH_SIM_ISTIOD: 'upstream' }, timeoutMs: runTimeoutMs });
      expect(r.code, r.output.slice(-3000)).toBe(0);
      expect(r.output).toMatch(/MutatingWebhookConfiguration istio-sidecar-injector-asm-1-30 calls istiod-asm-1-30 \(1 ready endpoint\)/);
      expect(r.output).toMatch(/Status: \d+ ok, \d+ warnings?, 0 failures: ready \(exit 0\)/);
    });

    for (const fault of faultsWithRealIstiod) {
      test(`istio-kind: ${fault} keeps its verdict with the real istiod`, async ({}, testInfo) => {
        const e = faultExpectations[fault];
        if (!e) throw new Error(`fault ${fault} has no expectation in selftest/fault-expectations.ts`);
        const run = await upstreamRun(fault, testInfo, 'kind', 'istio', 'upstream');
        expect(simulatorLog(run), 'istiod ran as pilot-discovery').toMatch(/istiod \(pilot-discovery\) ready in \d+ ms/);
        expectVerdict(run, e);
      });
    }
  });
});
