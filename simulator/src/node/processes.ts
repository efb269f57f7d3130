/**
 * Child processes of the simulated container runtime. They must never outlive the simulator: each child asks the
 * kernel to kill it when its parent dies (PR_SET_PDEATHSIG, for a SIGKILLed simulator), and every child still
 * tracked is killed on stop and on process exit.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

/** Python prologue that ties the interpreter's life to ours (PR_SET_PDEATHSIG = 1) before running the module. */
export function pythonModuleArgs(module: string, args: string[]): string[] {
  const prologue = [
    'import ctypes, runpy, signal, sys',
    'try:',
    '    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)',
    'except Exception:',
    '    pass',
    `sys.argv = [${JSON.stringify(module)}] + sys.argv[1:]`,
    `runpy.run_module(${JSON.stringify(module)}, run_name="__main__", alter_sys=True)`,
  ].join('\n');
  return ['-u', '-c', prologue, ...args];
}

/** Spawns a tracked child: killed by killChild(), by process exit, and by the kernel if we die. */
export function spawnTracked(command: string, args: string[], env: NodeJS.ProcessEnv = process.env, cwd?: string): ChildProcess {
  installExitHook();
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env, ...(cwd ? { cwd } : {}) });
  live.add(child);
  child.once('exit', () => live.delete(child));
  child.once('error', () => live.delete(child));
  return child;
}

/** Stops a child: SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. */
export function killChild(child: ChildProcess, graceMs = 1_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** How many tracked children are alive (tests assert it drops to zero). */
export function liveChildCount(): number {
  return live.size;
}
