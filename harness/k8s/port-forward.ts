/**
 * A local port forwarded to a pod's port over the API server's `portforward` subresource (WebSocket,
 * `v4.channel.k8s.io`), as `kubectl port-forward`, `osm proxy get` and `istioctl proxy-config` do. The connection
 * lands inside the pod, so it reaches ports bound to the pod's localhost (an Envoy admin port, a Dapr sidecar's API)
 * that nothing else can reach. The protocol is client-node's `PortForward`'s, spoken here with `ws` so a worker
 * need not load client-node for it (issue 17: RSS).
 */
import type https from 'node:https';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { undici } from '../http/undici.ts';
import { createRequire } from 'node:module';
import type WebSocket from 'ws';
import type { KubeAccess } from './kube-access.ts';
import { userAgent } from './kube-client.ts';

/** A listening local end of a port-forward. */
export interface ForwardedPort {
  /** `http://127.0.0.1:<local port>`. */
  readonly url: string;
  /** For messages: `a port-forward to pod <ns>/<pod> port <port>`. */
  readonly where: string;
  /** Why the last forward failed to open (a 400 from the kubelet, a 403), if one did: what `other side closed` hides. */
  lastFailure(): string | undefined;
  close(): Promise<void>;
}

let wsLoaded: typeof WebSocket | undefined;

/** `ws`, loaded on first use: only a check that forwards a port needs it (issue 17: RSS). */
function wsModule(): typeof WebSocket {
  wsLoaded ??= createRequire(import.meta.url)('ws') as typeof WebSocket;
  return wsLoaded;
}

/** The subprotocol of port-forwarding over WebSocket: per port, a data channel (2n) and an error channel (2n+1). */
const portForwardProtocol = 'v4.channel.k8s.io';

/**
 * Forwards one local connection to `namespace/pod:port`: resolves with the WebSocket once it is open (bytes then flow
 * both ways until either side closes), rejects when it cannot open. Each channel's first frame carries the port
 * number (two bytes), which is not payload; text on the error channel is reported through `onError`.
 */
export async function forwardConnection(kc: KubeAccess, namespace: string, pod: string, port: number, socket: net.Socket, onError: (text: string) => void = () => undefined): Promise<WebSocket> {
  const server = (kc.getCurrentCluster()?.server ?? '').replace(/\/+$/, '');
  const url = `${server.replace(/^http/, 'ws')}/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/portforward?ports=${port}`;
  const options: https.RequestOptions = { headers: { 'user-agent': userAgent } };
  await kc.applyToHTTPSOptions(options);
  const ws = new (wsModule())(url, [portForwardProtocol], options);
  // Listening before the handshake completes: the server's first frames may come with its answer.
  const portRead = [false, false];
  ws.on('message', (data: Buffer) => {
    const channel = data[0] ?? 255;
    if (channel > 1) return;
    let payload = data.subarray(1);
    if (!portRead[channel]) {
      portRead[channel] = true;
      payload = payload.subarray(2);
    }
    if (!payload.length) return;
    if (channel === 0) socket.write(payload);
    else onError(payload.toString('utf8'));
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.on('error', () => ws.terminate());
  ws.on('close', () => socket.end());
  socket.on('data', (chunk: Buffer) => ws.send(Buffer.concat([Buffer.from([0]), chunk])));
  socket.on('end', () => ws.close());
  socket.once('close', () => ws.close());
  return ws;
}

/** Listens on 127.0.0.1:<free port>; every connection opens a forward to `namespace/pod:port`. */
export async function forwardPodPort(kc: KubeAccess, namespace: string, pod: string, port: number): Promise<ForwardedPort> {
  const sockets = new Set<net.Socket>();
  let lastFailure: string | undefined;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    // A failed forward (a reset, a 503 from the API server) ends this connection only: the client on the other side
    // sees it closed and its wait retries. An 'error' with no listener would crash the worker instead.
    socket.on('error', () => undefined);
    forwardConnection(kc, namespace, pod, port, socket, (text) => { lastFailure = text; }).catch((err: unknown) => {
      lastFailure = describeFailure(err);
      socket.destroy(new Error(`port-forward to pod ${namespace}/${pod} port ${port} failed: ${lastFailure}`));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const localPort = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${localPort}`,
    where: `a port-forward to pod ${namespace}/${pod} port ${port}`,
    lastFailure: () => lastFailure,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

/** What a WebSocket failure says: client-node rejects with an Error, a ws ErrorEvent or a status object. */
function describeFailure(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'object' && err !== null) {
    const o = err as { message?: unknown; error?: unknown; status?: unknown };
    if (typeof o.message === 'string' && o.message) return o.message;
    if (o.error instanceof Error) return o.error.message;
    try {
      return JSON.stringify(err).slice(0, 300);
    } catch {
      return 'unknown error';
    }
  }
  return String(err);
}

/** One HTTP answer through a forwarded port. */
export interface ForwardedResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** `GET <forwarded url><path>` within `timeoutMs`; rejects on a transport failure (the message names where it went). */
export async function getThroughForward(fwd: ForwardedPort, path: string, opts: { timeoutMs: number; headers?: Record<string, string> }): Promise<ForwardedResponse> {
  try {
    const res = await undici().request(`${fwd.url}${path}`, { method: 'GET', headers: opts.headers ?? {}, headersTimeout: opts.timeoutMs, bodyTimeout: opts.timeoutMs, signal: AbortSignal.timeout(opts.timeoutMs) });
    return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
  } catch (err) {
    const failure = fwd.lastFailure();
    throw new Error(`GET ${path} through ${fwd.where}: ${err instanceof Error ? err.message : String(err)}${failure ? ` (the port-forward failed: ${failure})` : ''}`, { cause: err });
  }
}
