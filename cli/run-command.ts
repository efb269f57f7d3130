import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ConformanceConfig } from '../harness/config/resolve-config.ts';
import { defaultKubeconfig, envLayer, resolveConfig, toEnv, ConfigError } from '../harness/config/resolve-config.ts';
import { generateRunId } from '../harness/k8s/run-labels.ts';
import { childExit } from './child-process.ts';
import { BadInputError, exitCodes, mapPlaywrightExit } from './exit-codes.ts';
import type { ExitCode } from './exit-codes.ts';
import { packageRoot, playwrightCli } from './paths.ts';
import { preflightKubeconfig } from './preflight.ts';
import type { RunInvocation } from './program.ts';
import { flagLayer } from './program.ts';
import type { RunningSimulator } from './simulator-process.ts';
import { startSimulator } from './simulator-process.ts';

/** Resolves the run's configuration from the environment and the flags; invalid values are bad input. */
export function resolveRunConfig(inv: RunInvocation, env: NodeJS.ProcessEnv, cwd: string): ConformanceConfig {
  let config: ConformanceConfig;
  try {
    config = resolveConfig([envLayer(env), flagLayer(inv.flags)]);
  } catch (err) {
    if (err instanceof ConfigError) throw new BadInputError(err.message);
    throw err;
  }
  config.runId ??= generateRunId();
  config.reportDir = resolve(cwd, config.reportDir);
  if (config.target === 'local') {
    if (inv.flags.kubeconfig !== undefined || inv.flags.context !== undefined) {
      throw new BadInputError('--kubeconfig and --context select a real cluster: add --target kind or --target aks (target local starts its own simulated cluster)');
    }
    config.kubeconfig = join(config.reportDir, 'simulator', config.runId, 'kubeconfig');
    config.context = undefined;
  } else {
    if (config.simFaults.length) throw new BadInputError('--sim-fault applies only to --target local');
    config.kubeconfig = resolve(cwd, config.kubeconfig ?? defaultKubeconfig(env));
  }
  return config;
}

/**
 * `mesh-conformance run`: validates input, starts the simulated cluster for `local`, runs
 * `playwright test --project=<target>` with the configuration in MESH_CONFORMANCE_* variables, stops the
 * simulator, and returns the mapped exit code (SIGINT/SIGTERM are forwarded once; the result is 130).
 */
export async function runConformance(inv: RunInvocation): Promise<ExitCode> {
  const config = resolveRunConfig(inv, process.env, process.cwd());
  if (config.target !== 'local') preflightKubeconfig(config);

  let interrupted = false;
  let child: ReturnType<typeof spawn> | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    interrupted = true;
    // Playwright runs its teardown (namespace deletion) on the first SIGINT; a second one would cut it short.
    if (child && child.exitCode === null) child.kill('SIGINT');
    else if (!child) process.stderr.write(`mesh-conformance: ${signal} received, stopping\n`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let simulator: RunningSimulator | undefined;
  try {
    if (config.target === 'local') {
      process.stdout.write(`mesh-conformance: starting the simulated cluster (flavor ${config.flavor}${config.simFaults.length ? `, faults ${config.simFaults.join(',')}` : ''})\n`);
      simulator = await startSimulator({ flavor: config.flavor, kubeconfig: config.kubeconfig ?? '', faults: config.simFaults });
      config.kubeconfig = simulator.ready.kubeconfig;
      config.context = simulator.ready.context;
      process.stdout.write(`mesh-conformance: simulated cluster ready (context ${config.context}, kubeconfig ${config.kubeconfig})\n`);
      if (interrupted) return exitCodes.interrupted;
    }
    // allure-playwright appends to its results dir; start empty so the Allure report shows this run only.
    rmSync(join(config.reportDir, 'allure-results'), { recursive: true, force: true });
    process.stdout.write(`mesh-conformance: run ${config.runId} target=${config.target} profile=${config.flavor} mesh=${config.mesh}(${config.meshNamespace}) ingress=${config.ingress}\n`);
    child = spawn(process.execPath, [playwrightCli(), 'test', '--config', join(packageRoot, 'playwright.config.ts'), `--project=${config.target}`, ...inv.playwrightArgs], {
      cwd: packageRoot,
      env: { ...process.env, ...toEnv(config) },
      stdio: 'inherit',
      // Own process group: a terminal Ctrl-C reaches only us, and we forward exactly one SIGINT.
      detached: true,
    });
    const { code, signal } = await childExit(child);
    return interrupted ? exitCodes.interrupted : mapPlaywrightExit(code, signal);
  } finally {
    if (simulator) await simulator.stop();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}
