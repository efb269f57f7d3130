/**
 * Helpers of the reliability self-tests (interrupt, concurrent runs, secrets, bad input, soak): a `sim` the test
 * starts itself (so the cluster outlives the run under test and can be inspected), the CLI as a child process the
 * test can signal, and a look at what a run left in the cluster, through the harness's own client.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { KubernetesObject } from '@kubernetes/client-node';
import { test } from '@playwright/test';
import { parseReadyLine } from '../cli/simulator-process.ts';
import type { SimulatorReady } from '../cli/simulator-process.ts';
import { KubeClient } from '../harness/k8s/kube-client.ts';
import { runLabelKeys } from '../harness/k8s/run-labels.ts';

export const packageRoot = fileURLToPath(new URL('..', import.meta.url));
export const cliPath = join(packageRoot, 'bin', 'mesh-conformance.js');

/** Budgets short enough for self-tests, well above what a clean run needs on a loaded 2-core machine. */
export const quickBudgets: Record<string, string> = {
  MESH_CONFORMANCE_TIMEOUT_ROLLOUT: '30000',
  MESH_CONFORMANCE_TIMEOUT_ASSERT: '15000',
  MESH_CONFORMANCE_TIMEOUT_HTTP: '15000',
  MESH_CONFORMANCE_TIMEOUT_CLEANUP: '30000',
  MESH_CONFORMANCE_METRICS_TIMEOUT: '30000',
};

/** The caller's environment without any MESH_CONFORMANCE_* or KUBECONFIG, plus `extra`. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => v !== undefined && !k.startsWith('MESH_CONFORMANCE_') && k !== 'KUBECONFIG' && k !== 'KEEP_ON_FAILURE')) as Record<string, string>;
  return { ...base, ...extra };
}

/** A CLI process under test: its output so far, a promise of how it ended, and its pid for signals. */
export interface CliProcess {
  child: ChildProcess;
  output: () => string;
  stdout: () => string;
  stderr: () => string;
  ended: Promise<{ code: number | null; signal: NodeJS.Signals | null; endedAt: number }>;
  /** Resolves when a line of output matches (bounded). */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<string>;
}

/** Starts `mesh-conformance <args>` (or another script) with a clean environment plus `env`, optionally as another user. */
export function startCli(args: string[], opts: { env?: Record<string, string>; cwd?: string; script?: string[]; uid?: number } = {}): CliProcess {
  const child = spawn(process.execPath, [...(opts.script ?? [cliPath]), ...args], {
    cwd: opts.cwd ?? packageRoot, env: cleanEnv(opts.env), stdio: ['ignore', 'pipe', 'pipe'],
    ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.uid } : {}),
  });
  let out = '';
  let err = '';
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  const onLine = (line: string): void => {
    for (const w of [...waiters]) {
      if (w.pattern.test(line)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  };
  child.stdout?.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr?.on('data', (c: Buffer) => { err += c.toString(); });
  createInterface({ input: child.stdout }).on('line', onLine);
  createInterface({ input: child.stderr }).on('line', onLine);
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null; endedAt: number }>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, endedAt: Date.now() }));
  });
  return {
    child,
    output: () => `${out}${err}`,
    stdout: () => out,
    stderr: () => err,
    ended,
    waitForLine(pattern, timeoutMs) {
      const existing = `${out}\n${err}`.split('\n').find((l) => pattern.test(l));
      if (existing !== undefined) return Promise.resolve(existing);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} within ${timeoutMs / 1000}s; output:\n${(out + err).slice(-3000)}`)), timeoutMs);
        waiters.push({ pattern, resolve: (l) => { clearTimeout(timer); resolve(l); } });
        void ended.then(() => { clearTimeout(timer); reject(new Error(`the CLI exited before printing a line matching ${pattern}; output:\n${(out + err).slice(-3000)}`)); });
      });
    },
  };
}

/** Runs the CLI to completion, bounded (SIGINT, then the error, after `timeoutMs`). */
export async function runCliToEnd(args: string[], opts: { env?: Record<string, string>; cwd?: string; timeoutMs: number; script?: string[]; uid?: number }): Promise<{ code: number | null; stdout: string; stderr: string; output: string; durationMs: number }> {
  const started = Date.now();
  const p = startCli(args, opts);
  const timer = setTimeout(() => p.child.kill('SIGINT'), opts.timeoutMs);
  const { code } = await p.ended;
  clearTimeout(timer);
  if (Date.now() - started >= opts.timeoutMs) throw new Error(`mesh-conformance ${args.join(' ')} did not finish within ${opts.timeoutMs / 1000}s:\n${p.output().slice(-3000)}`);
  return { code, stdout: p.stdout(), stderr: p.stderr(), output: p.output(), durationMs: Date.now() - started };
}

/** A simulated cluster started by the test with `mesh-conformance sim`, outliving the runs it serves. */
export interface TestSim {
  kubeconfig: string;
  context: string;
  server: string;
  /** What the simulator announced (the aks flavor's Log Analytics workspace among it). */
  ready: SimulatorReady | undefined;
  /** The simulator's request log (`sim --request-log`), when asked for. */
  requestLog: string | undefined;
  process: CliProcess;
  client: KubeClient;
  stop(): Promise<void>;
}

/** Starts `mesh-conformance sim` writing its kubeconfig under `dir`, and waits (bounded) for its ready line. */
export async function startTestSim(dir: string, opts: { faults?: string[]; token?: string; flavor?: string; requestLog?: boolean } = {}): Promise<TestSim> {
  mkdirSync(dir, { recursive: true });
  const kubeconfig = resolve(dir, 'kubeconfig');
  const requestLog = opts.requestLog ? resolve(dir, 'requests.jsonl') : undefined;
  const args = ['sim', '--kubeconfig', kubeconfig, '--flavor', opts.flavor ?? 'kind', ...(opts.faults ?? []).flatMap((f) => ['--fault', f]), ...(opts.token ? ['--token', opts.token] : []),
    ...(requestLog ? ['--request-log', requestLog] : [])];
  const proc = startCli(args);
  const line = await proc.waitForLine(/^simulator ready /, 90_000);
  const ready = parseReadyLine(line);
  const context = ready?.context ?? '';
  const server = ready?.server ?? '';
  return {
    kubeconfig, context, server, ready, requestLog, process: proc,
    client: KubeClient.connect({ kubeconfig }),
    async stop() {
      if (proc.child.exitCode === null) proc.child.kill('SIGINT');
      await proc.ended;
    },
  };
}

/**
 * A simulator for the tests of the enclosing file or describe: started before them, stopped after them. Returns the
 * accessor the tests read it through.
 */
export function useTestSim(dir: string, opts: Parameters<typeof startTestSim>[1] = {}): () => TestSim {
  let sim: TestSim | undefined;
  test.beforeAll(async () => {
    sim = await startTestSim(dir, opts);
  });
  test.afterAll(async () => {
    await sim?.stop();
  });
  return () => {
    if (!sim) throw new Error(`the simulator in ${dir} did not start`);
    return sim;
  };
}

/** The kinds a run creates, to look for leftovers cluster-wide by the run-id label. */
const runKinds = [
  { apiVersion: 'v1', kind: 'Namespace' },
  { apiVersion: 'v1', kind: 'Pod' },
  { apiVersion: 'v1', kind: 'Service' },
  { apiVersion: 'v1', kind: 'ServiceAccount' },
  { apiVersion: 'apps/v1', kind: 'Deployment' },
  { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' },
  { apiVersion: 'policy.openservicemesh.io/v1alpha1', kind: 'IngressBackend' },
] as const;

/** Every object in the cluster labelled by mesh-conformance (one run with `runId`, or any run), as `Kind ns/name`. */
export async function runObjects(client: KubeClient, runId?: string): Promise<string[]> {
  const selector = runId ? `${runLabelKeys.runId}=${runId}` : runLabelKeys.runId;
  const found: string[] = [];
  for (const type of runKinds) {
    const list = await client.list<KubernetesObject>(type, { labelSelector: selector }, { budgetMs: 15_000 }).catch((err: unknown) => {
      // A type the cluster no longer serves (its CRD deleted) holds nothing.
      // (a 404 from the server, or client-node's discovery finding no such kind).
      if ((err as { code?: number }).code === 404 || /Unrecognized API version and kind/.test(String((err as Error).message))) return { items: [] as KubernetesObject[] };
      throw err;
    });
    for (const o of list.items) found.push(`${type.kind} ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name ?? '?'}${o.metadata?.deletionTimestamp ? ' (terminating)' : ''}`);
  }
  return found;
}

/** Polls `probe` every 50 ms until it returns a value, bounded; the error names what was awaited. */
export async function pollUntil<T>(description: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = 'nothing yet';
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs / 1000}s waiting for ${description}; last error: ${last}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A run id the test chooses, so it can find the run's objects (label-safe, unique). */
export function testRunId(tag: string): string {
  return `st-${tag}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
}
