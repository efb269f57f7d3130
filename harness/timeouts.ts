/**
 * Named time budgets per operation class, the only place a harness wait gets its limit from.
 * Helpers take a budget from their caller and never invent one; every value here stays below the
 * Playwright test timeout (see playwright.config.ts) so a wait fails with its own message first.
 */
export const timeouts = {
  /** One API call (apply, patch, read), retries included. */
  apply: 15_000,
  /** A workload becoming Running and Ready (image pull, injection, scheduling). */
  rollout: 120_000,
  /** A status to converge (an ingress address, the ingress policy accepted, labels read back). */
  assert: 60_000,
  /** A traffic expectation (N consecutive responses) through the ingress. */
  http: 120_000,
  /** Deleting what the run created, namespace termination included. */
  cleanup: 120_000,
} as const;

/** Finer intervals and per-request limits used inside the classes above. */
export const intervals = {
  /** Pause after a failed HTTP attempt before the next one (OSM e2e uses 1 s). */
  httpRetry: 500,
  /** One HTTP request through the ingress (headers and body). */
  httpRequest: 5_000,
  /** Safety re-evaluation of a watch-driven wait, in case an event is missed. */
  watchResync: 2_000,
  /** Pause before re-establishing a failed watch. */
  watchRetry: 500,
  /** Starting the simulated cluster process until it prints its ready line. */
  simulatorStart: 90_000,
  /** Grace given to a child process after SIGTERM before SIGKILL. */
  processStop: 10_000,
} as const;

/** The operation classes a config file or env var may override. */
export type TimeoutClass = keyof typeof timeouts;
/** The operation classes, for overrides by env var or config file. */
export const timeoutClasses = Object.keys(timeouts) as TimeoutClass[];

/** Budgets after overrides; what fixtures pass to helpers. */
export type Timeouts = Record<TimeoutClass, number>;

/** Formats a budget for messages: `60s`, `1.5s`, `250ms`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  return Number.isInteger(s) ? `${s}s` : `${s.toFixed(1)}s`;
}
