/**
 * `run --results-dir DIR`: runs the suite, then, however it ended (passed, failed, bad input, pre-flight, a crash,
 * Ctrl-C), copies the results into DIR for an engine, with Sonobuoy's archive and done file when DIR is Sonobuoy's
 * results directory (harness/report/results-dir.ts). The exit code is the run's.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ConformanceConfig } from '../harness/config/resolve-config.ts';
import { envNames } from '../harness/config/resolve-config.ts';
import { runPaths } from '../harness/config/run-config.ts';
import { createIngressProfile } from '../harness/ingress/index.ts';
import { createMeshProfile, meshFactory } from '../harness/mesh/index.ts';
import { couldNotRunReport, writeConformanceReport } from '../harness/report/conformance-report.ts';
import { exportResults } from '../harness/report/results-dir.ts';
import { toolVersion } from '../harness/version.ts';
import { errorText } from '../harness/text.ts';
import { BadInputError, exitCodes } from './exit-codes.ts';
import type { RunInvocation } from './program.ts';
import { runConformance } from './run-command.ts';

/**
 * Every run leaves a ConformanceReport: when the checks never reported (pre-flight, an unreachable cluster, a crash
 * before the runner), one with `run.result: error` and the reason, from the configuration alone.
 */
function writeCouldNotRunReport(config: ConformanceConfig, startedAt: number, reason: string): void {
  if (!config.runId) return;
  const paths = runPaths(config.reportDir, config.runId);
  if (existsSync(paths.conformanceReportJson) && statSync(paths.conformanceReportJson).mtimeMs >= startedAt - 1000) return;
  try {
    const mesh = createMeshProfile(config);
    const ingress = createIngressProfile(config);
    writeConformanceReport({ yaml: paths.conformanceReport, json: paths.conformanceReportJson }, couldNotRunReport({
      runId: config.runId, mode: config.inCluster ? 'in-cluster' : config.target, reason, durationSeconds: Math.round((Date.now() - startedAt) / 100) / 10, toolVersion,
      mesh: { name: config.mesh, title: mesh.title, namespace: config.meshNamespace, revision: config.meshRevision, support: meshFactory(config.mesh).support?.(config.flavor) },
      cluster: { context: config.context, flavor: config.flavor },
      profile: { mesh: config.mesh, ingress: config.ingress, target: config.target },
      supported: [...mesh.features, ...(ingress?.features ?? [])],
    }));
  } catch {
    // Best effort: the run already ends with its own one-line error (an unwritable report dir is that error).
  }
}

/** Runs `run` and exports its results when a results directory is configured (flag, variable or config file). */
export async function runWithResults(inv: RunInvocation, out: { write: (s: string) => void } = process.stdout): Promise<number> {
  const startedAt = Date.now();
  let config: ConformanceConfig | undefined;
  let code: number = exitCodes.checkFailed;
  let error: string | undefined;
  try {
    code = await runConformance(inv, out, (c) => { config = c; });
    return code;
  } catch (err) {
    code = err instanceof BadInputError ? exitCodes.badInput : exitCodes.checkFailed;
    error = errorText(err);
    throw err;
  } finally {
    if (config && code !== exitCodes.passed) writeCouldNotRunReport(config, startedAt, error ?? (code === exitCodes.interrupted ? 'interrupted before the checks ran' : `the run ended with exit code ${code} before the checks reported`));
    // Before the configuration resolved (a bad value), the flag or variable still says where results go.
    const dir = config?.resultsDir ?? (inv.flags.resultsDir as string | undefined) ?? process.env[envNames.resultsDir];
    if (dir) {
      try {
        const reportDir = config?.reportDir ?? resolve(process.cwd(), (inv.flags.reportDir as string | undefined) ?? process.env[envNames.reportDir] ?? 'reports');
        const { files, done } = exportResults(dir, { reportDir, runId: config?.runId, startedAt, exitCode: code, error }, process.env);
        out.write(`mesh-conformance: results in ${resolve(dir)} (${files.join(', ')})${done ? `; Sonobuoy done file ${done}` : ''}\n`);
      } catch (err) {
        process.stderr.write(`mesh-conformance: could not write the results to ${dir}: ${errorText(err)}\n`);
      }
    }
  }
}
