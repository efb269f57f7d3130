/**
 * The httpbin container: Debian's real httpbin (python3-httpbin) bound to the pod when it is installed, otherwise
 * the built-in one. The hook `appAlways503` always uses the built-in one in 503 mode, since the real one cannot be told to.
 */
import { execFile } from 'node:child_process';
import type { ContainerContext, RunningContainer } from './container.ts';
import { inProcessContainer } from './container.ts';
import { startGoHttpbin } from './go-httpbin.ts';
import { startBuiltinHttpbin } from './httpbin.ts';
import { killChild, pythonModuleArgs, spawnTracked } from './processes.ts';

const python = '/usr/bin/python3';
/** How long the real httpbin may take to print its "Running on" line before the start counts as failed. */
const realStartBudgetMs = 15_000;

let realAvailable: Promise<boolean> | undefined;

/** Whether Debian's httpbin can be imported; checked once per process. */
export function realHttpbinAvailable(): Promise<boolean> {
  realAvailable ??= new Promise((resolve) => {
    if (process.env.MESH_SIM_BUILTIN_HTTPBIN === '1') {
      resolve(false);
      return;
    }
    execFile(python, ['-c', 'import httpbin.core'], { timeout: 10_000 }, (err) => resolve(!err));
  });
  return realAvailable;
}

/**
 * go-httpbin (Istio's sample image) on the pod's address and its planned port (8080 by default, as the image's PORT):
 * the built-in stand-in with go-httpbin's shapes (go-httpbin.ts), or in 503 mode for the hook `appAlways503`.
 */
export async function startGoHttpbinContainer(ctx: ContainerContext): Promise<RunningContainer> {
  const plan = ctx.ports.find((p) => p.containerName === ctx.container.name);
  const listenPort = plan?.listenPort ?? 8080;
  const server = await startGoHttpbin({ host: ctx.podIP, port: listenPort, always503: ctx.hooks.node.appAlways503, log: (line) => ctx.log(line), clock: ctx.clock });
  ctx.log(`time=${ctx.clock().toISOString()} level=INFO msg="go-httpbin listening on http://0.0.0.0:${plan?.containerPort ?? listenPort}"`);
  return inProcessContainer(() => server.close());
}

/** Starts httpbin on the pod's address and the port the kubelet planned for it (see PortPlan). */
export async function startHttpbinContainer(ctx: ContainerContext): Promise<RunningContainer> {
  const plan = ctx.ports.find((p) => p.containerName === ctx.container.name);
  const listenPort = plan?.listenPort ?? commandPort(ctx.container.command ?? ctx.container.args) ?? 80;
  const announcedPort = plan?.containerPort ?? listenPort;
  const always503 = ctx.hooks.node.appAlways503;

  if (!always503 && (await realHttpbinAvailable())) return startReal(ctx, listenPort);

  ctx.log(gunicornLine(ctx, 'INFO', 'Starting gunicorn 19.9.0'));
  const server = await startBuiltinHttpbin({ host: ctx.podIP, port: listenPort, always503, log: (line) => ctx.log(line), clock: ctx.clock });
  ctx.log(gunicornLine(ctx, 'INFO', `Listening at: http://0.0.0.0:${announcedPort} (1)`));
  ctx.log(gunicornLine(ctx, 'INFO', 'Using worker: gevent'));
  ctx.log(gunicornLine(ctx, 'INFO', 'Booting worker with pid: 9'));
  return inProcessContainer(() => server.close());
}

function startReal(ctx: ContainerContext, port: number): Promise<RunningContainer> {
  const child = spawnTracked(python, pythonModuleArgs('httpbin.core', ['--port', String(port), '--host', ctx.podIP]));
  const exited = new Promise<number>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? (signal === 'SIGKILL' ? 137 : 143)));
    child.once('error', () => resolve(127));
  });
  return new Promise((resolve, reject) => {
    let buffered = '';
    let serving = false;
    const timer = setTimeout(() => {
      void killChild(child);
      reject(new Error(`httpbin did not start listening on ${ctx.podIP}:${port} within ${realStartBudgetMs} ms`));
    }, realStartBudgetMs);
    const onOutput = (chunk: Buffer): void => {
      const text = chunk.toString('utf8');
      for (const line of text.replace(/\n$/, '').split('\n')) {
        // Python's warning about runpy is noise that the real container does not print.
        if (!line.includes('RuntimeWarning') && line.trim()) ctx.log(line);
      }
      if (serving) return;
      buffered += text;
      if (buffered.includes('Running on')) {
        serving = true;
        clearTimeout(timer);
        resolve({ ready: true, exited, stop: () => killChild(child) });
      }
    };
    child.stdout?.on('data', onOutput);
    child.stderr?.on('data', onOutput);
    void exited.then((code) => {
      if (serving) return;
      clearTimeout(timer);
      reject(new Error(`httpbin exited with code ${code} before listening on ${ctx.podIP}:${port}`));
    });
  });
}

/** The port in `gunicorn -b 0.0.0.0:14001 ...`, for a pod that declares no containerPort. */
function commandPort(argv: string[] | undefined): number | undefined {
  const bind = argv?.find((a) => /^(0\.0\.0\.0|\[::\]|[\d.]+)?:\d+$/.test(a));
  return bind ? Number(bind.slice(bind.lastIndexOf(':') + 1)) : undefined;
}

function gunicornLine(ctx: ContainerContext, level: string, message: string): string {
  const t = ctx.clock().toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' +0000');
  return `[${t}] [1] [${level}] ${message}`;
}
