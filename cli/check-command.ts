import type { ConformanceConfig } from '../harness/config/resolve-config.ts';
import { resolve } from 'node:path';
import { clientNode } from '../harness/k8s/client-node.ts';
import { defaultKubeconfig, resolveConfig } from '../harness/config/resolve-config.ts';
import { stopCredentialPlugins } from '../harness/k8s/exec-credential.ts';
import { KubeClient } from '../harness/k8s/kube-client.ts';
import { apiAccess } from '../harness/readiness/core-categories.ts';
import { checkReadiness } from '../harness/readiness/readiness.ts';
import { errorText } from '../harness/text.ts';
import { formatReadiness } from '../harness/readiness/readiness-result.ts';
import type { ReadinessReport } from '../harness/readiness/readiness-result.ts';
import { BadInputError, exitCodes } from './exit-codes.ts';
import { preflightKubeconfig, readinessOptionsOf } from './preflight.ts';
import type { RunInvocation } from './program.ts';
import { adoptSimulator, loadRunConfigFile, resolveRunConfig, settleMesh, simTimingsEnv, stopSignals, userLayers } from './run-command.ts';
import type { RunningSimulator } from './simulator-process.ts';
import { startSimulator } from './simulator-process.ts';

/** `mesh-conformance check …` as parsed: the target flags of `run`, and the output format. */
export interface CheckInvocation {
  command: 'check';
  flags: RunInvocation['flags'];
  configFile: string | undefined;
  output: 'table' | 'json';
}

/**
 * The exit code of a report: 3 when the cluster stayed unavailable (every failed line says so), 2 when it could
 * not run otherwise, 1 with a failed line, 0 otherwise (warnings allowed).
 */
export function checkExitCode(report: ReadinessReport): number {
  const failed = report.categories.flatMap((c) => c.lines).filter((l) => l.status === 'fail');
  if (failed.length && failed.every((l) => l.unavailable)) return exitCodes.infrastructure;
  if (!report.ran) return exitCodes.badInput;
  return report.ready ? exitCodes.passed : exitCodes.checkFailed;
}

/** Renders the report: one JSON document, or the table. */
export function renderReadiness(report: ReadinessReport, output: CheckInvocation['output']): string {
  return output === 'json' ? `${JSON.stringify(report, null, 2)}\n` : formatReadiness(report);
}

/**
 * `mesh-conformance check`: a read-only readiness report of the target cluster (`linkerd check` style). With
 * `--target local` it starts the simulated cluster, checks it and stops it. Progress goes to stderr when the
 * output is JSON, so stdout holds exactly one JSON document. Exit 0 ready (warnings allowed), 1 a line failed,
 * 2 the check could not run (bad input, unusable kubeconfig, API server unreachable or refusing the credentials).
 */
export async function runCheck(inv: CheckInvocation): Promise<number> {
  try {
    return await checkTarget(inv);
  } catch (err) {
    if (err instanceof BadInputError) throw err;
    // Anything else (the simulated cluster did not start, a kubeconfig exec plugin crashed): the check could not run.
    throw new BadInputError(`check could not run: ${errorText(err)}`);
  }
}

/**
 * The target `check` assumes when none is given (flag, env or config file): like `linkerd check` and `istioctl x
 * precheck`, the kubeconfig's current (or named) context, as `aks` when its server is an AKS API server
 * (`*.azmk8s.io`), else `kind` (a generic cluster's defaults). `--target local` checks a simulated cluster instead.
 */
export function inferCheckTarget(kubeconfig: string, context: string | undefined): 'kind' | 'aks' {
  try {
    const kc = new (clientNode().KubeConfig)();
    kc.loadFromFile(kubeconfig);
    if (context) kc.setCurrentContext(context);
    return /\.azmk8s\.io(:\d+)?$/.test(new URL(kc.getCurrentCluster()?.server ?? '').hostname) ? 'aks' : 'kind';
  } catch {
    return 'kind'; // an unreadable kubeconfig is reported, with what to do, when the check connects
  }
}

async function checkTarget(inv: CheckInvocation): Promise<number> {
  const cwd = process.cwd();
  const env = process.env;
  const fileLayer = await loadRunConfigFile(inv.configFile, env, cwd);
  const run: RunInvocation = { command: 'run', flags: { ...inv.flags }, playwrightArgs: [] };
  if (!userLayers(run, env, fileLayer).some((l) => l.values.target !== undefined)) {
    const raw = resolveConfig(userLayers({ ...run, flags: { ...run.flags, target: 'kind' } }, env, fileLayer));
    run.flags.target = inferCheckTarget(resolve(cwd, raw.kubeconfig ?? defaultKubeconfig(env)), raw.context);
  }
  const config: ConformanceConfig = resolveRunConfig(run, env, cwd, fileLayer);
  const log = (line: string): void => {
    (inv.output === 'json' ? process.stderr : process.stdout).write(`mesh-conformance: ${line}\n`);
  };

  let simulator: RunningSimulator | undefined;
  const starting = new AbortController();
  const onSignal = (): void => {
    starting.abort();
    stopCredentialPlugins();
    void (simulator ? simulator.stop() : Promise.resolve()).finally(() => process.exit(exitCodes.interrupted));
  };
  for (const sig of stopSignals) process.on(sig, onSignal);
  try {
    let client: KubeClient;
    if (config.target === 'local') {
      log(`starting the simulated cluster to check (flavor ${config.flavor}${config.simFaults.length ? `, faults ${config.simFaults.join(',')}` : ''})`);
      simulator = await startSimulator({ flavor: config.flavor, mesh: config.mesh, controlPlane: config.controlPlane, kubeconfig: config.kubeconfig ?? '', faults: config.simFaults, timings: process.env[simTimingsEnv], signal: starting.signal });
      adoptSimulator(config, simulator);
      client = KubeClient.connect({ kubeconfig: config.kubeconfig ?? '', context: config.context, credentialBudgetMs: config.timeouts.apply });
    } else {
      client = preflightKubeconfig(config);
    }
    // An unreachable or refusing API server is the report's first line (ran: false), not a detection error.
    if (!('problem' in await apiAccess(client, config.target, config.timeouts.apply))) await settleMesh(config, run, env, cwd, fileLayer);
    const report = await checkReadiness(client, readinessOptionsOf(config));
    process.stdout.write(renderReadiness(report, inv.output));
    return checkExitCode(report);
  } finally {
    if (simulator) await simulator.stop();
    for (const sig of stopSignals) process.removeListener(sig, onSignal);
  }
}
