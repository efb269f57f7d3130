// Runs one benchmark case: `mesh-conformance run` against a simulator with the given timings (and optionally the
// 1 s poller beside it), timestamping its progress lines and sampling the harness's memory. Returns raw figures
// and the paths of the logs it left in `dir`.

/**
 * @typedef {{ spawned: number, simulatorReady?: number, suiteStarted?: number, verdict?: number, exited: number }} RunTimes
 *   epoch ms of the run's milestones
 * @typedef {{ passed: number, failed: number, skipped: number, status: string | undefined }} RunSummary
 * @typedef {{
 *   name: string, timings: string, namespaces: number, code: number | string | null, summary: RunSummary | undefined, t: RunTimes,
 *   memory: { peakHarnessMb: number, peakProcessMb: number, workers: number, atPeakMb: string },
 *   files: { timing: string, poller: string | undefined, conditions: string | undefined, requests: string | undefined, playwright: string },
 *   outputTail: string[],
 * }} CaseRun what one case leaves (bench.mjs also writes it to bench-run.json)
 */
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { clearInterval, setInterval } from 'node:timers';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

const root = resolve(import.meta.dirname, '..', '..');
const now = () => performance.timeOrigin + performance.now();

/**
 * Direct children of every process, from /proc (Linux).
 * @returns {Map<number, { ppid: number, rssKb: number, cmd: string }>}
 */
function processTable() {
  const table = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // fields[1] is ppid, fields[21] is rss in pages
      table.set(Number(entry), { ppid: Number(fields[1]), rssKb: Number(fields[21]) * 4, cmd: readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ') });
    } catch {
      // the process ended meanwhile
    }
  }
  return table;
}

/**
 * RSS of the harness: the CLI and everything it started except the simulated cluster (the simulator process and
 * its children: httpbin, Prometheus). Returns the sum and the largest single process, in MB.
 * @param {number} rootPid
 */
function harnessRss(rootPid) {
  const table = processTable();
  /** @type {Map<number, number[]>} */
  const children = new Map();
  for (const [pid, p] of table) children.set(p.ppid, [...(children.get(p.ppid) ?? []), pid]);
  let total = 0;
  let largest = 0;
  let workers = 0;
  /** @type {string[]} */
  const parts = [];
  /** @param {string} cmd */
  const label = (cmd) => (cmd.includes('workerProcessEntry') ? 'worker' : cmd.includes('@playwright/test/cli.js') ? 'runner' : cmd.includes('mesh-conformance.js') ? 'cli' : /** @type {string} */ (cmd.split(' ')[0]).split('/').at(-1));
  /** @param {number} pid */
  const visit = (pid) => {
    const p = table.get(pid);
    if (!p || p.cmd.includes('simulator/src/main.ts')) return;
    total += p.rssKb;
    largest = Math.max(largest, p.rssKb);
    if (p.cmd.includes('workerProcessEntry')) workers += 1;
    parts.push(`${label(p.cmd)} ${Math.round(p.rssKb / 1024)}`);
    for (const c of children.get(pid) ?? []) visit(c);
  };
  visit(rootPid);
  return { totalMb: total / 1024, largestMb: largest / 1024, workers, parts };
}

/**
 * Runs the suite once. `timings`: a simulator preset or JSON; `namespaces`: parallel copies; `poller`: start the
 * 1 s poller once the simulator is ready. Resolves with timestamps (epoch ms), memory peaks and log paths.
 * @param {{ name: string, timings: string, namespaces: number, poller: boolean, dir: string, extraArgs?: string[], log?: (line: string) => void }} opts
 * @returns {Promise<CaseRun>}
 */
export async function runCase({ name, timings, namespaces, poller, dir, extraArgs = [], log = () => {} }) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const timingLog = join(dir, 'timing.jsonl');
  const pollerLog = join(dir, 'poller.jsonl');
  const args = [join(root, 'bin', 'mesh-conformance.js'), 'run', '--report-dir', dir, ...(namespaces > 1 ? ['--namespaces', String(namespaces)] : []), ...extraArgs];
  const t = /** @type {RunTimes} */ ({ spawned: now() });
  const child = spawn(process.execPath, args, {
    cwd: root,
    // The realistic preset models ingress-nginx's 60 s status period, longer than the local target's 60 s assert budget:
    // give the waits the kind target's room (a budget only decides when a failure is declared, never the figures).
    env: { MESH_CONFORMANCE_TIMEOUT_ASSERT: '150s', ...process.env, MESH_CONFORMANCE_TIMING_LOG: timingLog, MESH_CONFORMANCE_SIM_TIMINGS: timings, FORCE_COLOR: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  /** @type {import('node:child_process').ChildProcess | undefined} */
  let pollerChild;
  /** @type {string | undefined} */
  let kubeconfig;
  /** @type {string[]} */
  const output = [];
  /** @type {RunSummary | undefined} */
  let summary;
  createInterface({ input: child.stdout }).on('line', (line) => {
    output.push(line);
    const ready = /^mesh-conformance: simulated cluster ready \(context \S+, kubeconfig (\S+)\)/.exec(line);
    if (ready) {
      t.simulatorReady = now();
      kubeconfig = /** @type {string} */ (ready[1]);
      if (poller) {
        pollerChild = spawn(process.execPath, [join(root, 'scripts', 'bench', 'poller.mjs'), '--kubeconfig', kubeconfig, '--out', pollerLog], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
      }
    }
    if (line.startsWith('mesh-conformance: run ')) t.suiteStarted = now();
    const m = /^mesh-conformance: (\d+) passed, (\d+) failed, (\d+) skipped; run (\w+)/.exec(line);
    if (m) {
      t.verdict = now();
      summary = { passed: Number(m[1]), failed: Number(m[2]), skipped: Number(m[3]), status: m[4] };
    }
  });
  /** @type {string[]} */
  const stderr = [];
  createInterface({ input: child.stderr }).on('line', (line) => stderr.push(line));

  let peak = { totalMb: 0, largestMb: 0, workers: 0 };
  /** @type {string[]} */
  let peakParts = [];
  const sampler = setInterval(() => {
    if (!child.pid) return;
    const s = harnessRss(child.pid);
    if (s.totalMb > peak.totalMb) peakParts = s.parts;
    peak = { totalMb: Math.max(peak.totalMb, s.totalMb), largestMb: Math.max(peak.largestMb, s.largestMb), workers: Math.max(peak.workers, s.workers) };
  }, 200);
  const code = await /** @type {Promise<number | string | null>} */ (new Promise((res) => child.on('exit', (c, sig) => res(c ?? sig))));
  t.exited = now();
  clearInterval(sampler);
  if (pollerChild && pollerChild.exitCode === null) {
    pollerChild.kill('SIGTERM');
    await new Promise((res) => /** @type {import('node:child_process').ChildProcess} */ (pollerChild).on('exit', res));
  }
  const runDir = kubeconfig ? resolve(kubeconfig, '..') : undefined;
  log(`${name}: exit ${code}, ${summary ? `${summary.passed} passed, ${summary.failed} failed` : 'no summary'}`);
  return {
    name, timings, namespaces, code, summary, t,
    memory: { peakHarnessMb: Math.round(peak.totalMb), peakProcessMb: Math.round(peak.largestMb), workers: peak.workers, atPeakMb: peakParts.join(', ') },
    files: {
      timing: timingLog,
      poller: poller ? pollerLog : undefined,
      conditions: runDir ? join(runDir, 'conditions.jsonl') : undefined,
      requests: runDir ? join(runDir, 'requests.jsonl') : undefined,
      playwright: join(dir, 'results.json'),
    },
    outputTail: [...output.slice(-8), ...stderr.slice(-5)],
  };
}
