#!/usr/bin/env node
// `npm run bench`: time to verdict, harness overhead, reaction latency, API cost, scale and memory of the
// conformance suite against the simulated cluster, with the peers' 1 s polling loop as a comparison row.
// A script, not a timed test: it prints figures and never fails on them (exit 1 only when a run itself failed).
//
//   node scripts/bench.mjs [--timings realistic] [--scale 1,5,20] [--out reports/bench] [--no-zero] [--no-poller] [--reanalyse]
//
// Writes <out>/results.json and <out>/results.md; the last line printed is
// `overhead_ratio=… reaction_p95_ms=… scale20=… rss1_mb=… rss20_mb=… requests_per_ns=… fail_verdict_p95_ms=… scale50=… requests_core_per_ns=…`. See docs/benchmark.md.
import process from 'node:process';
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { cpus, totalmem, release } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runCase } from './bench/run-case.mjs';
import { apiCost, flowFloor, harnessReactions, parseJsonl, podUnmodelledMs, pollerReactions, requestsByCheck, runNamespaces, summarize, timeToVerdict, watchDrivenWaits } from './bench/analyse.mjs';
import { renderMarkdown } from './bench/render.mjs';

const root = resolve(import.meta.dirname, '..');
/**
 * The fail faults whose failure is terminal and observable in the simulator's condition log (issue 17's list: image
 * pull error, crash loop, FailedCreate, Unschedulable, IngressBackend `error`, a route condition with a terminal
 * reason, an HTTP answer that cannot change); `istio:` runs it with --mesh istio. Of the extended checks: Dapr's
 * sidecar in a crash loop, the injector's admission refusal while Vault is sealed (FailedCreate), the sidecar's RBAC
 * refusing the ingress's certificate (403).
 */
const defaultFaults = 'image-pull-error,init-container-fails,pod-unschedulable,pod-security-baseline,ingressbackend-error,istio:httproute-backend-not-found,dapr-api-intercepted,vault-sealed,ingress-mtls-wrong-principal';
const { values: opts } = parseArgs({
  options: {
    timings: { type: 'string', default: 'realistic' },
    scale: { type: 'string', default: '1,5,20' },
    out: { type: 'string', default: join(root, 'reports', 'bench') },
    'no-zero': { type: 'boolean', default: false },
    'no-poller': { type: 'boolean', default: false },
    // Terminal faults for the time to verdict on a broken cluster (one run each; `none` skips them).
    faults: { type: 'string', default: defaultFaults },
    // Recompute the figures from the logs a previous run left in <out>/runs (no new runs).
    reanalyse: { type: 'boolean', default: false },
    // Replace the figures between the markers in BENCHMARKS.md (default: when writing to reports/bench).
    record: { type: 'boolean' },
    'no-record': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (opts.help) {
  process.stdout.write('usage: node scripts/bench.mjs [--timings realistic|quick|zero|JSON] [--scale 1,5,20] [--faults a,istio:b|none] [--out DIR] [--no-zero] [--no-poller] [--reanalyse] [--record|--no-record]\n');
  process.exit(0);
}
const scale = opts.scale.split(',').map((s) => Number(s.trim()));
if (!scale.length || scale.some((n) => !Number.isInteger(n) || n < 1 || n > 50)) {
  process.stderr.write(`bench: invalid --scale "${opts.scale}": expected comma-separated whole numbers from 1 to 50, e.g. 1,5,20\n`);
  process.exit(2);
}
if (!scale.includes(1)) scale.unshift(1);
const out = resolve(opts.out);
mkdirSync(out, { recursive: true });
/** @param {string} line */
const log = (line) => process.stdout.write(`bench: ${line}\n`);
/** @param {string | undefined} file */
const readJsonl = (file) => (file && existsSync(file) ? parseJsonl(readFileSync(file, 'utf8')) : []);
/** @param {number | null | undefined} x @param {number} [d] decimals @returns {number | null} */
const round = (x, d = 1) => (x === undefined || x === null || Number.isNaN(x) ? null : Math.round(x * 10 ** d) / 10 ** d);
const pollerAgent = 'mesh-conformance-bench-poller';

/**
 * @typedef {import('./bench/run-case.mjs').CaseRun} CaseRun
 * @typedef {ReturnType<typeof analyse> & { overheadAfterStartupMs?: number | null, overheadAfterStartupRatio?: number | null, outputTail?: string[] }} Figures
 *   one run's figures, as results.json and the Markdown tables hold them
 * @typedef {{ name: string, fault: string, mesh: string, exitCode: number | string | null, ms: number | null, condition: string | null, wait: string | null, outcome: string | null }} FaultVerdict
 *   one terminal fault's time to verdict
 * @typedef {{ machine: Record<string, string | number | null>, preset: string, targets: typeof targets, runs: Figures[], verdicts?: FaultVerdict[] }} BenchReport
 */

/**
 * Figures of one run from its logs.
 * @param {CaseRun} run
 */
function analyse(run) {
  const conditions = readJsonl(run.files.conditions);
  const timings = readJsonl(run.files.timing);
  const requests = readJsonl(run.files.requests);
  const observations = readJsonl(run.files.poller);
  const namespaces = runNamespaces(timings, conditions);
  const wallMs = run.t.verdict !== undefined && run.t.suiteStarted !== undefined ? run.t.verdict - run.t.suiteStarted : undefined;
  const floors = namespaces.map((ns) => {
    const httpEnd = timings.find((w) => /to return 200/.test(w.description) && w.description.includes(ns))?.endedAt;
    return { namespace: ns, ...flowFloor(conditions, ns, timings.some((w) => /envoy_cluster_upstream_rq/.test(w.description)) ? httpEnd : undefined), podUnmodelledMs: round(podUnmodelledMs(conditions, ns)) };
  });
  // Parallel copies: the run's floor is its slowest copy's.
  const floor = floors.reduce((a, b) => (b.totalMs > (a?.totalMs ?? -1) ? b : a), /** @type {(typeof floors)[number] | undefined} */ (undefined));
  const reactions = harnessReactions(timings, conditions, namespaces);
  /** @type {Record<string, number[]>} */
  const byWait = {};
  for (const r of reactions) (byWait[r.wait] ??= []).push(r.ms);
  const polled = observations.length ? pollerReactions(observations, conditions) : [];
  /** @type {Record<string, number[]>} */
  const pollerByWait = {};
  for (const r of polled) (pollerByWait[r.wait] ??= []).push(r.ms);
  const suiteRequests = requests.filter((r) => (run.t.suiteStarted === undefined || Date.parse(r.time) >= run.t.suiteStarted - 5) && !(r.userAgent ?? '').startsWith(pollerAgent));
  const harnessApi = apiCost(suiteRequests);
  const windows = checkWindows(run);
  const byCheck = requestsByCheck(suiteRequests, windows);
  // The core flow's share (issue 17's target was set on it): everything but the extended checks' own requests.
  const extended = new Set(windows.filter((w) => w.extended).map((w) => w.check));
  const extendedRequests = Object.entries(byCheck).filter(([check]) => extended.has(check)).reduce((a, [, n]) => a + n, 0);
  const pollerApi = observations.length ? apiCost(requests, []).total - apiCost(requests, [pollerAgent]).total : undefined;
  const pollerVerdicts = observations.filter((o) => o.wait === 'http-200-verdict');
  // The same run with the sequential waits done by the 1 s poller: swap each reaction, add OSM e2e's HTTP rule.
  const sequential = ['pod-ready', 'ingress-address', 'ingressbackend-committed', 'http-200'];
  const swap = sequential.every((w) => byWait[w]?.length && pollerByWait[w]?.length)
    ? sequential.reduce((a, w) => a + Math.max(.../** @type {number[]} */ (pollerByWait[w])) - Math.max(.../** @type {number[]} */ (byWait[w])), 0) : undefined;
  return {
    name: run.name,
    timings: run.timings,
    namespaces: run.namespaces,
    exitCode: run.code,
    summary: run.summary ?? null,
    wallMs: round(wallMs),
    totalCommandMs: round(run.t.exited - run.t.spawned),
    simulatorStartMs: round(run.t.simulatorReady !== undefined ? run.t.simulatorReady - run.t.spawned : undefined),
    floorMs: round(floor?.totalMs),
    floorParts: floor?.parts ?? {},
    overheadMs: round(wallMs !== undefined && floor ? wallMs - floor.totalMs : undefined),
    overheadRatio: round(wallMs !== undefined && floor?.totalMs ? (wallMs - floor.totalMs) / floor.totalMs : undefined, 3),
    podUnmodelledMs: floor?.podUnmodelledMs ?? null,
    reaction: {
      all: summarize(reactions.map((r) => r.ms)),
      watchDriven: summarize(reactions.filter((r) => watchDrivenWaits.includes(r.wait)).map((r) => r.ms)),
      byWait: Object.fromEntries(Object.entries(byWait).map(([k, v]) => [k, summarize(v)])),
    },
    api: {
      ...harnessApi,
      perNamespace: round(namespaces.length ? harnessApi.total / namespaces.length : undefined),
      corePerNamespace: round(namespaces.length ? (harnessApi.total - extendedRequests) / namespaces.length : undefined),
      byCheck,
    },
    memory: run.memory,
    poller: observations.length ? {
      periodMs: 1000,
      reaction: { all: summarize(polled.map((r) => r.ms)), byWait: Object.fromEntries(Object.entries(pollerByWait).map(([k, v]) => [k, summarize(v)])) },
      apiRequests: pollerApi,
      // OSM e2e's HTTP rule: five 200s one second apart, from the first one it saw.
      estimatedWallMs: wallMs !== undefined && swap !== undefined ? round(wallMs + swap + 4 * 1000) : null,
      httpVerdictAfterFirst200Ms: pollerVerdicts.length ? round(Math.max(...pollerVerdicts.map((v) => v.t - (observations.find((o) => o.namespace === v.namespace && o.wait === 'http-200')?.t ?? v.t)))) : null,
    } : null,
    phases: phasesOf(run),
    floors,
  };
}

/**
 * When each check ran, from Playwright's JSON report: its id (the title up to the colon), whether it is an extended
 * check (tag @extended), start and end.
 * @param {CaseRun} run
 * @returns {{ check: string, extended: boolean, start: number, end: number }[]}
 */
function checkWindows(run) {
  /** @type {{ check: string, extended: boolean, start: number, end: number }[]} */
  const out = [];
  /** @param {any} suite a suite of Playwright's JSON report */
  const walk = (suite) => {
    for (const spec of suite.specs ?? []) for (const test of spec.tests) for (const r of test.results) out.push({ check: String(spec.title).split(':')[0] ?? '', extended: (spec.tags ?? []).includes('extended'), start: Date.parse(r.startTime), end: Date.parse(r.startTime) + r.duration });
    for (const s of suite.suites ?? []) walk(s);
  };
  try {
    for (const s of JSON.parse(readFileSync(run.files.playwright, 'utf8')).suites ?? []) walk(s);
  } catch {
    return [];
  }
  return out;
}

/**
 * Where the wall time goes, from Playwright's JSON report: runner and worker start-up until the first check
 * begins, the checks themselves, and what follows the last check (namespace deletion, reporters).
 * @param {CaseRun} run
 */
function phasesOf(run) {
  if (!existsSync(run.files.playwright) || run.t.suiteStarted === undefined || run.t.verdict === undefined) return null;
  /** @type {{ start: number, end: number }[]} */
  const results = [];
  /** @type {number | undefined} */
  let runnerStarted;
  /** @param {any} suite a suite of Playwright's JSON report */
  const walk = (suite) => {
    for (const spec of suite.specs ?? []) for (const test of spec.tests) for (const r of test.results) results.push({ start: Date.parse(r.startTime), end: Date.parse(r.startTime) + r.duration });
    for (const s of suite.suites ?? []) walk(s);
  };
  try {
    const report = JSON.parse(readFileSync(run.files.playwright, 'utf8'));
    runnerStarted = Date.parse(report.stats?.startTime ?? '');
    for (const s of report.suites ?? []) walk(s);
  } catch {
    return null;
  }
  if (!results.length) return null;
  const first = Math.min(...results.map((r) => r.start));
  const last = Math.max(...results.map((r) => r.end));
  return {
    startupMs: round(first - run.t.suiteStarted),
    // of which: the CLI spawning Playwright and Playwright loading its TypeScript config, then workers starting.
    runnerLoadMs: Number.isNaN(runnerStarted) ? null : round(runnerStarted - run.t.suiteStarted),
    workerStartMs: Number.isNaN(runnerStarted) ? null : round(first - runnerStarted),
    checksMs: round(last - first),
    afterChecksMs: round(run.t.verdict - last),
  };
}

/**
 * Puts the latest tables between the markers of BENCHMARKS.md; says what it did.
 * @param {string} file
 * @param {string} markdown
 * @returns {string}
 */
function recordFigures(file, markdown) {
  const begin = '<!-- bench:begin (written by scripts/bench.mjs) -->';
  const end = '<!-- bench:end -->';
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const from = text.indexOf(begin);
  const to = text.indexOf(end);
  if (from < 0 || to < from) return `${file} has no ${begin} … ${end} block; figures not recorded there`;
  writeFileSync(file, `${text.slice(0, from + begin.length)}\n${markdown}${text.slice(to)}`);
  return `recorded the figures in ${file}`;
}

const machine = {
  date: new Date().toISOString(),
  cpus: `${cpus().length} x ${cpus()[0]?.model ?? 'unknown'}`,
  memoryGb: round(totalmem() / 2 ** 30),
  node: process.version,
  kernel: release(),
  loadavgAtStart: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
};

const cases = [
  ...(opts['no-zero'] ? [] : [{ name: 'zero-1', timings: 'zero', namespaces: 1, poller: false }]),
  ...scale.map((n) => ({ name: `${opts.timings.startsWith('{') ? 'custom' : opts.timings}-${n}`, timings: opts.timings, namespaces: n, poller: n === 1 && !opts['no-poller'] })),
];
log(`${cases.length} runs: ${cases.map((c) => c.name).join(', ')}; machine ${machine.cpus}, load ${machine.loadavgAtStart}`);
/** @type {Figures[]} */
const results = [];
for (const c of cases) {
  log(`running ${c.name} (timings ${c.timings}, ${c.namespaces} namespace${c.namespaces > 1 ? 's' : ''}${c.poller ? ', with the 1 s poller' : ''})`);
  const dir = join(out, 'runs', c.name);
  /** @type {CaseRun} */
  let run;
  if (opts.reanalyse) run = JSON.parse(readFileSync(join(dir, 'bench-run.json'), 'utf8'));
  else {
    run = await runCase({ ...c, dir, log });
    writeFileSync(join(dir, 'bench-run.json'), `${JSON.stringify(run, null, 2)}\n`);
  }
  const figures = /** @type {Figures} */ (analyse(run));
  // The harness's own share once the runner is up: checks + cleanup − floor.
  if (figures.phases && figures.floorMs) {
    figures.overheadAfterStartupMs = round(/** @type {number} */ (figures.wallMs) - /** @type {number} */ (figures.phases.startupMs) - figures.floorMs);
    figures.overheadAfterStartupRatio = round(/** @type {number} */ (figures.overheadAfterStartupMs) / figures.floorMs, 3);
  }
  if (run.code !== 0) figures.outputTail = run.outputTail;
  results.push(figures);
  log(`${c.name}: wall ${figures.wallMs} ms, floor ${figures.floorMs} ms, overhead ratio ${figures.overheadRatio}, reaction p95 ${figures.reaction.all.p95} ms, requests ${figures.api.total}, peak RSS ${figures.memory.peakHarnessMb} MB`);
}

// Time to verdict on a broken cluster: one run per terminal fault, from the moment the fault is observable.
const faultCases = opts.faults === 'none' ? [] : opts.faults.split(',').map((f) => f.trim()).filter(Boolean).map((f) => {
  const [mesh, fault] = f.includes(':') ? /** @type {[string, string]} */ (f.split(':', 2)) : ['osm', f];
  return { name: `fault-${fault}${mesh === 'osm' ? '' : `-${mesh}`}`, fault, mesh };
});
/** @type {FaultVerdict[]} */
const verdicts = [];
for (const f of faultCases) {
  log(`running ${f.name} (fault ${f.fault} on ${f.mesh}, timings ${opts.timings})`);
  const dir = join(out, 'runs', f.name);
  /** @type {CaseRun} */
  let run;
  if (opts.reanalyse) run = JSON.parse(readFileSync(join(dir, 'bench-run.json'), 'utf8'));
  else {
    run = await runCase({ name: f.name, timings: opts.timings, namespaces: 1, poller: false, dir, log, extraArgs: ['--sim-fault', f.fault, ...(f.mesh === 'osm' ? [] : ['--mesh', f.mesh])] });
    writeFileSync(join(dir, 'bench-run.json'), `${JSON.stringify(run, null, 2)}\n`);
  }
  const v = timeToVerdict(readJsonl(run.files.conditions), readJsonl(run.files.timing));
  verdicts.push({ name: f.name, fault: f.fault, mesh: f.mesh, exitCode: run.code, ms: round(v.ms), condition: v.condition ?? null, wait: v.wait ?? null, outcome: v.outcome ?? null });
  log(`${f.name}: exit ${run.code}; ${v.ms === undefined ? `no verdict after a terminal condition (condition ${v.condition ?? 'none'}, failed wait ${v.wait ?? 'none'})` : `${round(v.ms)} ms from ${v.condition} to the failed wait (${v.outcome}: ${v.wait})`}`);
}
const verdictMs = verdicts.map((v) => v.ms).filter((x) => x !== null);
const failVerdict = verdicts.length ? { ...summarize(verdictMs), missing: verdicts.filter((v) => v.ms === null).map((v) => v.name) } : undefined;

const headline = results.find((r) => r.namespaces === 1 && r.timings === opts.timings);
const one = headline;
const scaled = results.filter((r) => r.timings === opts.timings).sort((a, b) => a.namespaces - b.namespaces);
const largest = scaled.at(-1);
const case20 = scaled.find((r) => r.namespaces === 20);
const case50 = scaled.find((r) => r.namespaces === 50);
/** @param {number | null | undefined} a @param {number | null | undefined} b */
const ratio = (a, b) => (a && b ? round(a / b, 2) : null);
/** @param {number | null | undefined} value @param {number} limit */
const within = (value, limit) => value !== null && value !== undefined && value <= limit;
// The targets of issue 17, each with the value measured in this run.
const targets = {
  overhead: { target: '<= 0.05 of the floor (1 namespace)', value: one?.overheadRatio, met: within(one?.overheadRatio, 0.05) },
  reactionP95: { target: '<= 50 ms', value: one?.reaction.all.p95, met: within(one?.reaction.all.p95, 50), watchDrivenP95: one?.reaction.watchDriven.p95 },
  scale: case20
    ? { target: '20 namespaces <= 1.25x the wall time of 1', value: ratio(case20.wallMs, one?.wallMs), met: within(ratio(case20.wallMs, one?.wallMs), 1.25) }
    : { target: `${largest?.namespaces} namespaces <= 2x the wall time of 1 (no 20-namespace case in this run)`, value: ratio(largest?.wallMs, one?.wallMs), met: within(ratio(largest?.wallMs, one?.wallMs), 2) },
  scale50: { target: '50 namespaces: run, and report the ratio to 1', value: ratio(case50?.wallMs, one?.wallMs), met: case50 !== undefined && case50.exitCode === 0 },
  rss1: { target: '<= 350 MB summed over the harness processes, 1 namespace', value: one?.memory.peakHarnessMb, met: within(one?.memory.peakHarnessMb, 350) },
  rss20: { target: '<= 700 MB summed, 20 namespaces', value: case20?.memory.peakHarnessMb ?? null, met: within(case20?.memory.peakHarnessMb, 700) },
  // The value is every request of the run (all checks); `core` leaves out the extended checks' own requests.
  requestsPerNamespace: { target: '<= 60 API requests per namespace', value: one?.api.total, met: within(one?.api.total, 60), core: one?.api.corePerNamespace ?? null },
  // Met only when every terminal fault gave a verdict after its condition (a run without one counts as missed).
  failVerdict: { target: '<= 2000 ms p95 from the fault being observable to the failed check, per terminal fault', value: failVerdict?.p95 ?? null, met: within(failVerdict?.p95, 2000) && !failVerdict?.missing.length, missing: failVerdict?.missing ?? [] },
};
const report = { machine: { ...machine, loadavgAtEnd: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ') }, preset: opts.timings, targets, runs: results, verdicts };
writeFileSync(join(out, 'results.json'), `${JSON.stringify(report, null, 2)}\n`);
const md = renderMarkdown(report);
writeFileSync(join(out, 'results.md'), md);
process.stdout.write(`\n${md}\n`);
log(`wrote ${join(out, 'results.json')} and ${join(out, 'results.md')}`);
const record = !opts['no-record'] && (opts.record ?? out === join(root, 'reports', 'bench'));
if (record) log(recordFigures(join(root, 'BENCHMARKS.md'), md));
const failedRuns = [...results.filter((r) => r.exitCode !== 0), ...verdicts.filter((v) => v.exitCode !== 1).map((v) => ({ name: v.name, exitCode: v.exitCode }))];
if (failedRuns.length) log(`runs that did not pass: ${failedRuns.map((r) => `${r.name} (exit ${r.exitCode})`).join(', ')}`);
// One line of key=value pairs (issue 17).
const kv = { overhead_ratio: one?.overheadRatio, reaction_p95_ms: one?.reaction.all.p95, scale20: ratio(case20?.wallMs, one?.wallMs), rss1_mb: one?.memory.peakHarnessMb, rss20_mb: case20?.memory.peakHarnessMb, requests_per_ns: one?.api.total, fail_verdict_p95_ms: failVerdict?.p95, scale50: ratio(case50?.wallMs, one?.wallMs), requests_core_per_ns: one?.api.corePerNamespace };
process.stdout.write(`${Object.entries(kv).map(([k, v]) => `${k}=${v ?? 'n/a'}`).join(' ')}\n`);
process.exitCode = failedRuns.length ? 1 : 0;
