import type { ChildProcess } from 'node:child_process';
import { intervals } from '../harness/timeouts.ts';

/** Resolves with how a child ended (code or signal); never rejects. */
export function childExit(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** Sends SIGTERM to the child, then SIGKILL to its process group if it has not exited within the bound. */
export async function stopChild(child: ChildProcess, graceMs: number = intervals.processStop): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const exited = childExit(child);
  if (child.exitCode !== null || child.signalCode !== null) return exited;
  child.kill('SIGTERM');
  const timer = setTimeout(() => {
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
  }, graceMs);
  try {
    return await exited;
  } finally {
    clearTimeout(timer);
  }
}
