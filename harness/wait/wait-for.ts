import { formatDuration } from '../timeouts.ts';
import { preciseNow, recordWaitTiming } from './timing-log.ts';

/** What a condition saw: whether it holds, the state in words, and an optional reason to stop at once. */
export interface Observation<T = unknown> {
  done: boolean;
  /** The last observed state in words, quoted in timeout messages: `phase=Pending, ready=0/2`. */
  observed: string;
  /** Set when waiting longer cannot help (ImagePullBackOff, a policy reported as `error`): fail now with this reason. */
  failure?: string;
  value?: T;
}

/** A named state check over one snapshot, in the style of e2e-framework's `conditions.go`. */
export type Condition<O, T = O> = (obj: O | undefined) => Observation<T>;

/** Options of `waitFor`; the budget always comes from the caller (a value from `timeouts.ts`). */
export interface WaitOptions<T> {
  /** What is awaited, completing "waiting for …": `Pod ns/httpbin-x to be Running with 2/2 ready`. */
  description: string | (() => string);
  timeoutMs: number;
  /** The limit a timeout message names, when part of it was spent before the wait began (default `timeoutMs`). */
  limitMs?: number;
  signal?: AbortSignal;
  /** Evaluates the current state; a throw is recorded as the observed state and the wait goes on. */
  probe: () => Observation<T> | Promise<Observation<T>>;
  /** Subscribes to change notifications (a watch); the probe runs again on each. Returns an unsubscribe. */
  changes?: (notify: () => void) => () => void;
  /** Re-evaluation interval: the poll period without `changes`, a safety resync with them. */
  intervalMs: number;
  /**
   * When the next attempt is worth making, if the caller knows better than the fixed interval (the next scrape of a
   * metrics target): milliseconds from now, or undefined for `intervalMs`.
   */
  nextAttemptInMs?: () => number | undefined;
}

/** The state a finished wait ended on. */
export interface WaitResult<T> {
  value: T | undefined;
  observed: string;
  elapsedMs: number;
}

/** Base of wait failures; carries the last observed state for diagnostics. */
export class WaitError extends Error {
  constructor(message: string, readonly description: string, readonly lastObserved: string) {
    super(message);
  }
}

/** The budget ran out: `Timed out after 60s waiting for X; last seen: Y`. */
export class WaitTimeoutError extends WaitError {
  override readonly name = 'WaitTimeoutError';
}

/** The condition reported a terminal failure: waiting longer could not help. */
export class WaitFailedError extends WaitError {
  override readonly name = 'WaitFailedError';
}

/** The caller's signal aborted the wait (test ended, run interrupted). */
export class WaitAbortedError extends WaitError {
  override readonly name = 'WaitAbortedError';
}

function describe(d: string | (() => string)): string {
  return typeof d === 'string' ? d : d();
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The probe's observation, or undefined when the deadline (or the signal) comes first. */
async function beforeDeadline<T>(probe: Observation<T> | Promise<Observation<T>>, deadline: number, signal: AbortSignal | undefined): Promise<Observation<T> | undefined> {
  if (!(probe instanceof Promise)) return probe;
  probe.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const cut = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), Math.max(0, deadline - Date.now()));
    onAbort = () => resolve(undefined);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([probe, cut]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * Waits until `probe` reports done, fails at once on a reported failure, and times out with a message
 * naming what was awaited, the limit and the last state seen. Use it for every setup readiness wait.
 */
export async function waitFor<T>(opts: WaitOptions<T>): Promise<WaitResult<T>> {
  const startedAt = preciseNow();
  let outcome: 'done' | 'failed' | 'timeout' | 'aborted' = 'aborted';
  try {
    const result = await waitUntil(opts);
    outcome = 'done';
    return result;
  } catch (err) {
    outcome = err instanceof WaitFailedError ? 'failed' : err instanceof WaitTimeoutError ? 'timeout' : 'aborted';
    throw err;
  } finally {
    recordWaitTiming({ kind: 'wait', description: describe(opts.description), startedAt, endedAt: preciseNow(), outcome });
  }
}

async function waitUntil<T>(opts: WaitOptions<T>): Promise<WaitResult<T>> {
  const started = Date.now();
  const deadline = started + opts.timeoutMs;
  let observed = 'nothing observed yet';
  let wake: (() => void) | undefined;
  let dirty = true;
  const notify = (): void => {
    dirty = true;
    wake?.();
  };
  const unsubscribe = opts.changes?.(notify);
  const onAbort = (): void => wake?.();
  opts.signal?.addEventListener('abort', onAbort);
  try {
    for (;;) {
      if (opts.signal?.aborted) {
        throw new WaitAbortedError(
          `Aborted after ${formatDuration(Date.now() - started)} waiting for ${describe(opts.description)}; last seen: ${observed}`,
          describe(opts.description), observed);
      }
      dirty = false;
      let result: Observation<T> | undefined;
      try {
        // A probe stuck in a call must not hold the wait past its deadline: the budget is wall-clock true.
        result = await beforeDeadline(opts.probe(), deadline, opts.signal);
        if (result) observed = result.observed;
        else if (!opts.signal?.aborted) observed = `${observed} (the last probe was still running at the deadline)`;
      } catch (err) {
        observed = `error: ${errorText(err)}`;
      }
      if (result?.done) return { value: result.value, observed, elapsedMs: Date.now() - started };
      if (result?.failure !== undefined) {
        throw new WaitFailedError(
          `Gave up after ${formatDuration(Date.now() - started)} waiting for ${describe(opts.description)}: ${result.failure}; last seen: ${observed}`,
          describe(opts.description), observed);
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw new WaitTimeoutError(
          `Timed out after ${formatDuration(opts.limitMs ?? opts.timeoutMs)} waiting for ${describe(opts.description)}; last seen: ${observed}`,
          describe(opts.description), observed);
      }
      if (dirty) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(opts.nextAttemptInMs?.() ?? opts.intervalMs, remaining));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  } finally {
    unsubscribe?.();
    opts.signal?.removeEventListener('abort', onAbort);
  }
}
