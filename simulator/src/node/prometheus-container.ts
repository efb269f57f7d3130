/**
 * The osm-prometheus container: the real Prometheus server (Debian's `prometheus`, /usr/bin/prometheus) bound to the
 * pod's address, with OSM's scrape configuration (prometheus-config.ts). Debian builds it without Kubernetes service
 * discovery, so the node serves the pod role's targets over HTTP SD (prometheus-pod-discovery.ts). Its TSDB lives
 * in a temporary directory removed with the container; its output is the container log. Without the binary (or
 * with MESH_SIM_BUILTIN_PROMETHEUS=1) the built-in stand-in runs instead (prometheus-standin.ts).
 */
import { access, constants, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContainerContext, RunningContainer } from './container.ts';
import { killChild, spawnTracked } from './processes.ts';
import { renderOsmPrometheusConfig } from './prometheus-config.ts';
import type { PrometheusConfigOptions } from './prometheus-config.ts';
import { startPodDiscoveryEndpoint } from './prometheus-pod-discovery.ts';
import { osmRelabeling, startPrometheusStandin } from './prometheus-standin.ts';
import type { StandinRelabeling } from './prometheus-standin.ts';

export const prometheusBinary = '/usr/bin/prometheus';
const setpriv = '/usr/bin/setpriv';
/** How long the real server may take to log "Server is ready to receive web requests." */
const startBudgetMs = 20_000;

/** Whether the real Prometheus server can be run here. */
export async function realPrometheusAvailable(): Promise<boolean> {
  if (process.env.MESH_SIM_BUILTIN_PROMETHEUS === '1') return false;
  return access(prometheusBinary, constants.X_OK).then(() => true, () => false);
}

/** A Prometheus deployment's scrape configuration: rendered for the real server, and its effect for the stand-in. */
export interface PrometheusScrapeSetup {
  render(opts: PrometheusConfigOptions): string;
  relabeling: StandinRelabeling;
}

/** OSM's osm-prometheus (osm.md §6a). */
export const osmScrapeSetup: PrometheusScrapeSetup = { render: renderOsmPrometheusConfig, relabeling: osmRelabeling };

/** Starts Prometheus on podIP:<containerPort> (7070 for osm-prometheus) with OSM's configuration. */
export function startPrometheusContainer(ctx: ContainerContext): Promise<RunningContainer> {
  return startPrometheusContainerWith(ctx, osmScrapeSetup);
}

/** Starts Prometheus on podIP:<containerPort> with a given scrape configuration (the Istio addon's, for instance). */
export async function startPrometheusContainerWith(ctx: ContainerContext, setup: PrometheusScrapeSetup): Promise<RunningContainer> {
  const plan = ctx.ports.find((p) => p.containerName === ctx.container.name);
  const port = plan?.listenPort ?? listenPortFromArgs(ctx.container.args) ?? 9090;
  const intervalMs = ctx.timings.prometheusScrapeIntervalMs;
  if (!(await realPrometheusAvailable())) return startPrometheusStandin(ctx, port, intervalMs, setup.relabeling);
  return startReal(ctx, port, Math.max(1, Math.round(intervalMs / 1000)), setup);
}

async function startReal(ctx: ContainerContext, port: number, intervalSeconds: number, setup: PrometheusScrapeSetup): Promise<RunningContainer> {
  const dir = await mkdtemp(join(tmpdir(), 'mesh-sim-prometheus-'));
  const discovery = await startPodDiscoveryEndpoint(ctx.store, ctx.podIP, ctx.network);
  const configFile = join(dir, 'prometheus.yml');
  await writeFile(configFile, setup.render({ scrapeIntervalSeconds: intervalSeconds, httpDiscovery: { url: discovery.url, refreshSeconds: intervalSeconds } }));
  const args = [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=${ctx.podIP}:${port}`,
    '--storage.tsdb.retention.time=15d',
    '--log.level=info',
  ];
  // setpriv ties the server's life to ours (PR_SET_PDEATHSIG), as processes.ts does for Python children.
  const hasSetpriv = await access(setpriv, constants.X_OK).then(() => true, () => false);
  const child = hasSetpriv
    ? spawnTracked(setpriv, ['--pdeathsig', 'SIGKILL', '--', prometheusBinary, ...args])
    : spawnTracked(prometheusBinary, args);
  const exited = new Promise<number>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? (signal === 'SIGKILL' ? 137 : 143)));
    child.once('error', () => resolve(127));
  });
  const cleanup = async (): Promise<void> => {
    await discovery.close();
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  };
  void exited.then(cleanup);

  return new Promise((resolve, reject) => {
    let ready = false;
    let pending = '';
    const timer = setTimeout(() => {
      void killChild(child);
      reject(new Error(`prometheus did not report ready on ${ctx.podIP}:${port} within ${startBudgetMs} ms`));
    }, startBudgetMs);
    const onOutput = (chunk: Buffer): void => {
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (line.trim()) ctx.log(line);
        if (!ready && line.includes('Server is ready to receive web requests.')) {
          ready = true;
          clearTimeout(timer);
          resolve({ ready: true, exited, stop: () => killChild(child, 2_000) });
        }
      }
    };
    child.stdout?.on('data', onOutput);
    child.stderr?.on('data', onOutput);
    void exited.then((code) => {
      if (pending.trim()) ctx.log(pending);
      pending = '';
      if (ready) return;
      clearTimeout(timer);
      reject(new Error(`prometheus exited with code ${code} before it was ready on ${ctx.podIP}:${port}`));
    });
  });
}

function listenPortFromArgs(args: string[] | undefined): number | undefined {
  const flag = args?.find((a) => a.startsWith('--web.listen-address='));
  const m = flag ? /:(\d+)$/.exec(flag) : null;
  return m ? Number(m[1]) : undefined;
}
