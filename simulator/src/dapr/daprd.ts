/**
 * The Dapr runtime images (`daprio/daprd`, `daprio/dapr`) as the node runs them (docs/dapr.md, simulator/README.md):
 *
 * - dapr-operator (`daprio/dapr` with `./operator`): serves its API (the `dapr-api` Service, port 80 → 6500) on the
 *   pod address. Upstream it is gRPC (HTTP/2); here a daprd's call is one HTTP request to
 *   `/dapr.proto.operator.v1.Operator/GetConfiguration`, answered 200.
 * - daprd (`daprio/daprd`, the container `daprd` Dapr's injector adds): in Kubernetes mode it first loads its
 *   Configuration from the operator at `--control-plane-address` (dapr-api.dapr-system.svc.cluster.local:80), dialled
 *   from the pod like any outbound connection, so through the mesh sidecar unless the port is excluded from
 *   interception (node/outbound.ts). It retries until the timing `daprdOperatorDeadlineMs`, then logs a fatal error and exits 1
 *   (the kubelet restarts it: CrashLoopBackOff), as daprd 1.9 did behind an intercepting Consul sidecar (dapr/dapr
 *   #5643; the exact behaviour of 1.16 is UNCONFIRMED). Once it has its configuration it is ready (the probe
 *   `/v1.0/healthz` on the public port 3501 would pass). The placement server is not awaited: only actors need it.
 * - daprd's HTTP API on 3500 is bound to the pod's localhost (the injector's default `--dapr-listen-addresses
 *   [::1],127.0.0.1`): a port-forward reaches it. It serves `GET /v1.0/healthz` (204 once ready, 500 before) and
 *   service invocation `/v1.0/invoke/<target>/method/<path>` for a target given as an `http://` URL (a non-Dapr
 *   endpoint, Dapr ≥ 1.11): a new request for the URL sent from the pod (so through its sidecar's outbound listener);
 *   the answer's status, headers and body are copied back; a transport error is a 500 with Dapr's error body. An
 *   app-id target would need name resolution through the `<app-id>-dapr` Service and daprd-to-daprd gRPC: not
 *   emulated, answered 500 ERR_DIRECT_INVOKE.
 */
import http from 'node:http';
import type { ContainerContext, RunningContainer } from '../node/container.ts';
import { idleContainer, inProcessContainer } from '../node/container.ts';
import { listenOn } from '../node/network.ts';
import { relayAnswer, sendFromPod } from '../node/outbound.ts';

/** The operator's API port (the `dapr-api` Service's targetPort). */
export const operatorApiPort = 6500;
/** daprd's HTTP API port (`--dapr-http-port`, default 3500). */
export const daprdHttpPort = 3500;
/** The path a daprd's configuration load stands for (the operator's gRPC method). */
export const operatorConfigurationPath = '/dapr.proto.operator.v1.Operator/GetConfiguration';
const retryMs = 1000;

function daprLog(ctx: ContainerContext, level: string, scope: string, msg: string): void {
  const appId = argValue(ctx.container, '--app-id');
  ctx.log(`time="${ctx.clock().toISOString()}" level=${level} msg="${msg.replace(/"/g, '\\"')}"${appId ? ` app_id=${appId}` : ''} instance=${ctx.pod.metadata.name ?? ''} scope=${scope} type=log ver=1.16.9`);
}

/** The value after a flag in the container's args (`--app-id x`). */
export function argValue(container: { args?: string[]; command?: string[] }, flag: string): string | undefined {
  const args = [...(container.command ?? []), ...(container.args ?? [])];
  const at = args.indexOf(flag);
  return at >= 0 ? args[at + 1] : undefined;
}

/** `daprio/dapr`: the operator serves its API; the other control-plane binaries run idle. */
export async function startDaprControlPlaneContainer(ctx: ContainerContext): Promise<RunningContainer> {
  const args = [...(ctx.container.command ?? []), ...(ctx.container.args ?? [])];
  daprLog(ctx, 'info', 'dapr.runtime', `starting Dapr ${ctx.container.name}`);
  if (!args.some((a) => a.endsWith('operator'))) return idleContainer();
  const plan = ctx.ports.find((p) => p.containerName === ctx.container.name && p.containerPort === operatorApiPort);
  const server = http.createServer((req, res) => {
    req.resume();
    if ((req.url ?? '').startsWith(operatorConfigurationPath)) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ configuration: { spec: {} } }));
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('unknown method\n');
  });
  await listenOn(server, ctx.podIP, plan?.listenPort ?? operatorApiPort);
  daprLog(ctx, 'info', 'dapr.operator', `starting gRPC server on port ${operatorApiPort}`);
  return inProcessContainer(() => new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  }));
}

/** Where `--control-plane-address host:port` points. */
function operatorAddress(ctx: ContainerContext): { host: string; port: number } {
  const value = argValue(ctx.container, '--control-plane-address') ?? 'dapr-api.dapr-system.svc.cluster.local:80';
  const at = value.lastIndexOf(':');
  return at > 0 ? { host: value.slice(0, at), port: Number(value.slice(at + 1)) || 80 } : { host: value, port: 80 };
}

/** `daprio/daprd`: loads its configuration from the operator, then serves the HTTP API on the pod's localhost. */
export async function startDaprd(ctx: ContainerContext): Promise<RunningContainer> {
  const namespace = ctx.pod.metadata.namespace ?? 'default';
  daprLog(ctx, 'info', 'dapr.runtime', 'Starting Dapr Runtime -- version 1.16.9 (simulated)');
  let ready = false;
  let stopped = false;
  let finish: (code: number) => void = () => {};
  const exited = new Promise<number>((resolve) => (finish = resolve));
  let markReady: () => void = () => {};
  const whenReady = new Promise<void>((resolve) => (markReady = resolve));

  const server = http.createServer((req, res) => void serveApi(ctx, req, res, () => ready));
  if (ctx.listenLocal) await ctx.listenLocal(server, daprdHttpPort);

  const operator = operatorAddress(ctx);
  const deadline = performance.now() + ctx.timings.daprdOperatorDeadlineMs;
  let timer: NodeJS.Timeout | undefined;
  const attempt = async (): Promise<void> => {
    if (stopped) return;
    try {
      const res = await sendFromPod(ctx.store, ctx.network, {
        host: operator.host, port: operator.port, method: 'POST', path: operatorConfigurationPath,
        headers: { 'content-type': 'application/grpc' }, from: ctx.podIP, namespace,
      });
      if (res.status !== 200) throw new Error(`rpc error: code = Unavailable desc = unexpected HTTP status code received from server: ${res.status}`);
      ready = true;
      daprLog(ctx, 'info', 'dapr.runtime', `loaded configuration from the operator at ${operator.host}:${operator.port}`);
      daprLog(ctx, 'info', 'dapr.runtime', `HTTP server is running on port ${daprdHttpPort}`);
      daprLog(ctx, 'info', 'dapr.runtime', 'dapr initialized. Status: Running.');
      markReady();
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      if (performance.now() >= deadline) {
        daprLog(ctx, 'fatal', 'dapr.runtime', `error loading configuration: failed to get configuration from the operator at ${operator.host}:${operator.port}: context deadline exceeded (last error: ${reason})`);
        stopped = true;
        server.close();
        server.closeAllConnections();
        finish(1);
        return;
      }
      daprLog(ctx, 'warning', 'dapr.runtime.operator', `error connecting to the operator at ${operator.host}:${operator.port}: ${reason}; retrying`);
      timer = setTimeout(() => void attempt(), retryMs);
    }
  };
  void attempt();

  return {
    ready: false,
    whenReady,
    exited,
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }).then(() => finish(0));
    },
  };
}

function reply(res: http.ServerResponse, status: number, body: unknown): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** The part of daprd's HTTP API the simulator serves. */
async function serveApi(ctx: ContainerContext, req: http.IncomingMessage, res: http.ServerResponse, ready: () => boolean): Promise<void> {
  const url = req.url ?? '/';
  if (url === '/v1.0/healthz' || url.startsWith('/v1.0/healthz?') || url.startsWith('/v1.0/healthz/outbound')) {
    req.resume();
    if (ready()) {
      res.writeHead(204);
      res.end();
    } else reply(res, 500, { errorCode: 'ERR_HEALTH_NOT_READY', message: 'dapr is not ready' });
    return;
  }
  const invoke = /^\/v1\.0\/invoke\/(.+?)\/method\/(.*)$/.exec(url);
  if (!invoke) {
    req.resume();
    reply(res, 404, { errorCode: 'ERR_NOT_FOUND', message: `method ${req.method ?? 'GET'} ${url} not found` });
    return;
  }
  req.resume();
  const target = decodeURIComponent(invoke[1]!);
  const method = `/${invoke[2] ?? ''}`;
  if (!/^https?:\/\//.test(target)) {
    reply(res, 500, { errorCode: 'ERR_DIRECT_INVOKE', message: `failed to invoke, id: ${target}, err: invoking an app id is not emulated by the simulator; invoke a URL (http://<service>.<namespace>:<port>)` });
    return;
  }
  let base: URL;
  try {
    base = new URL(target);
  } catch {
    reply(res, 400, { errorCode: 'ERR_DIRECT_INVOKE', message: `failed to invoke, id: ${target}, err: invalid URL` });
    return;
  }
  const headers: Record<string, string | string[] | undefined> = {};
  for (const [k, v] of Object.entries(req.headers)) if (!['host', 'connection', 'content-length', 'transfer-encoding'].includes(k)) headers[k] = v;
  headers.host = base.host;
  try {
    const answer = await sendFromPod(ctx.store, ctx.network, {
      host: base.hostname, port: Number(base.port || (base.protocol === 'https:' ? 443 : 80)), method: req.method ?? 'GET',
      path: `${base.pathname.replace(/\/$/, '')}${method}`, headers, from: ctx.podIP, namespace: ctx.pod.metadata.namespace ?? 'default',
    });
    relayAnswer(res, answer);
  } catch (err) {
    reply(res, 500, { errorCode: 'ERR_DIRECT_INVOKE', message: `failed to invoke, id: ${target}, err: ${err instanceof Error ? err.message : String(err)}` });
  }
}
