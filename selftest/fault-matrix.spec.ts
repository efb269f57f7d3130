// Requirement (issue 4): every check is proven to fail, on its own, on the fault it exists to catch, with a
// message that names the object, the expectation, what was seen last and the limit, and with the diagnostics
// attached; every `pass` fault and a clean run still pass, creating nothing twice.
import { execFileSync } from 'node:child_process';
import { expect, test } from '@playwright/test';
import type { TestInfo } from '@playwright/test';
import { parse } from 'yaml';
import type { CheckResult, Fault, RunEvidence, SimTarget } from './conformance-run.ts';
import { createdObjects, createdTwice, packageRoot, runConformance, selftestBudgets, simTargets } from './conformance-run.ts';
import type { FailExpectation, FaultExpectation, MessageShape, PassExpectation } from './fault-expectations.ts';
import { extendedChecksOn, faultExpectations, httpFor, ingressServedOn, messageFor } from './fault-expectations.ts';
import { matchesFragment } from './templates.ts';
import type { CheckDefinition } from '../harness/checks/catalogue.ts';
import { checkCatalogue as catalogueValue } from '../harness/checks/catalogue.ts';

/** The catalogue as plain definitions (so the checks of either level can be asked about, whatever it holds today). */
const checkCatalogue: readonly CheckDefinition[] = catalogueValue;

/** Bound on one conformance run: budgets of a failing wait, simulator start, cleanup and a loaded machine. */
const runTimeoutMs = 150_000;

/** The catalogue of one simulated cluster, read when the file loads (the matrix has one test per fault it lists). */
function catalogue(target: SimTarget): Fault[] {
  const out = execFileSync(process.execPath, ['bin/mesh-conformance.js', 'sim', '--list-faults', '--mesh', target.mesh, '--flavor', target.flavor], { cwd: packageRoot, encoding: 'utf8' });
  return out.split('\n').filter((l) => l.trim() !== '').map((line) => {
    const [name = '', outcome = '', description = ''] = line.split('\t');
    return { name, outcome: outcome as Fault['outcome'], description };
  });
}
const faults = new Map(simTargets.map((t) => [t.name, catalogue(t)]));
const faultsOf = (t: SimTarget): Fault[] => faults.get(t.name) ?? [];

/** Which faults a cluster runs: on kind all; on aks those whose path differs there (`aks: true`), or all with MESH_CONFORMANCE_SELFTEST_AKS=all. */
function runsOn(target: SimTarget, fault: Fault): boolean {
  const e = faultExpectations[fault.name];
  return target.flavor === 'kind' || process.env.MESH_CONFORMANCE_SELFTEST_AKS === 'all' || e === undefined || e.aks === true;
}

test.describe.configure({ mode: 'parallel' });

test('catalogue: every fault listed by `sim --list-faults` has an expectation, and every expectation a fault', () => {
  const listed = new Map([...faults.values()].flat().map((f) => [f.name, f]));
  expect(listed.size, 'sim --list-faults printed no faults').toBeGreaterThan(0);
  for (const f of listed.values()) expect(f.outcome, `fault ${f.name}: outcome`).toMatch(/^(fail|pass)$/);
  const missing = [...listed.values()].filter((f) => !faultExpectations[f.name]).map((f) => `${f.name} (${f.outcome})`);
  expect(missing, `faults without an expectation in selftest/fault-expectations.ts (add the check that must fail and its message): ${missing.join(', ')}`).toEqual([]);
  const stale = Object.keys(faultExpectations).filter((name) => !listed.has(name));
  expect(stale, `expectations for faults the simulator no longer lists: ${stale.join(', ')}`).toEqual([]);
  const disagree = [...listed.values()].filter((f) => faultExpectations[f.name] && faultExpectations[f.name]?.outcome !== f.outcome)
    .map((f) => `${f.name}: catalogue says ${f.outcome}, expectation says ${faultExpectations[f.name]?.outcome}`);
  expect(disagree, 'catalogue and expectations disagree on the outcome').toEqual([]);
});

test('every check in the catalogue is proven to fail, on every simulated cluster: some fault makes exactly that check fail', () => {
  const failingOn = (target: SimTarget) => new Set<string>(faultsOf(target).map((f) => faultExpectations[f.name]).filter((e): e is FailExpectation => e?.outcome === 'fail').map((e) => e.check));
  for (const target of simTargets) {
    const failing = failingOn(target);
    const unproven = checkCatalogue.filter((c) => c.level === 'core' && !failing.has(c.id)).map((c) => c.id);
    expect(unproven, `${target.name}: checks no fault makes fail (add a fault to the simulator and its expectation): ${unproven.join(', ')}`).toEqual([]);
  }
  // An extended check runs only where the simulated cluster has its feature: it is proven to fail on each of those.
  for (const c of checkCatalogue.filter((x) => x.level === 'extended')) {
    const where = extendedChecksOn[c.id as keyof typeof extendedChecksOn] ?? [];
    expect(where.length, `extended check ${c.id}: name the simulated clusters that have its feature in extendedChecksOn (selftest/fault-expectations.ts)`).toBeGreaterThan(0);
    const unproven = simTargets.filter((t) => where.includes(t.name) && !failingOn(t).has(c.id)).map((t) => t.name);
    expect(unproven, `extended check ${c.id}: clusters with its feature where no fault makes it fail: ${unproven.join(', ')}`).toEqual([]);
  }
});

for (const target of simTargets) {
  test(`${target.name}: a clean run passes every check and creates nothing twice`, async ({}, testInfo) => {
    const run = await conformanceRun(target, undefined, testInfo);
    expectPassingRun(run, target);
  });

  for (const fault of faultsOf(target).filter((f) => runsOn(target, f))) {
    test(`${target.name}: ${fault.name} (${fault.outcome})`, async ({}, testInfo) => {
      const e: FaultExpectation | undefined = faultExpectations[fault.name];
      if (!e) throw new Error(`fault ${fault.name} (${fault.outcome}: ${fault.description}) has no expectation in selftest/fault-expectations.ts: add the check that must fail and the shape of its message`);
      expect(e.outcome, `fault ${fault.name}: the catalogue's outcome`).toBe(fault.outcome);
      const run = await conformanceRun(target, fault.name, testInfo, e.outcome === 'fail' ? e.ingress : undefined);
      if (e.outcome === 'pass') expectPassingRun(run, target, e.unavailable);
      else expectFailingRun(run, e, messageFor(e, target.name), target);
    });
  }
}

// Ingress profiles a simulated cluster serves besides its default one, each with its own faults (`ingress` in the
// expectation): a clean run through each passes too.
const extraIngresses = [...new Set(Object.values(faultExpectations).flatMap((e) => (e.outcome === 'fail' && e.ingress ? [e.ingress] : [])))];
for (const ingress of extraIngresses) {
  const target = simTargets.find((t) => t.name === ingressServedOn[ingress]);
  if (!target) continue;
  test(`${target.name} with ingress ${ingress}: a clean run passes every check and creates nothing twice`, async ({}, testInfo) => {
    const run = await conformanceRun(target, undefined, testInfo, ingress);
    expectPassingRun(run, target);
  });
}

// A fault limited to other clusters of the same mesh is refused (exit 2, one line saying why), never run as a no-op.
for (const target of simTargets) {
  const sibling = simTargets.find((t) => t.mesh === target.mesh && t.name !== target.name);
  for (const fault of (sibling ? faultsOf(sibling) : []).filter((f) => !faultsOf(target).some((a) => a.name === f.name))) {
    test(`${target.name}: ${fault.name} is refused (no effect there)`, async ({}, testInfo) => {
      const run = await runConformance({ mesh: target.mesh, flavor: target.flavor, fault: fault.name, reportDir: testInfo.outputPath('run'), budgets: selftestBudgets, timeoutMs: 60_000 });
      expect(run.code, run.output).toBe(2);
      expect(run.output).toContain(`fault "${fault.name}" has no effect on flavor ${target.name}`);
      expect(run.checks, 'no check ran').toEqual([]);
    });
  }
}

async function conformanceRun(target: SimTarget, fault: string | undefined, testInfo: TestInfo, ingress?: string): Promise<RunEvidence> {
  const run = await runConformance({ mesh: target.mesh, flavor: target.flavor, ingress, fault, reportDir: testInfo.outputPath('run'), budgets: selftestBudgets, timeoutMs: runTimeoutMs });
  await testInfo.attach('conformance run output', { body: run.output, contentType: 'text/plain' });
  const failed = run.checks.find((c) => c.status !== 'passed' && c.status !== 'skipped');
  // Issue 19, F15: the simulated cluster's credentials (its kubeconfig's bearer token, its Azure token) do not stay
  // in the report folder once the run is over.
  expect(run.credentialFiles, 'credential files left in the report folder').toEqual([]);
  testInfo.annotations.push({ type: 'run', description: `exit ${run.code} in ${(run.durationMs / 1000).toFixed(1)}s; ${run.checks.map((c) => `${c.check}=${c.status}`).join(' ')}` });
  if (failed) testInfo.annotations.push({ type: 'message', description: failed.message.split('\n')[0] ?? '' });
  return run;
}

const tail = (run: RunEvidence): string => `\n--- run output (last 3000 chars) ---\n${run.output.slice(-3000)}`;

/** What a check must do in a run that passes on `target`: pass, or (an extended check without its feature there) be skipped as unsupported. */
function expectedOnPassingRun(check: string, target: SimTarget, unavailable: PassExpectation['unavailable'] = {}): 'passed' | 'unsupported' {
  const def = checkCatalogue.find((c) => c.id === check);
  if (def?.level !== 'extended') return 'passed';
  if (unavailable[check as keyof typeof unavailable] !== undefined) return 'unsupported';
  return (extendedChecksOn[check as keyof typeof extendedChecksOn] ?? []).includes(target.name) ? 'passed' : 'unsupported';
}

function expectPassingRun(run: RunEvidence, target: SimTarget, unavailable: PassExpectation['unavailable'] = {}): void {
  expect(run.code, `exit code of a run that must pass${tail(run)}`).toBe(0);
  expect(run.checks.length, `the run reported no checks${tail(run)}`).toBeGreaterThan(0);
  const notPassed = run.checks.filter((c) => c.status !== 'passed' && expectedOnPassingRun(c.check, target, unavailable) === 'passed').map((c) => `${c.check}: ${c.status} ${c.message.split('\n')[0] ?? ''}`);
  expect(notPassed, 'every check passes (extended ones where the cluster has their feature)').toEqual([]);
  const wronglyRun = run.checks.filter((c) => expectedOnPassingRun(c.check, target, unavailable) === 'unsupported' && !(c.status === 'skipped' && c.unsupported)).map((c) => `${c.check}: ${c.status}`);
  expect(wronglyRun, `extended checks whose feature ${target.name} lacks are skipped as unsupported, with the reason`).toEqual([]);
  for (const c of run.checks.filter((x) => x.unsupported)) expect(run.summary, `summary line of unsupported check ${c.check}`).toMatch(new RegExp(`^- ${c.check}: skipped, extended feature \\S+ is not (supported by|available: ).+$`, 'm'));
  for (const [check, reason] of Object.entries(unavailable)) expect(run.summary, `the reason check ${check} is skipped`).toContain(reason);
  expect(run.summary, 'the summary reports the cleanup').toMatch(/^✔ cleanup: namespace mesh-conformance-\w+ and \d+ objects in it deleted$/m);
  // The request log is the evidence for "nothing created twice": it must exist and show the run's own creates.
  expect(run.requestLogFile, `no simulator request log under ${run.reportDir}/simulator/`).toBeDefined();
  const created = createdObjects(run.requests);
  expect(created.filter((p) => p.startsWith('/api/v1/namespaces/mesh-conformance-') || /^\/api\/v1\/namespaces\/mesh-conformance-\w+$/.test(p)).length,
    `the request log shows the run's namespace and objects being created: ${created.join(', ')}`).toBeGreaterThan(0);
  expect(createdTwice(run.requests), 'objects created by more than one successful create').toEqual([]);
}

function expectFailingRun(run: RunEvidence, e: FailExpectation, shape: MessageShape, target: SimTarget): void {
  expect(run.code, `exit code of a run that must fail${tail(run)}`).toBe(1);
  const byCheck = new Map(run.checks.map((c) => [c.check, c]));
  expect([...byCheck.keys()], `the run's checks${tail(run)}`).toContain(e.check);
  const failed = run.checks.filter((c) => c.status !== 'passed' && c.status !== 'skipped');
  expect(failed.map((c) => `${c.check}=${c.status}`), `exactly check ${e.check} fails (with its own message, not the test timeout)${tail(run)}`).toEqual([`${e.check}=failed`]);
  const failedCheck = byCheck.get(e.check) as CheckResult;

  // The others pass, or are skipped because they depend (directly or not) on the failed check, or run after it (the
  // checks share one namespace: an extended check after a failed one is not run), or lack their feature here.
  const order = run.checks.map((c) => c.check);
  for (const c of run.checks.filter((x) => x.status === 'skipped')) {
    if (c.unsupported && expectedOnPassingRun(c.check, target) === 'unsupported') continue;
    const chain: string[] = [];
    for (let d = c.dependsOn; d; d = byCheck.get(d)?.dependsOn) chain.push(d);
    if (chain.includes(e.check)) {
      expect(run.summary, `summary line of skipped check ${c.check}`).toMatch(new RegExp(`^- ${c.check}: skipped, depends on ${c.dependsOn}, which (failed|was skipped)$`, 'm'));
    } else {
      expect(order.indexOf(c.check), `check ${c.check} was skipped: it must depend on ${e.check} or run after it`).toBeGreaterThan(order.indexOf(e.check));
      expect(run.summary, `summary line of skipped check ${c.check}`).toMatch(new RegExp(`^- ${c.check}: skipped, not run: ${e.check} failed before it`, 'm'));
    }
  }

  // The message names the object, the expectation, the last state (timeout) or the reason (fail-fast), the limit.
  const parts: [string, string][] = shape.kind === 'timeout'
    ? [['object', shape.object], ['expected', shape.expected], ['last seen', shape.lastSeen], ['limit', shape.limit]]
    : [['object', shape.object], ['expected', shape.expected], ['observed reason', shape.observed]];
  const unmatched = parts.filter(([, fragment]) => !matchesFragment(failedCheck.message, fragment, selftestBudgets)).map(([label, fragment]) => `${label}: ${fragment}`);
  expect(unmatched, `the failure message of ${e.check} lacks these parts:\n${failedCheck.message}`).toEqual([]);

  expectDiagnostics(run, failedCheck, e, target);
  expect(run.summary, 'the summary reports the cleanup').toMatch(/^✔ cleanup: namespace mesh-conformance-\w+ and \d+ objects in it deleted$/m);
}

/** The diagnostics fixture attached, by name, everything the issue lists; log bodies do not claim a started container never started. */
function expectDiagnostics(run: RunEvidence, target: CheckResult, e: FailExpectation, cluster: SimTarget): void {
  const names = target.attachments;
  const ns = /^events (mesh-conformance-\w+)$/.exec(names.find((n) => n.startsWith('events ')) ?? '')?.[1];
  expect(ns, `attachments of ${e.check}: ${names.join(', ')}`).toBeDefined();
  const policyKind = cluster.mesh === 'istio' ? 'AuthorizationPolicy' : 'IngressBackend';
  const required = [`events ${ns}`, `pod status ${ns}`, 'objects created by the run', `${policyKind} ${ns}`, 'simulator request log', ...(httpFor(e, cluster.name) ? ['last HTTP exchanges'] : [])];
  expect(names, 'diagnostics attachments').toEqual(expect.arrayContaining(required));
  expect(names.filter((n) => n.endsWith('(collection failed)')), 'diagnostics that failed to collect').toEqual([]);

  // Every container of every pod (init and sidecar included) has its log attached.
  const podStatus = target.attachmentBodies.get(`pod status ${ns}`);
  const pods = (podStatus ? parse(podStatus) : []) as { name: string; containers?: string[]; initContainers?: string[]; status?: { initContainerStatuses?: ContainerStatus[]; containerStatuses?: ContainerStatus[] } }[];
  if (e.check !== 'namespace') expect(pods.length, `pods in ${ns}`).toBeGreaterThan(0);
  for (const pod of pods) {
    for (const c of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
      const name = `log ${pod.name}/${c}`;
      expect(names, 'container log attachments').toContain(name);
      const st = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])].find((s) => s.name === c);
      if (st?.state?.running || st?.state?.terminated) {
        expect(target.attachmentBodies.get(name) ?? '', `${name}: container ${st.state.running ? 'runs' : 'terminated'}, so its log is readable`).not.toMatch(/^<no log:/);
      }
    }
  }
}

interface ContainerStatus {
  name: string;
  state?: { running?: unknown; terminated?: unknown; waiting?: unknown };
}
