/**
 * Runs the real conformance suite through the CLI (`bin/mesh-conformance.js run`) against the simulated
 * cluster and reads back what a user would look at: exit code, output, the Playwright JSON report,
 * summary.txt and the simulator's API request log.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JSONReport, JSONReportSuite, JSONReportTestResult } from '@playwright/test/reporter';
import type { RequestLogEntry } from '../simulator/src/api/request-log.ts';
import type { Budgets } from './templates.ts';

export const packageRoot = fileURLToPath(new URL('..', import.meta.url));
const cli = join(packageRoot, 'bin', 'mesh-conformance.js');

/**
 * Short budgets keep the matrix within minutes: a fault that makes a wait time out costs its class's budget.
 * They stay well above what a clean run needs on a loaded 2-core machine (httpbin is Ready in ~3 s).
 */
export const selftestBudgets: Budgets = { rollout: 20_000, assert: 10_000, http: 10_000, metrics: 30_000 };

/** The budgets as the CLI reads them (`MESH_CONFORMANCE_TIMEOUT_<CLASS>`, `MESH_CONFORMANCE_METRICS_TIMEOUT`). */
export function budgetEnv(b: Budgets): Record<string, string> {
  return {
    MESH_CONFORMANCE_TIMEOUT_ROLLOUT: String(b.rollout),
    MESH_CONFORMANCE_TIMEOUT_ASSERT: String(b.assert),
    MESH_CONFORMANCE_TIMEOUT_HTTP: String(b.http),
    MESH_CONFORMANCE_METRICS_TIMEOUT: String(b.metrics),
  };
}

export interface Fault {
  name: string;
  outcome: 'fail' | 'pass';
  description: string;
}

export interface CliResult {
  code: number | null;
  output: string;
  durationMs: number;
}

/** Grace after SIGINT for a run past its bound to clean up (it deletes its namespace) before SIGKILL. */
const interruptGraceMs = 30_000;

/**
 * Runs the CLI to completion, capturing stdout and stderr together. Bounded: past `timeoutMs` the CLI gets SIGINT
 * (it cleans up and stops its simulator), SIGKILL after a grace, and the promise rejects naming the bound.
 */
export function runCli(args: string[], opts: { env?: Record<string, string>; timeoutMs: number }): Promise<CliResult> {
  const started = Date.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [cli, ...args], {
      cwd: packageRoot,
      // A clean environment for the run: no MESH_CONFORMANCE_* from the caller leaks in.
      env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MESH_CONFORMANCE_'))), ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGINT'); // the CLI removes what it created on SIGINT and stops the simulator
      killTimer = setTimeout(() => child.kill('SIGKILL'), interruptGraceMs);
    }, opts.timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      if (timedOut) {
        reject(new Error(`mesh-conformance ${args.join(' ')} did not finish within ${opts.timeoutMs / 1000}s (interrupted, then ${signal ?? `exit ${code}`}); output:\n${output.slice(-4000)}`));
      } else {
        resolvePromise({ code, output, durationMs: Date.now() - started });
      }
    });
  });
}

/** A simulated cluster the matrix runs on: a mesh on a cluster shape, named as the simulator names its flavors. */
export interface SimTarget {
  name: 'kind' | 'aks' | 'istio-kind' | 'istio-aks';
  mesh: 'osm' | 'istio';
  flavor: 'kind' | 'aks';
}

/** Every simulated cluster: OSM and Istio, each on kind and on AKS. */
export const simTargets: readonly SimTarget[] = [
  { name: 'kind', mesh: 'osm', flavor: 'kind' },
  { name: 'aks', mesh: 'osm', flavor: 'aks' },
  { name: 'istio-kind', mesh: 'istio', flavor: 'kind' },
  { name: 'istio-aks', mesh: 'istio', flavor: 'aks' },
];

/** The fault catalogue of one simulated cluster, from `mesh-conformance sim --list-faults` (never from simulator code). */
export async function listFaults(target: SimTarget): Promise<Fault[]> {
  const r = await runCli(['sim', '--list-faults', '--mesh', target.mesh, '--flavor', target.flavor], { timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`mesh-conformance sim --list-faults --mesh ${target.mesh} --flavor ${target.flavor} exited ${r.code}: ${r.output}`);
  return r.output.split('\n').filter((l) => l.trim() !== '').map((line) => {
    const [name, outcome, description, ...rest] = line.split('\t');
    if (!name || (outcome !== 'fail' && outcome !== 'pass') || description === undefined || rest.length) {
      throw new Error(`sim --list-faults printed a line that is not NAME<TAB>fail|pass<TAB>description: ${JSON.stringify(line)}`);
    }
    return { name, outcome, description };
  });
}

/** One check of a finished run, as the JSON report has it. */
export interface CheckResult {
  check: string;
  title: string;
  dependsOn: string | undefined;
  /** `core` or `extended` (the catalogue's level). */
  level: string | undefined;
  status: JSONReportTestResult['status'] | 'not run';
  /** Skipped because the profiles or the cluster lack its (extended) feature. */
  unsupported: boolean;
  message: string;
  attachments: string[];
  /** Inline attachment bodies by name (the diagnostics are inline; files such as error-context are not read). */
  attachmentBodies: Map<string, string>;
}

// The simulator's request log format is its contract with the self-tests (simulator/README.md, --request-log).
export type { RequestLogEntry } from '../simulator/src/api/request-log.ts';

/** Everything one CLI run left behind. */
export interface RunEvidence extends CliResult {
  reportDir: string;
  checks: CheckResult[];
  /** Errors outside any test (worker teardown, i.e. cleanup). */
  runErrors: string[];
  summary: string;
  requests: RequestLogEntry[];
  requestLogFile: string | undefined;
  /** Credential files of the simulated cluster still in the report folder after the run (its kubeconfig, its Azure token). */
  credentialFiles: string[];
}

// eslint-disable-next-line no-control-regex
export const stripAnsi = (text: string): string => text.replace(/\u001b\[[0-9;]*m/g, '');

function collectChecks(suites: JSONReportSuite[] | undefined, out: CheckResult[]): void {
  for (const suite of suites ?? []) {
    for (const spec of suite.specs) {
      for (const t of spec.tests) {
        const ann = (type: string): string | undefined => t.annotations.find((a) => a.type === type)?.description;
        const last = t.results.at(-1);
        out.push({
          check: ann('check') ?? spec.title,
          title: spec.title,
          dependsOn: ann('depends-on'),
          level: ann('level'),
          status: last?.status ?? 'not run',
          unsupported: [...t.annotations, ...(last?.annotations ?? [])].some((a) => a.type === 'unsupported'),
          message: stripAnsi(last?.errors.map((e) => e.message ?? '').join('\n') ?? ''),
          attachments: last?.attachments.map((a) => a.name) ?? [],
          attachmentBodies: new Map((last?.attachments ?? []).filter((a) => a.body !== undefined).map((a) => [a.name, Buffer.from(a.body ?? '', 'base64').toString('utf8')])),
        });
      }
    }
    collectChecks(suite.suites, out);
  }
}

/** Runs `mesh-conformance run` for one simulated cluster and fault (none: a clean run) and gathers its evidence. */
export async function runConformance(opts: { mesh?: string; flavor: string; ingress?: string | undefined; fault: string | undefined; reportDir: string; budgets: Budgets; timeoutMs: number; controlPlane?: 'embedded' | 'upstream'; env?: Record<string, string> }): Promise<RunEvidence> {
  const reportDir = resolve(opts.reportDir);
  const args = ['run', ...(opts.mesh ? ['--mesh', opts.mesh] : []), '--flavor', opts.flavor, ...(opts.ingress ? ['--ingress', opts.ingress] : []), '--report-dir', reportDir, ...(opts.fault ? ['--sim-fault', opts.fault] : []),
    ...(opts.controlPlane ? ['--control-plane', opts.controlPlane] : [])];
  const r = await runCli(args, { env: { ...budgetEnv(opts.budgets), ...opts.env }, timeoutMs: opts.timeoutMs });
  const resultsFile = join(reportDir, 'results.json');
  const checks: CheckResult[] = [];
  let runErrors: string[] = [];
  if (existsSync(resultsFile)) {
    const report = JSON.parse(readFileSync(resultsFile, 'utf8')) as JSONReport;
    collectChecks(report.suites, checks);
    runErrors = report.errors.map((e) => stripAnsi(e.message ?? ''));
  }
  const summaryFile = join(reportDir, 'summary.txt');
  const simDir = join(reportDir, 'simulator');
  const runDirs = existsSync(simDir) ? readdirSync(simDir) : [];
  const requestLogFile = runDirs.map((d) => join(simDir, d, 'requests.jsonl')).find((f) => existsSync(f));
  const requests = requestLogFile
    ? readFileSync(requestLogFile, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as RequestLogEntry)
    : [];
  const credentialFiles = runDirs.flatMap((d) => ['kubeconfig', 'azure-token'].map((f) => join(simDir, d, f))).filter((f) => existsSync(f));
  return { ...r, reportDir, checks, runErrors, summary: existsSync(summaryFile) ? readFileSync(summaryFile, 'utf8') : '', requests, requestLogFile, credentialFiles };
}

/**
 * Objects a run created more than once, from the request log: a successful POST (the log names the object
 * it stored) or an apply PATCH answered 201 Created. A retried create that had already succeeded shows here.
 */
export function createdTwice(requests: readonly RequestLogEntry[]): string[] {
  const counts = new Map<string, number>();
  for (const r of requests) {
    const path = r.path.split('?')[0] ?? r.path;
    const key = r.method === 'POST' && r.status === 201 && r.created ? `${path}/${r.created.split('/').at(-1) ?? ''}`
      : r.method === 'PATCH' && r.status === 201 ? path
        : undefined;
    if (key) counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].filter(([, n]) => n > 1).map(([k, n]) => `${k} created ${n} times`);
}

/** The objects a run created (same reading as createdTwice), for the report. */
export function createdObjects(requests: readonly RequestLogEntry[]): string[] {
  return requests.filter((r) => r.status === 201 && ((r.method === 'POST' && r.created) || r.method === 'PATCH'))
    .map((r) => (r.method === 'POST' ? `${(r.path.split('?')[0] ?? '')}/${r.created?.split('/').at(-1) ?? ''}` : r.path.split('?')[0] ?? ''));
}
