// Requirement (issue 4): every check is proven to fail, on its own, on the fault it exists to catch, with a
// message that names the object, the expectation, what was seen last and the limit, and with the diagnostics
// attached; every `pass` fault and a clean run still pass, creating nothing twice.
import { execFileSync } from 'node:child_process';
import { expect, test } from '@playwright/test';
import type { TestInfo } from '@playwright/test';
import { parse } from 'yaml';
import type { CheckResult, Fault, RunEvidence } from './conformance-run.ts';
import { createdObjects, createdTwice, packageRoot, runConformance, selftestBudgets } from './conformance-run.ts';
import type { FailExpectation, FaultExpectation, MessageShape } from './fault-expectations.ts';
import { faultExpectations } from './fault-expectations.ts';
import { matchesFragment } from './templates.ts';
import { checkCatalogue } from '../harness/checks/catalogue.ts';

/** Bound on one conformance run: budgets of a failing wait, simulator start, cleanup and a loaded machine. */
const runTimeoutMs = 150_000;
const flavors = ['kind', 'aks'] as const;

/** The catalogue of one flavor, read when the file loads (the matrix has one test per fault it lists). */
function catalogue(flavor: string): Fault[] {
  const out = execFileSync(process.execPath, ['bin/mesh-conformance.js', 'sim', '--list-faults', '--flavor', flavor], { cwd: packageRoot, encoding: 'utf8' });
  return out.split('\n').filter((l) => l.trim() !== '').map((line) => {
    const [name = '', outcome = '', description = ''] = line.split('\t');
    return { name, outcome: outcome as Fault['outcome'], description };
  });
}
const faults = { kind: catalogue('kind'), aks: catalogue('aks') };

/** Which faults a flavor runs: kind runs all; aks those whose path differs there (`aks: true`). */
function runsOn(flavor: (typeof flavors)[number], fault: Fault): boolean {
  const e = faultExpectations[fault.name];
  return flavor === 'kind' || process.env.MESH_CONFORMANCE_SELFTEST_AKS === 'all' || e === undefined || e.aks === true;
}

test.describe.configure({ mode: 'parallel' });

test('catalogue: every fault listed by `sim --list-faults` has an expectation, and every expectation a fault', () => {
  const listed = new Map([...faults.kind, ...faults.aks].map((f) => [f.name, f]));
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

test('every check in the catalogue is proven to fail: some simulator fault makes exactly that check fail', () => {
  for (const flavor of flavors) {
    const failing = new Set(faults[flavor].map((f) => faultExpectations[f.name]).filter((e) => e?.outcome === 'fail').map((e) => (e).check));
    const unproven = checkCatalogue.filter((c) => c.level === 'core' && !failing.has(c.id)).map((c) => c.id);
    expect(unproven, `${flavor}: checks no fault makes fail (add a fault to the simulator and its expectation): ${unproven.join(', ')}`).toEqual([]);
  }
});

for (const flavor of flavors) {
  test(`${flavor}: a clean run passes every check and creates nothing twice`, async ({}, testInfo) => {
    const run = await conformanceRun(flavor, undefined, testInfo);
    expectPassingRun(run);
  });

  for (const fault of faults[flavor].filter((f) => runsOn(flavor, f))) {
    test(`${flavor}: ${fault.name} (${fault.outcome})`, async ({}, testInfo) => {
      const e: FaultExpectation | undefined = faultExpectations[fault.name];
      if (!e) throw new Error(`fault ${fault.name} (${fault.outcome}: ${fault.description}) has no expectation in selftest/fault-expectations.ts: add the check that must fail and the shape of its message`);
      expect(e.outcome, `fault ${fault.name}: the catalogue's outcome`).toBe(fault.outcome);
      const run = await conformanceRun(flavor, fault.name, testInfo);
      if (e.outcome === 'pass') expectPassingRun(run);
      else expectFailingRun(run, e, flavor === 'aks' && e.aksMessage ? e.aksMessage : e.message);
    });
  }
}

// A fault limited to other flavors is refused on aks (exit 2, one line saying why), never run as a no-op.
for (const fault of faults.kind.filter((f) => !faults.aks.some((a) => a.name === f.name))) {
  test(`aks: ${fault.name} is refused (no effect on aks)`, async ({}, testInfo) => {
    const run = await runConformance({ flavor: 'aks', fault: fault.name, reportDir: testInfo.outputPath('run'), budgets: selftestBudgets, timeoutMs: 60_000 });
    expect(run.code, run.output).toBe(2);
    expect(run.output).toContain(`fault "${fault.name}" has no effect on flavor aks`);
    expect(run.checks, 'no check ran').toEqual([]);
  });
}

async function conformanceRun(flavor: string, fault: string | undefined, testInfo: TestInfo): Promise<RunEvidence> {
  const run = await runConformance({ flavor, fault, reportDir: testInfo.outputPath('run'), budgets: selftestBudgets, timeoutMs: runTimeoutMs });
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

function expectPassingRun(run: RunEvidence): void {
  expect(run.code, `exit code of a run that must pass${tail(run)}`).toBe(0);
  expect(run.checks.length, `the run reported no checks${tail(run)}`).toBeGreaterThan(0);
  const notPassed = run.checks.filter((c) => c.status !== 'passed').map((c) => `${c.check}: ${c.status} ${c.message.split('\n')[0] ?? ''}`);
  expect(notPassed, 'every check passes').toEqual([]);
  expect(run.summary, 'the summary reports the cleanup').toMatch(/^✔ cleanup: namespace mesh-conformance-\w+ and \d+ objects in it deleted$/m);
  // The request log is the evidence for "nothing created twice": it must exist and show the run's own creates.
  expect(run.requestLogFile, `no simulator request log under ${run.reportDir}/simulator/`).toBeDefined();
  const created = createdObjects(run.requests);
  expect(created.filter((p) => p.startsWith('/api/v1/namespaces/mesh-conformance-') || /^\/api\/v1\/namespaces\/mesh-conformance-\w+$/.test(p)).length,
    `the request log shows the run's namespace and objects being created: ${created.join(', ')}`).toBeGreaterThan(0);
  expect(createdTwice(run.requests), 'objects created by more than one successful create').toEqual([]);
}

function expectFailingRun(run: RunEvidence, e: FailExpectation, shape: MessageShape): void {
  expect(run.code, `exit code of a run that must fail${tail(run)}`).toBe(1);
  const byCheck = new Map(run.checks.map((c) => [c.check, c]));
  expect([...byCheck.keys()], `the run's checks${tail(run)}`).toContain(e.check);
  const failed = run.checks.filter((c) => c.status !== 'passed' && c.status !== 'skipped');
  expect(failed.map((c) => `${c.check}=${c.status}`), `exactly check ${e.check} fails (with its own message, not the test timeout)${tail(run)}`).toEqual([`${e.check}=failed`]);
  const target = byCheck.get(e.check) as CheckResult;

  // The others pass, or are skipped because they depend (directly or not) on the failed check.
  for (const c of run.checks.filter((x) => x.status === 'skipped')) {
    const chain: string[] = [];
    for (let d = c.dependsOn; d; d = byCheck.get(d)?.dependsOn) chain.push(d);
    expect(chain, `check ${c.check} was skipped: it must depend on ${e.check}`).toContain(e.check);
    expect(run.summary, `summary line of skipped check ${c.check}`).toMatch(new RegExp(`^- ${c.check}: skipped, depends on ${c.dependsOn}, which (failed|was skipped)$`, 'm'));
  }

  // The message names the object, the expectation, the last state (timeout) or the reason (fail-fast), the limit.
  const parts: [string, string][] = shape.kind === 'timeout'
    ? [['object', shape.object], ['expected', shape.expected], ['last seen', shape.lastSeen], ['limit', shape.limit]]
    : [['object', shape.object], ['expected', shape.expected], ['observed reason', shape.observed]];
  const unmatched = parts.filter(([, fragment]) => !matchesFragment(target.message, fragment, selftestBudgets)).map(([label, fragment]) => `${label}: ${fragment}`);
  expect(unmatched, `the failure message of ${e.check} lacks these parts:\n${target.message}`).toEqual([]);

  expectDiagnostics(run, target, e);
  expect(run.summary, 'the summary reports the cleanup').toMatch(/^✔ cleanup: namespace mesh-conformance-\w+ and \d+ objects in it deleted$/m);
}

/** The diagnostics fixture attached, by name, everything the issue lists; log bodies do not claim a started container never started. */
function expectDiagnostics(run: RunEvidence, target: CheckResult, e: FailExpectation): void {
  const names = target.attachments;
  const ns = /^events (mesh-conformance-\w+)$/.exec(names.find((n) => n.startsWith('events ')) ?? '')?.[1];
  expect(ns, `attachments of ${e.check}: ${names.join(', ')}`).toBeDefined();
  const required = [`events ${ns}`, `pod status ${ns}`, 'objects created by the run', `IngressBackend ${ns}`, 'simulator request log', ...(e.http ? ['last HTTP exchanges'] : [])];
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
