/**
 * Runs the CLI's `main` in this process, as a unit test needs it: with its own environment and working directory,
 * and its output collected. Only for commands that end on their own (pre-flight failures, config, cleanup). Calls
 * must not overlap: the environment and the working directory are the process's.
 */
import { main } from '../main.ts';

export interface MainResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runMain(args: string[], opts: { env?: Record<string, string | undefined>; cwd?: string } = {}): Promise<MainResult> {
  const saved = { env: { ...process.env }, cwd: process.cwd() };
  let stdout = '';
  let stderr = '';
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  if (opts.cwd) process.chdir(opts.cwd);
  try {
    const code = await main(args, { stdout: { write: (s) => { stdout += s; } }, stderr: { write: (s) => { stderr += s; } } });
    return { code, stdout, stderr };
  } finally {
    process.chdir(saved.cwd);
    for (const k of Object.keys(process.env)) if (!(k in saved.env)) delete process.env[k];
    Object.assign(process.env, saved.env);
  }
}
