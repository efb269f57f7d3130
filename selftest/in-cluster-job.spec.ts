// Requirement (issue 16 §3): the in-cluster path end to end on the simulator. `kubectl apply` of the shipped
// deploy/rbac.yaml and deploy/job.yaml; the simulated kubelet runs the project's image as the harness (a child
// process with the pod's in-cluster environment: service-account token, CA, KUBERNETES_SERVICE_* of the same simulated
// API server); the Job ends Complete with the results where Sonobuoy's plugin contract says (junit.xml, the
// ConformanceReport, summary, results.tar.gz and the done file naming it), and every API request the harness made is
// allowed by the shipped roles. With a fault that breaks the mesh, the pod exits 1 and the Job is Failed. The only
// change to the shipped Job: the results volume is a hostPath (the simulated node's filesystem is the host's), so the
// test can read what the pod wrote, and short budgets.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse, stringify } from 'yaml';
import { budgetEnv, packageRoot, selftestBudgets } from './conformance-run.ts';
import type { LoggedSim, Manifest } from './deploy-support.ts';
import { deniedRequests, deployManifests, kubectl, startLoggedSim } from './deploy-support.ts';
import { runObjects } from './reliability-support.ts';

const ns = 'mesh-conformance';

/** The shipped Job with its results volume on the host and the self-tests' budgets. */
function testJob(resultsDir: string): Manifest {
  const job = deployManifests('job.yaml').find((m) => m.kind === 'Job') as Manifest & { spec: { template: { spec: { volumes: Record<string, unknown>[]; containers: { env?: { name: string; value: string }[] }[] } } } };
  const pod = job.spec.template.spec;
  pod.volumes = pod.volumes.map((v) => (v.name === 'results' ? { name: 'results', hostPath: { path: resultsDir, type: 'DirectoryOrCreate' } } : v));
  const container = pod.containers[0]!;
  container.env = [...(container.env ?? []), ...Object.entries(budgetEnv(selftestBudgets)).map(([name, value]) => ({ name, value }))];
  return job;
}

async function runJob(sim: LoggedSim, dir: string, expected: 'complete' | 'failed'): Promise<{ results: string; podExit: number; logs: string }> {
  const results = join(dir, 'results');
  const file = join(dir, 'job.yaml');
  writeFileSync(file, stringify(testJob(results)));
  const rbac = await kubectl(sim.kubeconfig, ['apply', '-f', join(packageRoot, 'deploy', 'rbac.yaml')]);
  expect(rbac.code, rbac.stderr).toBe(0);
  const applied = await kubectl(sim.kubeconfig, ['apply', '-f', file]);
  expect(applied.stdout + applied.stderr).toContain('job.batch/mesh-conformance created');
  // kubectl wait watches the Job until the expected condition (bounded).
  const waited = await kubectl(sim.kubeconfig, ['-n', ns, 'wait', `--for=condition=${expected}`, 'job/mesh-conformance', '--timeout=150s'], 160_000);
  expect(waited.code, `${waited.stderr}\n${(await kubectl(sim.kubeconfig, ['-n', ns, 'logs', 'job/mesh-conformance'])).stdout}`).toBe(0);
  const pods = JSON.parse((await kubectl(sim.kubeconfig, ['-n', ns, 'get', 'pods', '-l', 'job-name=mesh-conformance', '-o', 'json'])).stdout) as { items: { status: { phase: string; containerStatuses: { state: { terminated?: { exitCode: number } } }[] } }[] };
  expect(pods.items).toHaveLength(1);
  const logs = (await kubectl(sim.kubeconfig, ['-n', ns, 'logs', 'job/mesh-conformance'])).stdout;
  return { results, podExit: pods.items[0]?.status.containerStatuses[0]?.state.terminated?.exitCode ?? -1, logs };
}

function jobCondition(sim: LoggedSim): Promise<string> {
  return kubectl(sim.kubeconfig, ['-n', ns, 'get', 'job', 'mesh-conformance', '-o', 'jsonpath={range .status.conditions[*]}{.type}={.status};{end}']).then((r) => r.stdout);
}

/** The ConformanceReport in the results validates against the published schema; returns it. */
function validReport(results: string): Record<string, unknown> {
  // The schema's `pattern`s carry the date formats, so ajv-formats is not needed (validateFormats: false).
  const validate = new Ajv2020({ allErrors: true, strict: false, validateFormats: false }).compile(JSON.parse(readFileSync(join(packageRoot, 'docs', 'conformance-report.schema.json'), 'utf8')) as object);
  const report = parse(readFileSync(join(results, 'conformance-report.yaml'), 'utf8')) as Record<string, unknown>;
  expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
  return report;
}

/** The Sonobuoy contract: `done` holds the path of the archive, which holds the results. */
function expectSonobuoyContract(results: string): string[] {
  const done = readFileSync(join(results, 'done'), 'utf8');
  expect(done).toBe(join(results, 'results.tar.gz'));
  return execFileSync('tar', ['-tzf', done], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

test.describe('in-cluster: the shipped Job on the simulated cluster', () => {
  test('runs the harness in a pod to completion: Job Complete, results per the Sonobuoy contract, every request allowed by the shipped RBAC, nothing left behind', async () => {
    test.setTimeout(240_000);
    const dir = mkdtempSync(join(tmpdir(), 'mc-job-pass-'));
    const sim = await startLoggedSim(join(dir, 'sim'));
    try {
      const { results, podExit, logs } = await runJob(sim, dir, 'complete');
      expect(podExit, logs).toBe(0);
      expect(await jobCondition(sim)).toContain('Complete=True');
      expect(logs).toMatch(/pre-flight passed \(context in-cluster, server https:\/\/127\.0\.0\.1:\d+/);
      // The four core checks; the extended workload-identity, dapr-invocation and canary checks pass on top; external-authorization and ingress-mtls are skipped as
      // unsupported (turning each on is a cluster change the Job does not allow).
      expect(logs).toMatch(/^core: 4 passed, 0 failed, 0 skipped \(success\)$/m);
      expect(logs).toMatch(/mesh-conformance: \d+ passed, 0 failed, 2 skipped; run passed/);
      for (const f of ['junit.xml', 'conformance-report.yaml', 'conformance-report.json', 'summary.txt', 'results.tar.gz', 'done']) expect(existsSync(join(results, f)), f).toBe(true);
      expect(expectSonobuoyContract(results)).toEqual(['conformance-report.json', 'conformance-report.yaml', 'junit.xml', 'summary.txt']);
      expect(readFileSync(join(results, 'junit.xml'), 'utf8')).toMatch(/<testsuites[^>]* tests="9" failures="0"/); // four core checks and the extended workload-identity, external-authorization, ingress-mtls, dapr-invocation and canary
      expect(validReport(results)).toMatchObject({ mode: 'in-cluster', run: { result: 'passed' }, cluster: { context: 'in-cluster', provider: 'kind' }, core: { result: 'success' } });

      // The harness's requests (kubectl's are the test's own) were all allowed by the shipped roles.
      const harness = sim.requests().filter((e) => !e.userAgent.startsWith('kubectl'));
      expect(harness.length).toBeGreaterThan(50);
      const shipped = deployManifests('rbac.yaml');
      expect(deniedRequests(harness, shipped, { name: 'mesh-conformance', namespace: ns })).toEqual([]);
      // The evaluator can fail: without the RoleBinding in the mesh's namespace, the metrics path through the service proxy is denied.
      const withoutBinding = shipped.filter((m) => m.kind !== 'RoleBinding');
      expect(deniedRequests(harness, withoutBinding, { name: 'mesh-conformance', namespace: ns })).toContainEqual(expect.stringMatching(/^get services\/proxy in \S+ \(GET /));
      expect(await runObjects(sim.client), 'the in-cluster run removed all it created').toEqual([]);
    } finally {
      await sim.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a fault that breaks the mesh fails the pod with exit 1 and the Job with it; the results still follow the contract', async () => {
    test.setTimeout(240_000);
    const dir = mkdtempSync(join(tmpdir(), 'mc-job-fail-'));
    const sim = await startLoggedSim(join(dir, 'sim'), { faults: ['ingressbackend-admission-denied'] });
    try {
      const { results, podExit, logs } = await runJob(sim, dir, 'failed');
      expect(podExit, logs).toBe(1);
      expect(await jobCondition(sim)).toContain('Failed=True');
      expect(logs).toMatch(/✖ ingress: failed/);
      expect(expectSonobuoyContract(results)).toEqual(expect.arrayContaining(['junit.xml', 'conformance-report.yaml', 'summary.txt', 'diagnostics/']));
      expect(validReport(results)).toMatchObject({ mode: 'in-cluster', run: { result: 'failed' }, core: { result: 'failure', statistics: { failed: 1 } } });
      expect(await runObjects(sim.client), 'the failed in-cluster run removed all it created').toEqual([]);
    } finally {
      await sim.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
