import { formatDuration } from '../timeouts.ts';
import { pauseBetweenAttempts } from './delay.ts';
import { recordWaitTiming, preciseNow } from './timing-log.ts';
import { WaitAbortedError, WaitFailedError, WaitTimeoutError } from './wait-for.ts';

/** One attempt's verdict and what it saw, e.g. `GET /get → 502 (12ms)`. */
export interface AttemptResult {
  ok: boolean;
  observed: string;
  /**
   * Set when the answer cannot change by waiting (the target refused for a reason only a configuration change can
   * lift): the wait fails at once with this reason instead of spending its budget.
   */
  terminal?: string;
}

/** Options of `requireConsecutive`; budget and pacing come from the caller. */
export interface ConsecutiveOptions {
  /** Completes "waiting for …": `GET http://127.0.0.1:8080/get to return 200`. */
  description: string;
  times: number;
  timeoutMs: number;
  /** Pause after a failed attempt; successes follow each other at once (like `curl` N times). */
  retryIntervalMs: number;
  signal?: AbortSignal;
  /** One try; it receives a signal that aborts at the deadline. A throw counts as a failed attempt. */
  attempt: (signal: AbortSignal) => Promise<AttemptResult>;
}

/** How a consecutive-success wait ended. */
export interface ConsecutiveResult {
  attempts: number;
  observed: string;
  elapsedMs: number;
}

/**
 * Requires `times` successful attempts in a row within the budget, resetting the count on any failure
 * (OSM e2e's `WaitForRepeatedSuccess`). Use it for traffic expectations that must be stable, not lucky.
 */
export async function requireConsecutive(opts: ConsecutiveOptions): Promise<ConsecutiveResult> {
  const started = Date.now();
  // A referenced timer (AbortSignal.timeout's is not): the deadline must fire even if nothing else is pending.
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, deadline.signal]) : deadline.signal;
  const progress: StreakProgress = { startedAt: preciseNow(), attempts: 0 };
  let outcome: 'done' | 'timeout' | 'aborted' | 'failed' = 'timeout';
  try {
    const result = await attemptUntilStreak(opts, signal, started, progress);
    outcome = 'done';
    return result;
  } catch (err) {
    if (err instanceof WaitAbortedError) outcome = 'aborted';
    if (err instanceof WaitFailedError) outcome = 'failed';
    throw err;
  } finally {
    clearTimeout(timer);
    recordWaitTiming({ kind: 'consecutive', description: `${opts.description} ${opts.times} times in a row`, startedAt: progress.startedAt, endedAt: preciseNow(), outcome, attempts: progress.attempts, ...(progress.streakFrom !== undefined ? { firstOkAt: progress.streakFrom } : {}) });
  }
}

/** For the timing log: when the last streak of successes began. */
interface StreakProgress {
  startedAt: number;
  attempts: number;
  streakFrom?: number;
}

async function attemptUntilStreak(opts: ConsecutiveOptions, signal: AbortSignal, started: number, progress: StreakProgress): Promise<ConsecutiveResult> {
  let streak = 0;
  let best = 0;
  let attempts = 0;
  let observed = 'no attempt made yet';
  const what = `${opts.description} ${opts.times} times in a row`;
  for (;;) {
    if (opts.signal?.aborted) {
      throw new WaitAbortedError(
        `Aborted after ${formatDuration(Date.now() - started)} waiting for ${what}; ${streak}/${opts.times} so far; last seen: ${observed}`,
        what, observed);
    }
    if (signal.aborted) {
      throw new WaitTimeoutError(
        `Timed out after ${formatDuration(opts.timeoutMs)} waiting for ${what}; best streak ${best}/${opts.times} in ${attempts} attempts; last seen: ${observed}`,
        what, observed);
    }
    attempts += 1;
    let result: AttemptResult;
    try {
      result = await opts.attempt(signal);
    } catch (err) {
      // An attempt cut by the deadline (or the caller) says nothing about the target: keep what the last complete one saw.
      if (signal.aborted && attempts > 1) {
        attempts -= 1;
        continue;
      }
      result = { ok: false, observed: `error: ${err instanceof Error ? err.message : String(err)}` };
    }
    observed = result.observed;
    progress.attempts = attempts;
    if (result.ok) {
      if (streak === 0) progress.streakFrom = preciseNow();
      streak += 1;
      best = Math.max(best, streak);
      if (streak >= opts.times) return { attempts, observed, elapsedMs: Date.now() - started };
    } else {
      if (result.terminal !== undefined) {
        throw new WaitFailedError(
          `Gave up after ${formatDuration(Date.now() - started)} waiting for ${what}: ${result.terminal}; last seen: ${observed}`,
          what, observed);
      }
      streak = 0;
      delete progress.streakFrom;
      await pauseBetweenAttempts(opts.retryIntervalMs, signal);
    }
  }
}
