import { appendFileSync } from 'node:fs';

/** Set to a file path to have every wait append one JSONL line when it ends (read by `npm run bench`). */
export const timingLogEnv = 'MESH_CONFORMANCE_TIMING_LOG';

/** Epoch milliseconds with sub-millisecond precision, comparable with the simulator's condition log. */
export const preciseNow = (): number => performance.timeOrigin + performance.now();

/** One finished wait: what was awaited, when it began and ended, and (consecutive waits) the first success. */
export interface WaitTiming {
  kind: 'wait' | 'consecutive';
  description: string;
  startedAt: number;
  endedAt: number;
  outcome: 'done' | 'failed' | 'timeout' | 'aborted';
  /** Consecutive waits: when the first successful attempt ended (the moment the condition was first seen). */
  firstOkAt?: number;
  attempts?: number;
}

/**
 * Appends `timing` to the file named by MESH_CONFORMANCE_TIMING_LOG (no-op when unset). One short line per
 * wait, written synchronously with O_APPEND, so parallel workers can share the file.
 */
export function recordWaitTiming(timing: WaitTiming): void {
  const file = process.env[timingLogEnv];
  if (!file) return;
  try {
    appendFileSync(file, `${JSON.stringify({ ...timing, pid: process.pid })}\n`);
  } catch {
    // A benchmark aid: never let it fail a check.
  }
}
