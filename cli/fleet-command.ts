/**
 * `run` over several clusters from one runner: `--context A --context B …`, `--contexts-file FILE` or
 * `--context-pattern GLOB` select kubeconfig contexts; each cluster's suite is its own `mesh-conformance run` process
 * (its own run id, namespace, report folder `<reportDir>/fleet/<context>/` and cleanup), at most
 * `--fleet-concurrency` at once. The aggregate goes to the terminal, `<reportDir>/fleet/fleet-report.json` and
 * `fleet-report.html` (harness/fleet/fleet-report.ts). Ctrl-C or SIGTERM: no new cluster starts, and each running one
 * gets one SIGINT, so it deletes what it created in its cluster before it exits (exit 130).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { clientNode } from '../harness/k8s/client-node.ts';
import { defaultKubeconfig } from '../harness/config/resolve-config.ts';
import type { FleetCluster } from '../harness/fleet/fleet-report.ts';
import { buildFleetReport, contextFolder, failingChecks, globMatches, renderFleetHtml, renderFleetTable, verdictOf } from '../harness/fleet/fleet-report.ts';
import { readConformanceReport } from '../harness/report/conformance-report.ts';
import { errorText } from '../harness/text.ts';
import { inferCheckTarget } from './check-command.ts';
import { BadInputError, exitCodes } from './exit-codes.ts';
import { packageRoot } from './paths.ts';
import type { FleetSelection, RunInvocation } from './program.ts';
import { loadRunConfigFile, userLayers } from './run-command.ts';

/** Options of `run` that the fan-out decides per cluster (or consumes itself): never passed on as given. */
const perClusterOptions = new Set(['--context', '--contexts-file', '--context-pattern', '--fleet-concurrency', '--report-dir', '--results-dir', '--kubeconfig', '--target', '--in-cluster']);
const flagsWithoutValue = new Set(['--in-cluster']);

/** The arguments of `run` minus the per-cluster ones (before `--`; Playwright's arguments after it pass unchanged). */
export function passThroughArgs(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const a = argv[i] ?? '';
    if (a === '--') return [...out, ...argv.slice(i)];
    const name = a.includes('=') ? a.slice(0, a.indexOf('=')) : a;
    if (perClusterOptions.has(name)) {
      if (!a.includes('=') && !flagsWithoutValue.has(name)) i += 1;
      continue;
    }
    out.push(a);
  }
  return out;
}

/** The contexts a selection names, in order, each once; unknown ones and an empty selection are bad input. */
export function selectContexts(sel: FleetSelection, available: string[], kubeconfig: string, cwd: string): string[] {
  const chosen: string[] = [...sel.contexts];
  if (sel.contextsFile !== undefined) {
    const file = resolve(cwd, sel.contextsFile);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      throw new BadInputError(`cannot read --contexts-file ${file}: give a readable file with one kubeconfig context a line`);
    }
    chosen.push(...text.split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean));
  }
  if (sel.contextPattern !== undefined) chosen.push(...available.filter((c) => globMatches(sel.contextPattern ?? '', c)));
  const unique = [...new Set(chosen)];
  const unknown = unique.filter((c) => !available.includes(c));
  if (unknown.length) throw new BadInputError(`context${unknown.length === 1 ? '' : 's'} ${unknown.map((c) => `"${c}"`).join(', ')} not found in ${kubeconfig} (contexts: ${available.join(', ') || 'none'})`);
  if (!unique.length) throw new BadInputError(`no kubeconfig context matches --context-pattern "${sel.contextPattern ?? ''}" in ${kubeconfig} (contexts: ${available.join(', ') || 'none'})`);
  return unique;
}

/** The script to start each cluster's run with: this process's own (bin/ on a checkout, the bundle in the image). */
function cliEntry(): string {
  const own = process.argv[1] ?? '';
  return /mesh-conformance\.m?js$/.test(own) ? own : join(packageRoot, 'bin', 'mesh-conformance.js');
}

interface RunningCluster {
  context: string;
  child: ChildProcess;
}

/** `run` fanned out over several clusters; returns the fleet's exit code (0, 1, 2 or 130). */
export async function runFleet(inv: RunInvocation, out: { write: (s: string) => void } = process.stdout): Promise<number> {
  const sel = inv.fleet;
  if (!sel) throw new Error('runFleet needs a fleet selection');
  const env = process.env;
  const cwd = process.cwd();
  const fileLayer = await loadRunConfigFile(inv.configFile, env, cwd);
  const value = (key: 'target' | 'kubeconfig' | 'reportDir' | 'resultsDir' | 'inCluster'): unknown => userLayers(inv, env, fileLayer).reduce<unknown>((v, l) => l.values[key] ?? v, undefined);
  const target = value('target') as string | undefined;
  if (target === 'local') throw new BadInputError('a fan-out checks real clusters through their kubeconfig contexts: pass --target kind|aks (or none: aks for AKS API servers, else kind)');
  if (value('inCluster') !== undefined) throw new BadInputError('--in-cluster checks the pod\'s own cluster: it cannot fan out over contexts');
  const kubeconfig = resolve(cwd, (value('kubeconfig') as string | undefined) ?? defaultKubeconfig(env));
  const kc = new (clientNode().KubeConfig)();
  try {
    kc.loadFromFile(kubeconfig);
  } catch (err) {
    throw new BadInputError(`cannot read kubeconfig ${kubeconfig}: ${errorText(err)}; pass --kubeconfig FILE holding the contexts to check`);
  }
  const contexts = selectContexts(sel, kc.getContexts().map((c) => c.name), kubeconfig, cwd);
  const fleetDir = resolve(cwd, (value('reportDir') as string | undefined) ?? 'reports', 'fleet');
  const resultsDir = value('resultsDir') as string | undefined;
  mkdirSync(fleetDir, { recursive: true });
  const taken = new Set<string>();
  const folders = new Map(contexts.map((c) => [c, contextFolder(c, taken)]));
  const passOn = passThroughArgs(inv.argv ?? []);
  out.write(`mesh-conformance fleet: ${contexts.length} clusters (${contexts.join(', ')}), ${Math.min(sel.concurrency, contexts.length)} at once; reports in ${fleetDir}\n`);

  let interrupted = false;
  const running = new Set<RunningCluster>();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted) return; // one SIGINT per cluster: a second would cut its cleanup short
    interrupted = true;
    out.write(`mesh-conformance fleet: ${signal} received: no new cluster starts; ${running.size} running one${running.size === 1 ? '' : 's'} clean${running.size === 1 ? 's' : ''} up and stop${running.size === 1 ? 's' : ''}\n`);
    for (const r of running) if (r.child.exitCode === null) r.child.kill('SIGINT');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const results = new Map<string, FleetCluster>();
  const runOne = async (context: string): Promise<void> => {
    const folder = folders.get(context) ?? context;
    const dir = join(fleetDir, folder);
    mkdirSync(dir, { recursive: true });
    const clusterTarget = target ?? inferCheckTarget(kubeconfig, context);
    const args = ['run', '--target', clusterTarget, '--kubeconfig', kubeconfig, '--context', context, '--report-dir', dir,
      ...(resultsDir ? ['--results-dir', join(resolve(cwd, resultsDir), folder)] : []), ...passOn];
    const started = Date.now();
    const log = createWriteStream(join(dir, 'run.log'));
    // Own process group: a terminal Ctrl-C reaches only the fan-out, which forwards exactly one SIGINT.
    const child = spawn(process.execPath, [cliEntry(), ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const entry = { context, child };
    running.add(entry);
    out.write(`mesh-conformance fleet: ${context}: started (target ${clusterTarget}; log ${join(dir, 'run.log')})\n`);
    let lastError: string | undefined;
    const readLines = (stream: NodeJS.ReadableStream | null, isErr: boolean): Promise<void> => new Promise((done) => {
      if (!stream) {
        done();
        return;
      }
      const rl = createInterface({ input: stream });
      rl.on('line', (line) => {
        log.write(`${line}\n`);
        if (isErr && line.startsWith('mesh-conformance: ')) lastError = line.slice('mesh-conformance: '.length);
      });
      rl.on('close', () => done());
    });
    const exit = new Promise<number | null>((done) => {
      child.once('error', (err) => {
        lastError = `could not start: ${err.message}`;
        done(null);
      });
      child.once('exit', (code, signal) => done(code ?? (signal === 'SIGINT' || signal === 'SIGTERM' ? 130 : null)));
    });
    const [code] = await Promise.all([exit, readLines(child.stdout, false), readLines(child.stderr, true)]);
    running.delete(entry);
    await new Promise<void>((done) => log.end(() => done()));
    const report = readConformanceReport(join(dir, 'conformance-report.json'));
    // This run's report with results (a run that could not check its cluster reports `error` and no versions).
    const written = report && Date.parse(report.date) >= started - 1000 ? report : undefined;
    const fresh = written?.run.result === 'error' ? undefined : written;
    lastError ??= written?.run.reason;
    const verdict = verdictOf(code, interrupted);
    const cluster: FleetCluster = {
      context, reportDir: folder, target: clusterTarget, verdict, exitCode: code,
      durationSeconds: Math.round((Date.now() - started) / 100) / 10,
      mesh: fresh?.implementation.mesh ?? null,
      meshVersion: fresh?.implementation.version ?? null,
      supportEnds: fresh?.implementation.supportEnds ?? null,
      failingChecks: failingChecks(fresh),
      reason: verdict === 'passed' ? null : verdict === 'failed' && fresh ? null : lastError ?? (code === null ? 'the run did not start' : `exited with code ${code}`),
      runId: fresh?.run.id ?? null,
    };
    results.set(context, cluster);
    out.write(`mesh-conformance fleet: ${context}: ${verdict} in ${cluster.durationSeconds.toFixed(1)}s${cluster.reason ? ` (${cluster.reason})` : ''}\n`);
  };

  try {
    const queue = [...contexts];
    const workers = Array.from({ length: Math.min(sel.concurrency, contexts.length) }, async () => {
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
        if (interrupted) break;
        await runOne(next);
      }
    });
    await Promise.all(workers);
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
  const clusters = contexts.map((c): FleetCluster => results.get(c) ?? {
    context: c, reportDir: folders.get(c) ?? c, target: target ?? inferCheckTarget(kubeconfig, c), verdict: 'not run', exitCode: null, durationSeconds: 0,
    mesh: null, meshVersion: null, supportEnds: null, failingChecks: [], reason: 'not started: the fan-out was interrupted', runId: null,
  });
  const report = buildFleetReport(clusters, interrupted);
  writeFileSync(join(fleetDir, 'fleet-report.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(fleetDir, 'fleet-report.html'), renderFleetHtml(report));
  out.write(`\n${renderFleetTable(report)}`);
  out.write(`mesh-conformance fleet: ${join(fleetDir, 'fleet-report.json')}, ${join(fleetDir, 'fleet-report.html')}\n`);
  return report.exitCode === 130 ? exitCodes.interrupted : report.exitCode;
}
