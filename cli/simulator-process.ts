import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { formatDuration, intervals } from '../harness/timeouts.ts';
import { childExit, stopChild } from './child-process.ts';
import { BadInputError } from './exit-codes.ts';
import { packageRoot, simulatorMain } from './paths.ts';
import { fsProblem, makeDirs } from './report-dir.ts';

/** What the simulator announced once it serves. */
export interface SimulatorReady {
  kubeconfig: string;
  context: string;
  server: string | undefined;
  flavor: string | undefined;
  /** The simulated mesh (`osm`, `istio`), when the simulator says. */
  mesh?: string;
  /** The istio aks flavor's Azure Monitor managed Prometheus: its query endpoint, bearer-token and CA files, the cluster label. */
  managedPrometheus?: { endpoint: string; tokenFile: string | undefined; caFile: string | undefined; cluster: string | undefined };
  /** The aks flavor's Azure Monitor: the Log Analytics query endpoint, workspace, bearer-token and CA files. */
  logAnalytics?: { endpoint: string; workspaceId: string; tokenFile: string | undefined; caFile: string | undefined };
  /** The aks flavor's Application Gateway for Containers: the DNS server (`ip:port`) that resolves its frontends' FQDNs. */
  agc?: { dnsServer: string };
}

const readyPrefix = 'simulator ready ';

/**
 * Parses `simulator ready <JSON>` (simulator/README.md, "Start it"): a JSON object with `kubeconfig`, `context`,
 * `server`, `flavor`, `mesh` and what the flavor offers, of which `logAnalytics` ({endpoint, workspaceId, tokenFile,
 * caFile}), `managedPrometheus` ({endpoint, tokenFile, caFile, cluster}) and `agc` ({dnsServer}) are read; other keys are ignored. Undefined for any other line, or one without a kubeconfig and a context.
 */
export function parseReadyLine(line: string): SimulatorReady | undefined {
  if (!line.startsWith(readyPrefix)) return undefined;
  let announced: unknown;
  try {
    announced = JSON.parse(line.slice(readyPrefix.length));
  } catch {
    return undefined;
  }
  if (!isRecord(announced)) return undefined;
  const kubeconfig = stringOf(announced.kubeconfig);
  const context = stringOf(announced.context);
  if (!kubeconfig || !context) return undefined;
  const la = isRecord(announced.logAnalytics) ? announced.logAnalytics : undefined;
  const endpoint = stringOf(la?.endpoint);
  const workspaceId = stringOf(la?.workspaceId);
  const mesh = stringOf(announced.mesh);
  const mp = isRecord(announced.managedPrometheus) ? announced.managedPrometheus : undefined;
  const mpEndpoint = stringOf(mp?.endpoint);
  const dnsServer = stringOf(isRecord(announced.agc) ? announced.agc.dnsServer : undefined);
  return {
    kubeconfig, context, server: stringOf(announced.server), flavor: stringOf(announced.flavor),
    ...(mesh ? { mesh } : {}),
    ...(endpoint && workspaceId ? { logAnalytics: { endpoint, workspaceId, tokenFile: stringOf(la?.tokenFile), caFile: stringOf(la?.caFile) } } : {}),
    ...(mpEndpoint ? { managedPrometheus: { endpoint: mpEndpoint, tokenFile: stringOf(mp?.tokenFile), caFile: stringOf(mp?.caFile), cluster: stringOf(mp?.cluster) } } : {}),
    ...(dnsServer ? { agc: { dnsServer } } : {}),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The simulator's command line (`node --import tsx simulator/src/main.ts …`). */
export function simulatorArgs(opts: { flavor: string; mesh?: string | undefined; controlPlane?: string | undefined; kubeconfig: string; faults: string[]; listFaults?: boolean; requestLog?: string; conditionLog?: string; timings?: string | undefined; scenario?: string | undefined }): string[] {
  return ['--import', 'tsx', simulatorMain, ...(opts.mesh ? ['--mesh', opts.mesh] : []), '--flavor', opts.flavor,
    ...(opts.controlPlane && opts.controlPlane !== 'embedded' ? ['--control-plane', opts.controlPlane] : []), '--kubeconfig', opts.kubeconfig,
    ...opts.faults.flatMap((f) => ['--fault', f]), ...(opts.requestLog ? ['--request-log', opts.requestLog] : []),
    ...(opts.conditionLog ? ['--condition-log', opts.conditionLog] : []), ...(opts.timings ? ['--timings', opts.timings] : []),
    ...(opts.listFaults ? ['--list-faults'] : []), ...(opts.scenario ? ['--scenario', opts.scenario] : [])];
}

/** A running simulated cluster started for one run; `stop()` ends it (SIGTERM, then SIGKILL after a bound). */
export interface RunningSimulator {
  ready: SimulatorReady;
  logFile: string;
  /** The API request log (JSONL, one request a line), for diagnostics and the self-tests. */
  requestLog: string;
  stop(): Promise<void>;
}

/**
 * Starts the simulated cluster as a separate process (its own process group, so a terminal Ctrl-C reaches
 * only the CLI, which decides the order of shutdown) and waits, bounded, for its ready line.
 * Its output goes to `<dir>/simulator.log`, its API request log to `<dir>/requests.jsonl`.
 * Exit 2 from the simulator (bad arguments) becomes a `BadInputError`.
 */
export async function startSimulator(opts: { flavor: string; mesh?: string | undefined; controlPlane?: string | undefined; kubeconfig: string; faults: string[]; timeoutMs?: number; signal?: AbortSignal; timings?: string | undefined; scenario?: string | undefined }): Promise<RunningSimulator> {
  const dir = dirname(opts.kubeconfig);
  try {
    // Level by level: a recursive mkdir below /proc (MESH_CONFORMANCE_REPORT_DIR=/proc/x) never returns.
    makeDirs(dir);
  } catch (err) {
    throw new BadInputError(`cannot write the simulated cluster's files to ${dir} (${fsProblem(err)}): set MESH_CONFORMANCE_REPORT_DIR (or pass run --report-dir DIR) to a directory you can write`);
  }
  const logFile = join(dir, 'simulator.log');
  const requestLog = join(dir, 'requests.jsonl');
  // When each awaited condition became true and which modelled delays applied (read by `npm run bench`).
  const conditionLog = join(dir, 'conditions.jsonl');
  const log = createWriteStream(logFile);
  // stdin is a pipe only we hold: if this process dies, even by SIGKILL, the simulator sees it close and stops
  // (--exit-with-parent), so it never outlives the CLI.
  const child: ChildProcess = spawn(process.execPath, [...simulatorArgs({ ...opts, requestLog, conditionLog }), '--exit-with-parent'], {
    cwd: packageRoot, detached: true, stdio: ['pipe', 'pipe', 'pipe'], env: process.env,
  });
  child.stdin?.on('error', () => undefined);
  const killOnExit = (): void => {
    try {
      if (child.pid && child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  process.once('exit', killOnExit);
  const stderrTail: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => {
    log.write(`[stderr] ${line}\n`);
    stderrTail.push(line);
    if (stderrTail.length > 20) stderrTail.shift();
  });
  const timeoutMs = opts.timeoutMs ?? intervals.simulatorStart;
  const ready = await new Promise<SimulatorReady>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`Timed out after ${formatDuration(timeoutMs)} waiting for the simulated cluster to print "simulator ready"; last stderr: ${stderrTail.at(-1) ?? '<none>'}; see ${logFile}`));
    }, timeoutMs);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new Error('interrupted while the simulated cluster was starting'));
    };
    if (opts.signal?.aborted) onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      log.write(`${line}\n`);
      const r = parseReadyLine(line);
      if (r) {
        clearTimeout(timer);
        resolve(r);
      }
    });
    void childExit(child).then(({ code, signal }) => {
      clearTimeout(timer);
      const last = stderrTail.filter((l) => l.trim() !== '').at(-1) ?? '<no output>';
      if (code === 2) reject(new BadInputError(`simulated cluster refused its arguments: ${last}`));
      else reject(new Error(`the simulated cluster exited (${signal ?? `code ${code}`}) before it was ready: ${last}; see ${logFile}`));
    });
  }).catch(async (err: unknown) => {
    await stopChild(child);
    process.removeListener('exit', killOnExit);
    log.end();
    throw err;
  });
  return {
    ready,
    logFile,
    requestLog,
    async stop(): Promise<void> {
      await stopChild(child);
      process.removeListener('exit', killOnExit);
      log.end();
      // Its credentials (the kubeconfig's bearer token, the Azure token) are dead now: they do not stay in the
      // report folder. The logs, the request log and the CA stay for diagnostics.
      for (const f of [ready.kubeconfig, ready.logAnalytics?.tokenFile]) if (f) rmSync(f, { force: true });
    },
  };
}
