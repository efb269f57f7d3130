import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Pauses between attempts of a bounded retry loop (never as a wait on its own); resolves early, without
 * throwing, when `signal` aborts so the caller's loop can report its own last state.
 */
export async function pauseBetweenAttempts(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return;
  try {
    await sleep(ms, undefined, { signal });
  } catch {
    // aborted: the caller checks its signal and deadline
  }
}
