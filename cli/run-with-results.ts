/**
 * `run --results-dir DIR`: runs the suite, then, however it ended (passed, failed, bad input, pre-flight, a crash,
 * Ctrl-C), copies the results into DIR for an engine, with Sonobuoy's archive and done file when DIR is Sonobuoy's
 * results directory (harness/report/results-dir.ts). The exit code is the run's.
 */
import { resolve } from 'node:path';
import type { ConformanceConfig } from '../harness/config/resolve-config.ts';
import { envNames } from '../harness/config/resolve-config.ts';
import { exportResults } from '../harness/report/results-dir.ts';
import { errorText } from '../harness/text.ts';
import { BadInputError, exitCodes } from './exit-codes.ts';
import type { RunInvocation } from './program.ts';
import { runConformance } from './run-command.ts';

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
