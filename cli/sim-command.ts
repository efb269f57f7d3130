import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { childExit } from './child-process.ts';
import { BadInputError, exitCodes } from './exit-codes.ts';
import { fsProblem, makeDirs } from './report-dir.ts';
import { packageRoot } from './paths.ts';
import type { SimInvocation } from './program.ts';
import { writeSimulatorConfig } from './sim-config-file.ts';
import { parseReadyLine, simulatorArgs } from './simulator-process.ts';

/**
 * `mesh-conformance sim`: the simulated cluster in the foreground with inherited stdio; SIGINT/SIGTERM are
 * forwarded and the simulator's exit code is ours.
 */
export async function runSimulator(inv: SimInvocation): Promise<number> {
  const kubeconfig = resolve(inv.kubeconfig ?? join(inv.reportDir ?? 'reports', 'simulator', 'standalone', 'kubeconfig'));
  if (inv.token !== undefined && inv.token.trim() === '') {
    throw new BadInputError('--token must not be empty: pass the bearer token the simulated API server should accept, or omit --token for a random one');
  }
  if (!inv.listFaults) {
    // Created here, level by level: a recursive mkdir below /proc never returns.
    try {
      makeDirs(dirname(kubeconfig));
    } catch (err) {
      throw new BadInputError(`cannot write the kubeconfig ${kubeconfig} (${fsProblem(err)}): pass --kubeconfig FILE in a directory you can write`);
    }
  }
  if (!inv.listFaults) process.stdout.write(`mesh-conformance sim: kubeconfig ${kubeconfig} (use: KUBECONFIG=${kubeconfig} kubectl get pods -A)\n`);
  const extra = [...(inv.port !== undefined ? ['--port', inv.port] : []), ...(inv.token !== undefined ? ['--token', inv.token] : []), '--exit-with-parent'];
  // stdin is a pipe only we hold, so the simulator stops when this process dies, even by SIGKILL.
  const child = spawn(process.execPath, [...simulatorArgs({ flavor: inv.flavor, mesh: inv.mesh, controlPlane: inv.controlPlane, kubeconfig, faults: inv.faults, listFaults: inv.listFaults, timings: inv.timings, scenario: inv.scenario, ...(inv.requestLog ? { requestLog: resolve(inv.requestLog) } : {}) }), ...extra], {
    cwd: packageRoot, stdio: ['pipe', 'pipe', 'inherit'], detached: true,
  });
  child.stdin?.on('error', () => undefined);
  // Pass the simulator's output through; on its ready line, write the config file for `run --target <flavor>`.
  if (child.stdout) {
    createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', (line) => {
      process.stdout.write(`${line}\n`);
      const ready = parseReadyLine(line);
      if (!ready || inv.listFaults) return;
      try {
        const file = writeSimulatorConfig(ready);
        process.stdout.write(`mesh-conformance sim: to check it as a real ${ready.flavor === 'aks' ? 'aks' : 'kind'} cluster, pre-flight included: mesh-conformance run --config ${file}\n`);
      } catch (err) {
        process.stderr.write(`mesh-conformance sim: could not write the config file next to ${ready.kubeconfig}: ${(err as Error).message}\n`);
      }
    });
  }
  const forward = (signal: NodeJS.Signals): void => {
    // SIGHUP (the terminal closed) stops the simulator as SIGTERM does.
    if (child.exitCode === null) child.kill(signal === 'SIGHUP' ? 'SIGTERM' : signal);
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  process.on('SIGHUP', forward);
  try {
    const { code, signal } = await childExit(child);
    if (code !== null) return code;
    return signal === 'SIGINT' || signal === 'SIGTERM' ? exitCodes.passed : exitCodes.checkFailed;
  } finally {
    process.removeListener('SIGINT', forward);
    process.removeListener('SIGTERM', forward);
    process.removeListener('SIGHUP', forward);
  }
}
