/**
 * `--results-dir DIR`: the results an engine collects, in one directory, whatever way the run ended: junit.xml, the
 * ConformanceReport (YAML and JSON), the run summary and the diagnostics of failed checks. When DIR is Sonobuoy's
 * results directory (`$SONOBUOY_RESULTS_DIR`, else `/tmp/sonobuoy/results`), it also follows Sonobuoy's plugin
 * contract: the directory is archived as `results.tar.gz` and its path written to `DIR/done` (the file Sonobuoy's
 * worker waits for; without it the aggregator waits until its timeout, so it is written on every exit).
 */
import { cpSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { runPaths } from '../config/run-config.ts';
import { writeTarGz } from './tarball.ts';

/** Sonobuoy's default results directory for plugins (the worker sets `SONOBUOY_RESULTS_DIR` to it). */
export const sonobuoyDefaultResultsDir = '/tmp/sonobuoy/results';
export const sonobuoyTarball = 'results.tar.gz';
export const sonobuoyDoneFile = 'done';

/** Whether DIR is the Sonobuoy results directory of this process. */
export function isSonobuoyResultsDir(dir: string, env: NodeJS.ProcessEnv): boolean {
  return resolve(dir) === resolve(env.SONOBUOY_RESULTS_DIR?.trim() || sonobuoyDefaultResultsDir);
}

/** What the run left, as the CLI knows it. */
export interface RunOutcome {
  reportDir: string;
  runId: string | undefined;
  /** When the run started (ms): files older than that belong to an earlier run in the same report dir. */
  startedAt: number;
  exitCode: number;
  /** Why the suite did not run or did not finish (bad input, pre-flight, a crash), one line. */
  error: string | undefined;
}

const xmlEscape = (s: string): string => s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c] ?? c);

/** A JUnit file for a run that never reached the checks: one failed test case naming why, so JUnit readers see it. */
export function couldNotRunJunit(reason: string, exitCode: number): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<testsuites name="mesh-conformance" tests="1" failures="1" errors="0" skipped="0">',
    '  <testsuite name="mesh-conformance" tests="1" failures="1" errors="0" skipped="0">',
    `    <testcase classname="mesh-conformance" name="run: the conformance checks could run">`,
    `      <failure message="${xmlEscape(reason)}" type="exit ${exitCode}">${xmlEscape(reason)}</failure>`,
    '    </testcase>',
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

/**
 * Copies this run's results into DIR and, for Sonobuoy's directory, writes the archive and the done file. Returns what
 * DIR holds and the done file's path (if any). Files of an earlier run in the same report dir are not copied.
 */
export function exportResults(dir: string, outcome: RunOutcome, env: NodeJS.ProcessEnv): { files: string[]; done: string | undefined } {
  const target = resolve(dir);
  mkdirSync(target, { recursive: true });
  const paths = runPaths(outcome.reportDir, outcome.runId ?? 'none');
  const fresh = (p: string): boolean => existsSync(p) && statSync(p).mtimeMs >= outcome.startedAt - 1000;
  const files: string[] = [];
  for (const p of [paths.junit, paths.conformanceReport, paths.conformanceReportJson, paths.summary]) {
    if (!fresh(p)) continue;
    cpSync(p, join(target, basename(p)));
    files.push(basename(p));
  }
  if (fresh(paths.diagnostics)) {
    cpSync(paths.diagnostics, join(target, 'diagnostics'), { recursive: true });
    files.push('diagnostics/');
  }
  if (!files.includes('junit.xml') && outcome.exitCode !== 0) {
    writeFileSync(join(target, 'junit.xml'), couldNotRunJunit(outcome.error ?? `the run ended with exit code ${outcome.exitCode} before the checks reported`, outcome.exitCode));
    files.push('junit.xml');
  }
  if (outcome.error && !files.includes('summary.txt')) {
    writeFileSync(join(target, 'summary.txt'), `mesh-conformance: ${outcome.error}\n`);
    files.push('summary.txt');
  }
  if (!isSonobuoyResultsDir(target, env)) return { files, done: undefined };
  const tarball = join(target, sonobuoyTarball);
  writeTarGz(target, tarball, (rel) => rel === sonobuoyTarball || rel === sonobuoyDoneFile);
  const done = join(target, sonobuoyDoneFile);
  // Sonobuoy's plugin helper writes the path without a newline; the worker reads the file's content as the path.
  writeFileSync(done, tarball);
  return { files: [...files, sonobuoyTarball, sonobuoyDoneFile], done };
}
