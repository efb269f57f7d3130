/** The CLI's exit codes: the contract CI scripts rely on. */
export const exitCodes = {
  passed: 0,
  checkFailed: 1,
  badInput: 2,
  /** The cluster (or the metrics backend) stayed unavailable through every retry: try again later. */
  infrastructure: 3,
  interrupted: 130,
} as const;
export type ExitCode = (typeof exitCodes)[keyof typeof exitCodes];

/** Bad input or configuration, found before anything ran: one line on stderr saying what to do, exit 2. */
export class BadInputError extends Error {
  override readonly name = 'BadInputError';
}

/**
 * The cluster stayed unavailable (throttled, failing or resetting through every retry within the budget) before
 * the run could start: nothing for the user to change, so not bad input; one line (or the pre-flight report), exit 3.
 */
export class InfrastructureError extends Error {
  override readonly name = 'InfrastructureError';
}

/**
 * Maps how `playwright test` ended to our code: 0 stays 0, 130 or a SIGINT/SIGTERM death is "interrupted",
 * anything else (failed, timed out, no tests found, worker crash) is a failed check.
 */
export function mapPlaywrightExit(code: number | null, signal: NodeJS.Signals | null): ExitCode {
  if (signal === 'SIGINT' || signal === 'SIGTERM' || code === 130) return exitCodes.interrupted;
  if (code === 0) return exitCodes.passed;
  return exitCodes.checkFailed;
}
