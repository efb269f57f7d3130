/**
 * The test runner starts before the run is ready and waits for a go. `mesh-conformance run` spawns Playwright as soon
 * as the input is valid, so Node, Playwright and its transform load while the simulated cluster boots or pre-flight
 * runs (issue 17: start-up was most of the harness's overhead). The runner's configuration (fixtures/config.ts) then
 * waits, before it reads anything of the run, for one line on its stdin: the environment the runner must run with
 * (the run config file's name, the kubeconfig as the CLI read it, credentials), as JSON. Workers are forked after
 * the go, with that environment. When stdin ends first (the CLI gave up: bad cluster, pre-flight failed, Ctrl-C, or
 * it died), the runner exits at once, having started nothing.
 */
import type { Readable } from 'node:stream';

/** Set by the CLI in an early-started runner's environment: `stdin` means "wait for the go line on your stdin". */
export const runnerGoEnv = 'MESH_CONFORMANCE_RUNNER_GO';

/**
 * The longest a runner waits for its go: more than any simulator start or pre-flight takes within their own budgets.
 * The CLI ends the runner's stdin when it gives up, so this only bounds a CLI that hangs.
 */
export const runnerGoLimitMs = 30 * 60_000;

/** What the CLI sends: how the runner's environment for the run differs from the one it was started with. */
export interface RunnerGo {
  set: Record<string, string>;
  unset: string[];
}

/** The go line that turns the environment the runner was started with (`started`) into the run's (`run`). */
export function goLine(started: NodeJS.ProcessEnv, run: NodeJS.ProcessEnv): string {
  const go: RunnerGo = {
    set: Object.fromEntries(Object.entries(run).filter((e): e is [string, string] => e[1] !== undefined && started[e[0]] !== e[1])),
    unset: Object.keys(started).filter((k) => started[k] !== undefined && run[k] === undefined),
  };
  return `${JSON.stringify(go)}\n`;
}

/** Parses a go line; throws when it is not one. */
export function parseGo(line: string): RunnerGo {
  const go = JSON.parse(line) as Partial<RunnerGo> | null;
  if (!go || typeof go.set !== 'object' || go.set === null || Object.values(go.set).some((v) => typeof v !== 'string')
    || !Array.isArray(go.unset) || go.unset.some((k) => typeof k !== 'string')) throw new Error('not a go line');
  return go as RunnerGo;
}

/** Applies the go to `target` (the runner's environment, which the workers forked after it inherit). */
export function adoptGoEnv(go: RunnerGo, target: NodeJS.ProcessEnv): void {
  for (const key of go.unset) delete target[key];
  Object.assign(target, go.set);
}

/**
 * Resolves with the go read from `input` (its first line), or with `undefined` when the input ends or fails first;
 * rejects after `limitMs` or on a line that is not a go. Stops reading once settled.
 */
export function readGo(input: Readable, limitMs: number = runnerGoLimitMs): Promise<RunnerGo | undefined> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const settle = (finish: () => void): void => {
      clearTimeout(timer);
      input.off('data', onData);
      input.off('end', onEnd);
      input.off('close', onEnd);
      input.off('error', onEnd);
      input.pause();
      finish();
    };
    const onData = (chunk: Buffer | string): void => {
      buffered += chunk.toString();
      const nl = buffered.indexOf('\n');
      if (nl < 0) return;
      const line = buffered.slice(0, nl);
      settle(() => {
        try {
          resolve(parseGo(line));
        } catch {
          reject(new Error(`the test runner expected the run's go on its stdin (${runnerGoEnv}=stdin) and read something else: start runs with \`mesh-conformance run\``));
        }
      });
    };
    const onEnd = (): void => settle(() => resolve(undefined));
    const timer = setTimeout(() => settle(() => reject(new Error(`the test runner waited ${limitMs / 60_000} min for the run's go on its stdin (${runnerGoEnv}=stdin) and got none: the CLI that started it hangs`))), limitMs);
    input.on('data', onData);
    input.on('end', onEnd);
    input.on('close', onEnd);
    input.on('error', onEnd);
    input.resume();
  });
}

let awaited = false;

/**
 * In an early-started runner (the variable set, not a worker): waits for the go and adopts its environment, or exits
 * when the CLI gave up first. Meanwhile `preload` starts loading what the runner will load after the go anyway (it is
 * not awaited; its failures surface when the same modules are imported for real). A no-op anywhere else, and after
 * the first call.
 */
export async function awaitRunnerGo(preload?: () => Promise<unknown>, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (awaited || env[runnerGoEnv] !== 'stdin' || typeof process.send === 'function') return;
  awaited = true;
  preload?.().catch(() => undefined);
  const go = await readGo(process.stdin);
  // The CLI stopped before the run began: nothing was created, nothing to report.
  if (!go) process.exit(0);
  adoptGoEnv(go, env);
}
