// Requirement (issue 7, cleanup): SIGINT or SIGTERM in any phase of a run deletes what the run created before the
// process exits, within a bounded time, with exit code 130; a SIGKILLed CLI leaves no simulator running.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { expect, test } from '@playwright/test';
import type { KubernetesObject } from '@kubernetes/client-node';
import { runLabelKeys } from '../harness/k8s/run-labels.ts';
import { pollUntil, quickBudgets, runCliToEnd, runObjects, startCli, testRunId, useTestSim } from './reliability-support.ts';

/** The bound on "signal received → process exited, everything deleted" (cleanup waits for the namespace to be gone). */
const exitBoundMs = 45_000;

test.describe.configure({ mode: 'serial' });

const dir = resolve(process.env.MESH_CONFORMANCE_SELFTEST_REPORT_DIR ?? 'reports/selftest', 'interrupt');

// api-slow widens every phase (150 ms per API call), so each can be hit on purpose.
const sim = useTestSim(join(dir, 'sim'), { faults: ['api-slow'] });

/** First object of the run of `kind` (optionally matching `ready`) in the cluster. */
function appears(runId: string, type: { apiVersion: string; kind: string }, ready: (o: KubernetesObject) => boolean = () => true) {
  return async (): Promise<KubernetesObject | undefined> => {
    const list = await sim().client.list<KubernetesObject>(type, { labelSelector: `${runLabelKeys.runId}=${runId}` }, { budgetMs: 10_000 });
    return list.items.find(ready);
  };
}

const phases: { name: string; signal: NodeJS.Signals; when?: (runId: string) => () => Promise<unknown>; line?: RegExp }[] = [
  { name: 'namespace creation (the namespace just appeared)', signal: 'SIGINT', when: (id) => appears(id, { apiVersion: 'v1', kind: 'Namespace' }) },
  { name: 'rollout wait (Deployment applied, pod not Ready)', signal: 'SIGINT', when: (id) => appears(id, { apiVersion: 'apps/v1', kind: 'Deployment' }) },
  { name: 'HTTP loop (Ingress has an address, requests under way)', signal: 'SIGTERM',
    when: (id) => appears(id, { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' }, (o) => !!(o as { status?: { loadBalancer?: { ingress?: unknown[] } } }).status?.loadBalancer?.ingress?.length) },
  // The terminal or SSH session closes (issue 19, F10): the same as SIGTERM, not an exit 129 with the runner going on.
  { name: 'rollout wait, the terminal closing (SIGHUP)', signal: 'SIGHUP', when: (id) => appears(id, { apiVersion: 'apps/v1', kind: 'Deployment' }) },
  // The last check has passed (the reporter printed it); the worker is tearing the namespace down.
  { name: 'teardown (the last check passed, the namespace is being deleted)', signal: 'SIGINT', line: /✓.*ingress: GET/ },
];

for (const phase of phases) {
  test(`${phase.signal} during ${phase.name}: exit 130, nothing of the run left`, async () => {
    const runId = testRunId('int');
    const run = startCli(['run', '--target', 'kind', '--kubeconfig', sim().kubeconfig, '--report-dir', join(dir, runId), '--', '--grep', '@ingress'],
      { env: { ...quickBudgets, MESH_CONFORMANCE_RUN_ID: runId } });
    if (phase.when) await pollUntil(`the run to reach ${phase.name}`, phase.when(runId), 90_000);
    if (phase.line) await run.waitForLine(phase.line, 90_000);
    const signalledAt = Date.now();
    run.child.kill(phase.signal);
    const ended = await run.ended;
    const tookMs = ended.endedAt - signalledAt;
    test.info().annotations.push({ type: 'interrupt-to-exit', description: `${phase.signal} during ${phase.name}: exited ${ended.code} after ${tookMs} ms` });
    console.log(`interrupt: ${phase.signal} during ${phase.name}: exit ${ended.code} in ${tookMs} ms`);
    expect(ended.code, run.output().slice(-3000)).toBe(130);
    expect(tookMs, 'signal → exit within the bound').toBeLessThan(exitBoundMs);
    // Listed right after the exit: the run waited until its namespace was gone, so not even a terminating one is left.
    expect(await runObjects(sim().client, runId), 'objects of the run left in the cluster').toEqual([]);
    expect(run.output()).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/); // no stack trace
  });
}

test('keep-on-failure keeps only the failed namespace and says how to inspect and delete it; `cleanup` finds and deletes it', async () => {
  const runId = testRunId('keep');
  // A rollout budget no pod can meet: the httpbin check fails, the namespace is kept.
  const run = startCli(['run', '--target', 'kind', '--kubeconfig', sim().kubeconfig, '--report-dir', join(dir, runId), '--keep-on-failure', '--', '--grep', '@sidecar'],
    { env: { ...quickBudgets, MESH_CONFORMANCE_TIMEOUT_ROLLOUT: '1', MESH_CONFORMANCE_RUN_ID: runId } });
  const ended = await run.ended;
  expect(ended.code, run.output().slice(-3000)).toBe(1);
  const kept = await runObjects(sim().client, runId);
  const ns = kept.find((k) => k.startsWith('Namespace '))?.slice('Namespace '.length) ?? '';
  expect(kept, 'the failed check\'s namespace is kept (and only objects of it)').toContain(`Namespace ${ns}`);
  expect(run.output()).toContain(`kept namespace ${ns} for inspection (keepOnFailure); inspect: kubectl --kubeconfig ${sim().kubeconfig}`);
  expect(run.output()).toMatch(new RegExp(`get all,events,[a-z,]+ -n ${ns}; delete: kubectl --kubeconfig ${sim().kubeconfig.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));

  // Its lease was released: `cleanup --ttl 0` sees a dead run's namespace; --dry-run only lists it.
  const dry = await runCliToEnd(['cleanup', '--kubeconfig', sim().kubeconfig, '--ttl', '0', '--dry-run'], { timeoutMs: 60_000 });
  expect(dry.code, dry.output).toBe(0);
  expect(dry.stdout).toContain(`would delete namespace ${ns} (run ${runId}): run ${runId} is dead`);
  expect(await runObjects(sim().client, runId), '--dry-run deleted nothing').toContain(`Namespace ${ns}`);
  // The default TTL (1h) keeps it: it is younger.
  const young = await runCliToEnd(['cleanup', '--kubeconfig', sim().kubeconfig], { timeoutMs: 60_000 });
  expect(young.stdout).toContain(`keeping namespace ${ns} (run ${runId}): created`);
  const real = await runCliToEnd(['cleanup', '--kubeconfig', sim().kubeconfig, '--ttl', '0'], { timeoutMs: 60_000 });
  expect(real.code, real.output).toBe(0);
  expect(real.stdout).toContain(`deleted namespace ${ns}`);
  await pollUntil(`namespace ${ns} to be gone`, async () => ((await runObjects(sim().client, runId)).length === 0 ? true : undefined), 30_000);
});

test('SIGINT while the simulated cluster is starting (target local): exit 130, the simulator is gone', async () => {
  const reportDir = join(dir, `local-${Date.now().toString(36)}`);
  const run = startCli(['run', '--report-dir', reportDir], { env: quickBudgets });
  await run.waitForLine(/starting the simulated cluster/, 30_000);
  const signalledAt = Date.now();
  run.child.kill('SIGINT');
  const ended = await run.ended;
  console.log(`interrupt: SIGINT while the simulator starts: exit ${ended.code} in ${ended.endedAt - signalledAt} ms`);
  expect(ended.code, run.output()).toBe(130);
  expect(ended.endedAt - signalledAt).toBeLessThan(exitBoundMs);
  expect(simulatorProcessesUnder(reportDir)).toEqual([]);
});

test('SIGKILL of the CLI (target local): the simulator child does not outlive it', async () => {
  const reportDir = join(dir, `kill-${Date.now().toString(36)}`);
  const run = startCli(['run', '--report-dir', reportDir], { env: quickBudgets });
  await run.waitForLine(/simulated cluster ready/, 90_000);
  expect(simulatorProcessesUnder(reportDir).length, 'the simulator runs before the kill').toBeGreaterThan(0);
  const killedAt = Date.now();
  run.child.kill('SIGKILL');
  // Not awaiting `run.ended`: the CLI's stdout is shared with its Playwright child, which may still be finishing.
  // The watchdog: the simulator sees its stdin pipe close and shuts down (children included) within its 5 s budget.
  await pollUntil('the simulator process to exit after the CLI was SIGKILLed', () => Promise.resolve(simulatorProcessesUnder(reportDir).length === 0 ? true : undefined), 15_000);
  console.log(`interrupt: SIGKILL of the CLI: simulator gone ${Date.now() - killedAt} ms later`);
  // Playwright (own process group) may still be finishing against the dead cluster; it is bounded by its own timeouts.
});

test('SIGTERM during pre-flight (a credential plugin still running): exit 130 at once, the plugin stopped (issue 19, F10, F3)', async () => {
  const pidFile = join(dir, `plugin-${Date.now().toString(36)}.pid`);
  const plugin = join(dir, 'slow-plugin.sh');
  writeFileSync(plugin, `#!/bin/sh\necho $$ > ${pidFile}\nexec sleep 600\n`, { mode: 0o755 });
  const kc = parse(readFileSync(sim().kubeconfig, 'utf8')) as { users: { user: Record<string, unknown> }[] };
  kc.users[0]!.user = { exec: { apiVersion: 'client.authentication.k8s.io/v1beta1', command: plugin, args: ['get-token'] } };
  const kubeconfig = join(dir, 'slow-plugin.kubeconfig');
  writeFileSync(kubeconfig, stringify(kc), { mode: 0o600 });
  const run = startCli(['run', '--target', 'kind', '--kubeconfig', kubeconfig, '--report-dir', join(dir, 'preflight-term')], { env: quickBudgets });
  const pid = await pollUntil('the credential plugin to start', () => Promise.resolve(existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : undefined), 30_000);
  const signalledAt = Date.now();
  run.child.kill('SIGTERM');
  const ended = await run.ended;
  console.log(`interrupt: SIGTERM during pre-flight: exit ${ended.code} in ${ended.endedAt - signalledAt} ms`);
  expect(ended.code, run.output()).toBe(130);
  expect(ended.endedAt - signalledAt, 'at once: nothing of the run exists yet').toBeLessThan(5_000);
  await pollUntil(`the plugin process ${pid} to be gone`, () => Promise.resolve(alive(pid) ? undefined : true), 5_000);
});

test('SIGKILL of the CLI during the HTTP loop: the runner stops by itself and its workers delete what the run created (issue 19, F10)', async () => {
  const runId = testRunId('kill9');
  const reportDir = join(dir, runId);
  const run = startCli(['run', '--target', 'kind', '--kubeconfig', sim().kubeconfig, '--report-dir', reportDir, '--', '--grep', '@ingress'],
    { env: { ...quickBudgets, MESH_CONFORMANCE_RUN_ID: runId } });
  await pollUntil('the run to reach the HTTP loop', appears(runId, { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' }), 90_000);
  expect(processesOfRun(reportDir).length, 'the runner and its worker run before the kill').toBeGreaterThan(1);
  const killedAt = Date.now();
  run.child.kill('SIGKILL');
  await pollUntil('the runner and its workers to exit', () => Promise.resolve(processesOfRun(reportDir).length === 0 ? true : undefined), exitBoundMs);
  await pollUntil('the run\'s objects to be gone', async () => ((await runObjects(sim().client, runId)).length === 0 ? true : undefined), exitBoundMs);
  console.log(`interrupt: SIGKILL of the CLI: runner gone and objects deleted ${Date.now() - killedAt} ms later`);
});

/** Whether a process is alive (inspection only). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Pids of processes whose environment names `reportDir` (the runner and its workers carry the run's config path). */
function processesOfRun(reportDir: string): string[] {
  return readdirSync('/proc').filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid).filter((p) => {
    try {
      return readFileSync(`/proc/${p}/environ`, 'latin1').includes(`${reportDir}/runs/`);
    } catch {
      return false;
    }
  });
}

/** Pids of simulator processes whose command line names a kubeconfig under `reportDir` (inspection only, never killed here). */
function simulatorProcessesUnder(reportDir: string): string[] {
  try {
    return execFileSync('pgrep', ['-f', `simulator/src/main.ts.*${reportDir}`], { encoding: 'utf8' }).split('\n').filter(Boolean);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}
