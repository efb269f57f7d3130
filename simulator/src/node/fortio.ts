/**
 * A stand-in for `fortio/fortio` (`fortio server`, the load tool Istio's samples use as a client), enough for what a
 * mesh client probe needs: the HTTP server on 8080 with the echo handler and the fetch proxy `GET
 * /fortio/fetch2/?url=<url>` (fortio's fhttp `FetcherHandler2`): a new GET for the URL with the incoming headers
 * copied (`-proxy-all-headers`, default true) plus `X-Proxy-Agent`, sent from inside the pod (so through its
 * sidecar's outbound listener, node/outbound.ts), the answer copied back with its status and headers; a transport
 * error is a 400 `Error for "<url>": <error>`. Only GET exists, as in fortio.
 */
import http from 'node:http';
import type { ContainerContext, RunningContainer } from './container.ts';
import { inProcessContainer } from './container.ts';
import { listenOn } from './network.ts';
import { relayAnswer, sendFromPod } from './outbound.ts';

export const fortioVersion = '1.69.5';
const httpPort = 8080;

function fortioLog(ctx: ContainerContext, level: string, msg: string, extra: Record<string, unknown> = {}): void {
  ctx.log(JSON.stringify({ ts: ctx.clock().getTime() / 1000, level, r: 1, file: 'http_forwarder.go', line: 1, msg, ...extra }));
}

/** Runs `fortio server`: the echo server and fetch proxy on 8080 (the app port plan says where it really binds). */
export async function startFortioContainer(ctx: ContainerContext): Promise<RunningContainer> {
  const args = ctx.container.args ?? ctx.container.command?.slice(1) ?? ['server'];
  if ((args[0] ?? 'server') !== 'server') throw new Error(`fortio ${args[0] ?? ''}: only "fortio server" is emulated`);
  const plan = ctx.ports.find((p) => p.containerName === ctx.container.name && p.containerPort === httpPort);
  const listenPort = plan?.listenPort ?? httpPort;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fortio');
    if (url.pathname.startsWith('/fortio/fetch2')) {
      void fetch2(ctx, req, res, url.searchParams.get('url') ?? '');
      return;
    }
    if (url.pathname.startsWith('/fortio')) {
      res.writeHead(200, { 'content-type': 'text/plain; charset=UTF-8' });
      res.end(`Φορτίο version ${fortioVersion} (simulated): fetch proxy at /fortio/fetch2/?url=\n`);
      return;
    }
    // The echo handler: 200 with the request body.
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
      res.end(body);
    });
  });
  await listenOn(server, ctx.podIP, listenPort);
  fortioLog(ctx, 'info', `Fortio ${fortioVersion} https redirector/echo server listening on tcp [::]:${httpPort}`);
  return inProcessContainer(async () => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  });
}

async function fetch2(ctx: ContainerContext, req: http.IncomingMessage, res: http.ServerResponse, rawUrl: string): Promise<void> {
  const text = rawUrl.trim();
  if (!text) {
    res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('missing url value\n');
    return;
  }
  const withScheme = /^https?:\/\//.test(text) ? text : `http://${text}`;
  let target: URL;
  try {
    target = new URL(withScheme);
  } catch {
    res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('parsing url failed, invalid url\n');
    return;
  }
  const headers: Record<string, string | string[] | undefined> = {};
  for (const [k, v] of Object.entries(req.headers)) if (!['host', 'connection', 'content-length', 'transfer-encoding'].includes(k)) headers[k] = v;
  headers['x-proxy-agent'] = `fortio.org/fortio-${fortioVersion}`;
  headers.host = target.host;
  fortioLog(ctx, 'info', 'Fetch proxy2', { url: withScheme });
  try {
    const answer = await sendFromPod(ctx.store, ctx.network, {
      host: target.hostname, port: Number(target.port || (target.protocol === 'https:' ? 443 : 80)), method: 'GET', path: `${target.pathname}${target.search}`,
      headers, from: ctx.podIP, namespace: ctx.pod.metadata.namespace ?? 'default',
    });
    relayAnswer(res, answer);
  } catch (err) {
    const msg = `Error for "${withScheme}": ${err instanceof Error ? err.message : String(err)}`;
    fortioLog(ctx, 'error', msg);
    res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' });
    res.end(`${msg}\n`);
  }
}
