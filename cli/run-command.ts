import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfigFileLayer } from '../harness/config/config-file.ts';
import type { ConfigLayer, ConformanceConfig } from '../harness/config/resolve-config.ts';
import { defaultKubeconfig, envLayer, resolveConfig, ConfigError } from '../harness/config/resolve-config.ts';
import { runPaths, runnerEnv, writeRunConfig } from '../harness/config/run-config.ts';
import { goLine, runnerGoEnv } from '../harness/config/runner-go.ts';
import { flowChecksEnv, flowWorkers, withoutTestFilters } from '../harness/config/flow-plan.ts';
import type { ConfigKey } from '../harness/config/config-schema.ts';
import { stopCredentialPlugins } from '../harness/k8s/exec-credential.ts';
import { KubeClient } from '../harness/k8s/kube-client.ts';
import { resolveKubeconfig, resolveKubeconfigSpec } from '../harness/k8s/kubeconfig.ts';
import { generateRunId } from '../harness/k8s/run-labels.ts';
import { parentWatchEnv } from '../fixtures/parent-watch.ts';
import { adoptMeshSettings, detectMesh, detectedLayer } from './detect-mesh.ts';
import { adoptInCluster, decideInCluster, inClusterLayer } from './in-cluster.ts';
import { childExit, stopChild } from './child-process.ts';
import { selectedChecks } from './list-checks.ts';
import { cleanupAfterRun, preRunSweep } from './cleanup-command.ts';
import { ensureWritableReportDir } from './report-dir.ts';
import { BadInputError, exitCodes, mapPlaywrightExit } from './exit-codes.ts';
import type { ExitCode } from './exit-codes.ts';
import { packageRoot, playwrightCli } from './paths.ts';
import { preflightKubeconfig, preflightRealTarget, requireExplicitContext } from './preflight.ts';
import type { RunInvocation } from './program.ts';
import { flagLayer } from './program.ts';
import type { RunningSimulator } from './simulator-process.ts';
import { startSimulator } from './simulator-process.ts';

/**
 * Resolves the run's configuration from the config file (when found, see `loadRunConfigFile`), the environment and
 * the flags, later ones winning; invalid values are bad input.
 */
export function resolveRunConfig(inv: RunInvocation, env: NodeJS.ProcessEnv, cwd: string, fileLayer?: ConfigLayer, lowest: ConfigLayer[] = []): ConformanceConfig {
  let config: ConformanceConfig;
  try {
    config = resolveConfig([...lowest, ...userLayers(inv, env, fileLayer)]);
  } catch (err) {
    if (err instanceof ConfigError) throw new BadInputError(err.message);
    throw err;
  }
  config.runId ??= generateRunId();
  // `--namespaces N` wins over `parallelism`: the workers read the number of copies from the run's configuration.
  if (inv.namespaces !== undefined) config.parallelism = inv.namespaces;
  config.reportDir = resolve(cwd, config.reportDir);
  // Playwright workers run in the package root: file paths from env or flags are relative to where the user is.
  const la = config.metrics.logAnalytics;
  if (la?.tokenFile) la.tokenFile = resolve(cwd, la.tokenFile);
  if (la?.caFile) la.caFile = resolve(cwd, la.caFile);
  if (config.target === 'local') {
    if (inv.flags.kubeconfig !== undefined || inv.flags.context !== undefined) {
      throw new BadInputError('--kubeconfig and --context select a real cluster: add --target kind or --target aks (target local starts its own simulated cluster)');
    }
    config.kubeconfig = runPaths(config.reportDir, config.runId).kubeconfig;
    config.context = undefined;
  } else {
    if (config.simFaults.length) throw new BadInputError('--sim-fault applies only to --target local: drop --sim-fault for a real cluster, or use --target local to break the simulated one');
    if (config.controlPlane !== 'embedded') throw new BadInputError('--control-plane applies only to --target local (it chooses what runs the simulated cluster): drop it for a real cluster');
    config.kubeconfig = resolveKubeconfigSpec(cwd, config.kubeconfig ?? defaultKubeconfig(env));
  }
  return config;
}

/** The user's layers, lowest first: the config file, `MESH_CONFORMANCE_*`, the flags. */
export function userLayers(inv: RunInvocation, env: NodeJS.ProcessEnv, fileLayer?: ConfigLayer): ConfigLayer[] {
  return [...(fileLayer ? [fileLayer] : []), envLayer(env), flagLayer(inv.flags)];
}

/**
 * Settles the mesh from the cluster: detects what the user did not set (mesh, control-plane namespace, revision) and
 * re-derives what depends on it (the default ingress, the budgets). Exit 2 when it is ambiguous or absent.
 */
export async function settleMesh(config: ConformanceConfig, inv: RunInvocation, env: NodeJS.ProcessEnv, cwd: string, fileLayer: ConfigLayer | undefined, lowest: ConfigLayer[] = []): Promise<void> {
  const given = (key: ConfigKey): boolean => userLayers(inv, env, fileLayer).some((l) => l.values[key] !== undefined);
  const client = KubeClient.connect({ kubeconfig: config.kubeconfig ?? '', context: config.context, credentialBudgetMs: config.timeouts.apply });
  const detected = await detectMesh(client, config, given);
  if (!Object.keys(detected).length) return;
  adoptMeshSettings(config, resolveRunConfig(inv, env, cwd, fileLayer, [...lowest, detectedLayer(detected)]));
}

/** The config file layer (`--config`, `$MESH_CONFORMANCE_CONFIG` or mesh-conformance.config.* in `cwd`); problems are bad input. */
export async function loadRunConfigFile(explicit: string | undefined, env: NodeJS.ProcessEnv, cwd: string): Promise<ConfigLayer | undefined> {
  try {
    return await loadConfigFileLayer(explicit, env, cwd);
  } catch (err) {
    if (err instanceof ConfigError) throw new BadInputError(err.message);
    throw err;
  }
}

/**
 * Points the configuration at a simulated cluster that just started: its kubeconfig, context and request log, and
 * the metrics source it offers (the simulated AKS clusters' Log Analytics workspace or managed Prometheus), unless
 * the user chose one.
 */
export function adoptSimulator(config: ConformanceConfig, simulator: RunningSimulator): void {
  config.kubeconfig = simulator.ready.kubeconfig;
  config.context = simulator.ready.context;
  config.simRequestLog = simulator.requestLog;
  // The frontends' FQDNs of the simulated Application Gateway for Containers resolve only through its own DNS server.
  if (!config.dnsServer && simulator.ready.agc) config.dnsServer = simulator.ready.agc.dnsServer;
  if (config.metrics.prometheusUrl || config.metrics.logAnalytics) return; // the user chose a metrics source
  const la = simulator.ready.logAnalytics;
  const mp = simulator.ready.managedPrometheus;
  if (la) {
    config.metrics.logAnalytics = { workspaceId: la.workspaceId, endpoint: la.endpoint, token: undefined, tokenFile: la.tokenFile, caFile: la.caFile };
  } else if (mp) {
    // The simulated AKS Istio add-on's Azure Monitor managed Prometheus: a bearer token, its own CA, one cluster label.
    Object.assign(config.metrics, { prometheusUrl: mp.endpoint, prometheusTokenFile: mp.tokenFile, prometheusCaFile: mp.caFile, cluster: mp.cluster });
  }
}

/** The simulator's modelled delays for `--target local` (`npm run bench` sets it): a preset name or JSON overrides. */
export const simTimingsEnv = 'MESH_CONFORMANCE_SIM_TIMINGS';

/**
 * `--namespaces N` as Playwright flags: N > 1 copies run as concurrent flows in a few workers
 * (harness/config/flow-plan.ts, fixtures/flows.ts); one copy needs none.
 */
export function namespacesArgs(n: number | undefined, env: NodeJS.ProcessEnv = process.env): string[] {
  if (n === undefined || n <= 1) return [];
  try {
    return ['--workers', String(flowWorkers(n, env))];
  } catch (err) {
    throw new BadInputError(err instanceof Error ? err.message : String(err));
  }
}

/**
 * Node flags of the test runner, inherited by its workers (Playwright forks them with the runner's flags). The young
 * generation's semi-spaces default to 16 MB each: a harness process allocates little and briefly (API objects, HTTP
 * exchanges), so 2 MB semi-spaces cost a few more scavenges and save about 15–25 MB of resident memory per process
 * (issue 17's summed RSS; BENCHMARKS.md).
 */
export const runnerNodeFlags = ['--max-semi-space-size=2'];

/**
 * `mesh-conformance run`: validates input, starts the simulated cluster for `local`, runs
 * `playwright test --project=<target>` with the configuration in MESH_CONFORMANCE_* variables, stops the
 * simulator, and returns the mapped exit code (SIGINT/SIGTERM are forwarded once; the result is 130).
 */
export async function runConformance(inv: RunInvocation, out: { write: (s: string) => void } = process.stdout, onResolved?: (config: ConformanceConfig) => void): Promise<ExitCode> {
  const env = process.env;
  const cwd = process.cwd();
  const fileLayer = await loadRunConfigFile(inv.configFile, env, cwd);
  // Inside a pod (--in-cluster, or detected): the pod's service account instead of a kubeconfig (cli/in-cluster.ts).
  const inCluster = decideInCluster(inv, env, fileLayer);
  const lowest = inCluster ? [await inClusterLayer(inCluster)] : [];
  const config = resolveRunConfig(inv, env, cwd, fileLayer, lowest);
  if (inCluster) adoptInCluster(config, inCluster);
  onResolved?.(config);
  ensureWritableReportDir(config.reportDir);
  // How the copies spread over workers; a bad MESH_CONFORMANCE_WORKERS is bad input now, before anything starts.
  const copiesArgs = namespacesArgs(config.parallelism, env);
  // Arguments for Playwright are checked now, by a listing that runs nothing: a typo is bad input before the
  // simulator starts or pre-flight runs, not a failure after them.
  const selection = inv.playwrightArgs.length ? selectedChecks(inv, config) : undefined;
  // Copies as concurrent flows run every check in one test: the selection goes to it by name, not as a filter.
  const asFlows = copiesArgs.length > 0;
  const playwrightArgs = asFlows ? withoutTestFilters(inv.playwrightArgs) : inv.playwrightArgs;
  // Real clusters: unsafe input is refused before anything else (bad input, exit 2).
  if (config.target !== 'local') {
    requireExplicitContext(config);
    preflightKubeconfig(config);
  }

  // Signals are ours from here on, pre-flight included: Ctrl-C, SIGTERM and SIGHUP (the terminal or SSH session
  // closed) all stop the run the same way, and the exit code is 130.
  let interrupted = false;
  let child: ReturnType<typeof spawn> | undefined;
  // Whether the runner got its go: from then on it owns the run's namespaces, and stopping it means tearing them down.
  let started = false;
  const starting = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signal === 'SIGHUP') {
      // The terminal is gone: writing to it would fail; keep going silently.
      for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
    }
    interrupted = true;
    starting.abort();
    stopCredentialPlugins();
    // Playwright runs its teardown (namespace deletion) on the first SIGINT; a second one would cut it short.
    if (child && started && child.exitCode === null) child.kill('SIGINT');
    else if (!started && signal !== 'SIGHUP') process.stderr.write(`mesh-conformance: ${signal} received, stopping\n`);
  };
  for (const s of stopSignals) process.on(s, onSignal);

  let simulator: RunningSimulator | undefined;
  // The runner's environment until its go, and the config file it will read (written just before the go).
  const runConfigFile = runPaths(config.reportDir, config.runId ?? '').config;
  const runnerBaseEnv = { ...process.env, [parentWatchEnv]: 'stdin', [runnerGoEnv]: 'stdin', ...(asFlows && selection ? { [flowChecksEnv]: [...new Set(selection.map((c) => c.id))].join(',') } : {}) };
  const earlyEnv = runnerEnv(config, runnerBaseEnv, runConfigFile);
  try {
    // The test runner starts now and waits for its go (harness/config/runner-go.ts): Node, Playwright and its
    // transform load while the simulated cluster boots or pre-flight runs, instead of after them.
    child = spawn(process.execPath, [...runnerNodeFlags, playwrightCli(), 'test', '--config', join(packageRoot, 'playwright.config.ts'), `--project=${config.target}`, ...copiesArgs, ...playwrightArgs], {
      cwd: packageRoot,
      env: earlyEnv,
      // stdin is a pipe only we hold: the go arrives on it, and if we die, even by SIGKILL, the runner sees it end
      // and stops (before the go: exits at once; after it: tears down, fixtures/parent-watch.ts).
      stdio: ['pipe', 'inherit', 'inherit'],
      // Own process group: a terminal Ctrl-C reaches only us, and we forward exactly one SIGINT.
      detached: true,
    });
    child.stdin?.on('error', () => undefined);
    if (config.target !== 'local') {
      // Real clusters: refuse unsafe input and check access, the mesh and RBAC before anything is written; then
      // sweep leftovers of dead runs older than the TTL (live runs keep a heartbeat and are never touched).
      // Interrupted here, nothing of this run exists yet: stop at once.
      const before = async (): Promise<void> => {
        await settleMesh(config, inv, env, cwd, fileLayer, lowest); // find the mesh when not given
        await preflightRealTarget(config, out);
        await preRunSweep(config, out);
      };
      if (await untilInterrupted(before(), starting.signal) === 'interrupted') return exitCodes.interrupted;
    }
    if (config.target === 'local') {
      process.stdout.write(`mesh-conformance: starting the simulated cluster (flavor ${config.flavor}${config.controlPlane === 'upstream' ? ', upstream control plane' : ''}${config.simFaults.length ? `, faults ${config.simFaults.join(',')}` : ''})\n`);
      try {
        simulator = await startSimulator({ flavor: config.flavor, mesh: config.mesh, controlPlane: config.controlPlane, kubeconfig: config.kubeconfig ?? '', faults: config.simFaults, timings: process.env[simTimingsEnv], signal: starting.signal });
      } catch (err) {
        if (interrupted) return exitCodes.interrupted; // the simulator was stopped; the run created nothing yet
        throw err;
      }
      adoptSimulator(config, simulator);
      await settleMesh(config, inv, env, cwd, fileLayer);
      process.stdout.write(`mesh-conformance: simulated cluster ready (context ${config.context}, kubeconfig ${config.kubeconfig})\n`);
      if (interrupted) return exitCodes.interrupted;
    }
    // allure-playwright appends to its results dir; start empty so the Allure report shows this run only.
    rmSync(join(config.reportDir, 'allure-results'), { recursive: true, force: true });
    process.stdout.write(`mesh-conformance: run ${config.runId} target=${config.target} profile=${config.flavor} mesh=${config.mesh}(${config.meshNamespace}${config.meshRevision ? `, revision ${config.meshRevision}` : ''}) ingress=${config.ingress}\n`);
    // The configuration is resolved once, here: the runner, its workers and the reporters read this file.
    if (writeRunConfig(config) !== runConfigFile) throw new Error(`the run's config file moved from ${runConfigFile}`);
    // The runner and its workers use the kubeconfig as read here, never the files again (a pipe can be read once).
    const kubeconfig = resolveKubeconfig(config.kubeconfig ?? '', config.context);
    if (interrupted) return exitCodes.interrupted;
    child.stdin?.write(goLine(earlyEnv, runnerEnv(config, runnerBaseEnv, runConfigFile, kubeconfig)));
    started = true;
    const { code, signal } = await childExit(child);
    return interrupted ? exitCodes.interrupted : mapPlaywrightExit(code, signal);
  } finally {
    // However the runner ended (interrupted in any phase, crashed): remove what is left of this run, bounded.
    if (child && started) await cleanupAfterRun(config, { interrupted });
    // A runner that got no go created nothing: it only has to go.
    else if (child) await stopChild(child);
    if (simulator) await simulator.stop();
    for (const s of stopSignals) process.removeListener(s, onSignal);
  }
}

/** The signals that stop a run (and `check`): Ctrl-C, SIGTERM, and SIGHUP when the terminal or SSH session closes. */
export const stopSignals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** Settles with `work`, or with 'interrupted' as soon as `signal` aborts (the work is left to settle unobserved). */
async function untilInterrupted(work: Promise<void>, signal: AbortSignal): Promise<'done' | 'interrupted'> {
  work.catch(() => undefined);
  if (signal.aborted) return 'interrupted';
  return Promise.race([
    work.then(() => 'done' as const),
    new Promise<'interrupted'>((resolve) => signal.addEventListener('abort', () => resolve('interrupted'), { once: true })),
  ]);
}
