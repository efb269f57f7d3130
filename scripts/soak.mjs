#!/usr/bin/env zx
// Soak: N consecutive runs (default 20) against one simulated cluster started here. After each run it counts the
// run namespaces left in the cluster (through `mesh-conformance cleanup --dry-run --ttl 0`, the product's own view),
// and samples memory: the peak RSS of the harness (the CLI and its Playwright processes) during the run, and the
// simulator's RSS after it. It prints one line per run and the figures, and exits 1 when a run failed, anything was
// left over, or memory went past its bound.
//
//   npm run soak                         # 20 runs
//   npm run soak -- --runs 5 --harness-rss-mb 1024 --harness-growth-mb 150 --sim-growth-mb 150 --flavor kind
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import process from 'node:process';
import { clearInterval, clearTimeout, setInterval, setTimeout } from 'node:timers';
import { URL, fileURLToPath } from 'node:url';
import { argv, echo } from 'zx';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'bin', 'mesh-conformance.js');
const runs = Number(argv.runs ?? argv.n ?? process.env.SOAK_RUNS ?? 20);
// The harness peak is the CLI, the Playwright runner and worker, and tsx's esbuild: ~800 MB on Node 20.
const harnessBoundMb = Number(argv['harness-rss-mb'] ?? 1024);
const harnessGrowthBoundMb = Number(argv['harness-growth-mb'] ?? 150);
const simGrowthBoundMb = Number(argv['sim-growth-mb'] ?? 150);
const flavor = String(argv.flavor ?? 'kind');
const dir = resolve(root, String(argv.dir ?? 'reports/soak'));
if (!Number.isInteger(runs) || runs < 1) {
  echo(`soak: --runs must be a whole number of at least 1 (got ${argv.runs})`);
  process.exit(2);
}
mkdirSync(dir, { recursive: true });

/**
 * VmRSS of one pid in MB (0 when it is gone).
 * @param {number} pid
 * @returns {number}
 */
function rssMb(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * The pid and all its descendants, from /proc (Linux).
 * @param {number | undefined} pid
 * @returns {number[]}
 */
function tree(pid) {
  /** @type {Map<number, number[]>} */
  const children = new Map();
  for (const p of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(p)]);
    } catch {
      // gone meanwhile
    }
  }
  /** @type {number[]} */
  const out = [];
  /** @param {number} p */
  const walk = (p) => {
    out.push(p);
    for (const c of children.get(p) ?? []) walk(c);
  };
  if (pid !== undefined) walk(pid);
  return out;
}

/**
 * Runs the CLI; resolves with exit code, output and the peak RSS of its process tree (sampled every 200 ms).
 * @param {string[]} args
 * @param {{ sampleTree?: boolean, excludePids?: Set<number> }} [opts]
 * @returns {Promise<{ code: number | null, output: string, peakMb: number, ms: number }>}
 */
function runCli(args, { sampleTree = false, excludePids = new Set() } = {}) {
  return new Promise((resolvePromise) => {
    const started = Date.now();
    const child = spawn(process.execPath, [cli, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c) => { output += c; });
    child.stderr.on('data', (c) => { output += c; });
    let peak = 0;
    const timer = sampleTree ? setInterval(() => {
      const total = tree(child.pid).filter((p) => !excludePids.has(p)).reduce((sum, p) => sum + rssMb(p), 0);
      peak = Math.max(peak, total);
    }, 200) : undefined;
    child.on('close', (code) => {
      if (timer) clearInterval(timer);
      resolvePromise({ code, output, peakMb: peak, ms: Date.now() - started });
    });
  });
}

// The simulated cluster, shared by every run (its own process, like a real cluster).
const kubeconfig = join(dir, 'sim', 'kubeconfig');
const sim = spawn(process.execPath, [cli, 'sim', '--flavor', flavor, '--kubeconfig', kubeconfig], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
let simOut = '';
const ready = /** @type {Promise<void>} */ (new Promise((resolvePromise, reject) => {
  const timer = setTimeout(() => reject(new Error(`the simulator did not print "simulator ready" within 90s:\n${simOut}`)), 90_000);
  sim.stdout.on('data', (c) => {
    simOut += c;
    if (simOut.includes('simulator ready ')) {
      clearTimeout(timer);
      resolvePromise();
    }
  });
  sim.stderr.on('data', (c) => { simOut += c; });
  sim.on('close', (code) => reject(new Error(`the simulator exited (${code}) before it was ready:\n${simOut}`)));
}));
/** @returns {Promise<void>} */
const stopSim = () => new Promise((r) => {
  if (sim.exitCode !== null) return r();
  sim.once('close', () => r());
  sim.kill('SIGINT');
});
process.on('SIGINT', () => void stopSim().then(() => process.exit(130)));

let failed = false;
try {
  await ready;
  // The simulator proper is the `sim` command's child (node … simulator/src/main.ts).
  const simPids = new Set(tree(sim.pid));
  const simRss = () => [...simPids].reduce((s, p) => s + rssMb(p), 0);
  const leftovers = async () => {
    const r = await runCli(['cleanup', '--kubeconfig', kubeconfig, '--dry-run', '--ttl', '0']);
    const m = / of (\d+) run namespaces/.exec(r.output);
    if (r.code !== 0 || !m) throw new Error(`cleanup --dry-run failed (${r.code}): ${r.output}`);
    return Number(m[1]);
  };
  const simStart = simRss();
  echo(`soak: ${runs} runs against one simulated ${flavor} cluster (kubeconfig ${kubeconfig}); simulator RSS at start ${simStart.toFixed(0)} MB`);
  /** @type {{ i: number, code: number | null, s: number, harnessPeakMb: number, simMb: number, left: number }[]} */
  const rows = [];
  for (let i = 1; i <= runs; i += 1) {
    const r = await runCli(['run', '--target', flavor, ...(flavor === 'aks' ? ['--context', `mesh-conformance-sim-${flavor}`] : []), '--kubeconfig', kubeconfig, '--report-dir', join(dir, 'runs', String(i))],
      { sampleTree: true, excludePids: simPids });
    const left = await leftovers();
    const row = { i, code: r.code, s: r.ms / 1000, harnessPeakMb: r.peakMb, simMb: simRss(), left };
    rows.push(row);
    echo(`run ${String(i).padStart(3)}: exit ${row.code}, ${row.s.toFixed(1)} s, harness peak RSS ${row.harnessPeakMb.toFixed(0)} MB, simulator RSS ${row.simMb.toFixed(0)} MB, leftover run namespaces ${row.left}`);
    if (r.code !== 0) echo(r.output.split('\n').slice(-15).join('\n'));
  }
  /** @param {'s' | 'harnessPeakMb' | 'simMb' | 'left'} k */
  const maxOf = (k) => Math.max(...rows.map((r) => r[k]));
  // runs >= 1, so there is a first and a last row.
  const first = /** @type {(typeof rows)[number]} */ (rows[0]);
  const last = /** @type {(typeof rows)[number]} */ (rows.at(-1));
  const firstSim = first.simMb;
  const lastSim = last.simMb;
  const growth = lastSim - firstSim;
  const failedRuns = rows.filter((r) => r.code !== 0).length;
  const totalLeft = last.left;
  const durations = rows.map((r) => r.s).sort((a, b) => a - b);
  echo('');
  echo(`soak figures: runs ${runs}, failed ${failedRuns}, leftover run namespaces after the last run ${totalLeft} (max after any run ${maxOf('left')})`);
  echo(`soak figures: run time median ${(durations[Math.floor(durations.length / 2)] ?? 0).toFixed(1)} s, max ${(durations.at(-1) ?? 0).toFixed(1)} s`);
  const harnessGrowth = last.harnessPeakMb - first.harnessPeakMb;
  echo(`soak figures: harness peak RSS run 1 ${first.harnessPeakMb.toFixed(0)} MB, max ${maxOf('harnessPeakMb').toFixed(0)} MB (bound ${harnessBoundMb} MB), run ${runs} vs run 1 ${harnessGrowth >= 0 ? '+' : ''}${harnessGrowth.toFixed(0)} MB (bound ${harnessGrowthBoundMb} MB)`);
  echo(`soak figures: simulator RSS start ${simStart.toFixed(0)} MB, after run 1 ${firstSim.toFixed(0)} MB, after run ${runs} ${lastSim.toFixed(0)} MB, growth ${growth.toFixed(0)} MB (bound ${simGrowthBoundMb} MB)`);
  failed = failedRuns > 0 || maxOf('left') > 0 || maxOf('harnessPeakMb') > harnessBoundMb || harnessGrowth > harnessGrowthBoundMb || growth > simGrowthBoundMb;
  echo(failed ? 'soak: FAILED' : 'soak: passed');
} catch (err) {
  echo(`soak: ${err instanceof Error ? err.message : String(err)}`);
  failed = true;
} finally {
  await stopSim();
}
process.exit(failed ? 1 : 0);
