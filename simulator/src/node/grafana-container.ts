/**
 * A Grafana container (OSM's osm-grafana, grafana/grafana:8.2.2): the unauthenticated `GET /api/health` Grafana
 * answers on its port (3000), which is what `check` and the chart's probes read. Everything else answers 401 as
 * Grafana does without a session (the login, dashboards and the data-source proxy are not emulated: simulator/README.md).
 */
import http from 'node:http';
import { inProcessContainer } from './container.ts';
import type { ContainerContext, RunningContainer } from './container.ts';
import { listenOn } from './network.ts';

/** The version the image tag names (OSM v1.2's values.yaml: grafana/grafana:8.2.2). */
function versionOf(image: string): string {
  return /:v?(\d+\.\d+\.\d+)/.exec(image)?.[1] ?? '8.2.2';
}

export async function startGrafanaContainer(ctx: ContainerContext): Promise<RunningContainer> {
  const plan = ctx.ports.find((p) => p.containerName === ctx.container.name);
  const port = plan?.listenPort ?? 3000;
  const version = versionOf(ctx.container.image ?? '');
  const log = (msg: string, extra = ''): void => ctx.log(`t=${ctx.clock().toISOString()} lvl=info msg="${msg}" logger=server${extra}`);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const send = (code: number, body: unknown): void => {
      const text = JSON.stringify(body);
      res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    if (req.method === 'GET' && url.pathname === '/api/health') {
      send(200, { commit: 'mesh-conformance-sim', database: 'ok', version });
      return;
    }
    send(401, { message: 'Unauthorized' });
  });
  await listenOn(server, ctx.podIP, port);
  log('Starting Grafana', ` version=${version}`);
  log('HTTP Server Listen', ` address=[::]:${plan?.containerPort ?? port} protocol=http`);
  return inProcessContainer(() => new Promise<void>((resolve) => server.close(() => resolve())));
}
