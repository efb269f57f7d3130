/**
 * The node side of the API server's proxy subresources: `services/<svc>[:port]/proxy/...` and
 * `pods/<pod>[:port]/proxy/...` (the API server dials the endpoint over the pod network, so meshed pods see it as a
 * peer like any other), and `pods/<pod>/portforward` over SPDY/3.1 (kubectl) or WebSocket (`v4.channel.k8s.io`, what
 * @kubernetes/client-node speaks), which lands inside the pod like the kubelet's port-forward and so bypasses the
 * sidecar. Pass these to startApiServer({ serviceProxy, podProxy, podPortForward }).
 */
import http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, createWebSocketStream } from 'ws';
import type { WebSocket } from 'ws';
import type { ProxyHandler, ProxyTarget, UpgradeHandler } from '../api/server.ts';
import { SpdySession } from '../api/spdy.ts';
import type { SpdyStream } from '../api/spdy.ts';
import type { KubeObject, ObjectStore } from '../cluster/types.ts';
import { resolveUpstreams } from '../ingress/routing.ts';
import type { Kubelet } from './kubelet.ts';
import { field, nodeKinds } from './kinds.ts';

const hopByHop = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'authorization']);
const dialTimeoutMs = 10_000;

/** `services/<svc>[:port]/proxy/...`: a ready endpoint of the Service port, as kube-apiserver picks one. */
export function createServiceProxy(opts: { store: ObjectStore }): ProxyHandler {
  const kinds = nodeKinds(opts.store);
  return (req, res, target) => {
    const svc = opts.store.get(kinds.service, target.namespace, target.name);
    const ports = field<{ ports?: { name?: string; port: number }[] }>(svc, 'spec')?.ports ?? [];
    const wanted = target.port;
    const svcPort = wanted === undefined ? ports[0] : ports.find((p) => p.name === wanted || String(p.port) === wanted);
    if (!svc || !svcPort) {
      sendStatus(res, 503, 'ServiceUnavailable', `no endpoints available for service "${target.name}"`);
      return;
    }
    const upstreams = resolveUpstreams(opts.store, kinds, { namespace: target.namespace, ingress: '', service: target.name, port: svcPort.port }) ?? [];
    const upstream = upstreams[Math.floor(Math.random() * upstreams.length)];
    if (!upstream) {
      sendStatus(res, 503, 'ServiceUnavailable', `no endpoints available for service "${target.name}"`);
      return;
    }
    forward(req, res, upstream.ip, upstream.port, target, 'service');
  };
}

/** `pods/<pod>[:port]/proxy/...`: the pod IP and port (80 when none is given). */
export function createPodProxy(opts: { store: ObjectStore }): ProxyHandler {
  const kinds = nodeKinds(opts.store);
  return (req, res, target) => {
    const pod = opts.store.get(kinds.pod, target.namespace, target.name);
    const podIP = field<string>(field(pod, 'status'), 'podIP');
    if (!pod || !podIP) {
      sendStatus(res, 503, 'ServiceUnavailable', `pod "${target.name}" has no IP address yet`);
      return;
    }
    const port = resolvePodPort(pod, target.port) ?? 80;
    forward(req, res, podIP, port, target, 'pod');
  };
}

/** What a port-forward request asks for, by how it upgrades. */
function portForwardKind(req: http.IncomingMessage): 'spdy' | 'websocket' | 'other' {
  const upgrade = String(req.headers.upgrade ?? '').toLowerCase();
  if (upgrade === 'spdy/3.1') return 'spdy';
  if (upgrade === 'websocket') return 'websocket';
  return 'other';
}

function rejectUpgrade(socket: Duplex, code: number, reason: string, message: string): number {
  const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason, code, message });
  socket.end(`HTTP/1.1 ${code} ${http.STATUS_CODES[code] ?? ''}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  return code;
}

/**
 * `pods/<pod>/portforward`, as the API server and the kubelet serve it, landing inside the pod:
 * - SPDY/3.1 (`Upgrade: SPDY/3.1`, `X-Stream-Protocol-Version: portforward.k8s.io`): what kubectl speaks (1.27–1.30
 *   directly; 1.31+ after its WebSocket attempt fails). Each forwarded connection is an error and a data stream
 *   sharing a requestID, with the pod port in the streams' `port` header.
 * - WebSocket `v4.channel.k8s.io` (`?ports=P`): @kubernetes/client-node's PortForward; per port a data and an error
 *   channel, each opened with the port number. The API server passes the ports on to the kubelet as `?port=P`
 *   (streamParams, api.PortHeader), and the kubelet reads that name only (portforward.NewV4Options): `queryParameter`
 *   says which side this handler plays.
 * - WebSocket `SPDY/3.1+portforward.k8s.io` (SPDY tunnelled in WebSocket messages, kubectl 1.31+): served only when
 *   `spdyOverWebSocket` (API servers 1.30+ with PortForwardWebsockets); otherwise refused with the 403 the kubelet's
 *   WebSocket handshake answers an unknown subprotocol, so kubectl falls back to SPDY as it does against 1.29.
 */
export function createPodPortForward(opts: { kubelet: Pick<Kubelet, 'localEndpoint'>; spdyOverWebSocket?: boolean; queryParameter?: 'ports' | 'port' }): UpgradeHandler {
  const portsParameter = opts.queryParameter ?? 'ports';
  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols) => ['v4.channel.k8s.io', 'channel.k8s.io', ...(opts.spdyOverWebSocket ? [spdyTunnelAlias] : [])].find((p) => protocols.has(p)) ?? false,
  });
  // `SPDY/3.1+portforward.k8s.io` is not an RFC 6455 token (the `/`), which ws refuses to negotiate; the request carries an
  // alias through ws and the response gets the name back, as Go's WebSocket servers answer it.
  wss.on('headers', (headers: string[]) => {
    const i = headers.findIndex((h) => h.toLowerCase() === `sec-websocket-protocol: ${spdyTunnelAlias}`);
    if (i >= 0) headers[i] = `Sec-WebSocket-Protocol: ${spdyTunnelProtocol}`;
  });
  return (req: http.IncomingMessage, socket: Duplex, head: Buffer, target: ProxyTarget) => {
    const kind = portForwardKind(req);
    if (kind === 'spdy') {
      const offered = String(req.headers['x-stream-protocol-version'] ?? '').split(',').map((p) => p.trim());
      if (!offered.includes(portForwardProtocol)) {
        return rejectUpgrade(socket, 403, 'Forbidden', `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(' ')}], server accepts [${portForwardProtocol}]`);
      }
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${portForwardProtocol}\r\n\r\n`);
      if (head.length > 0) socket.unshift(head);
      servePortForwardSpdy(new SpdySession(socket), target, opts.kubelet);
      return 101;
    }
    const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    if (kind === 'websocket' && offered.includes(spdyTunnelProtocol) && opts.spdyOverWebSocket) {
      req.headers['sec-websocket-protocol'] = spdyTunnelAlias;
      wss.handleUpgrade(req, socket, head, (ws) => servePortForwardSpdy(new SpdySession(createWebSocketStream(ws)), target, opts.kubelet));
      return 101;
    }
    if (kind === 'websocket' && offered.some((p) => p === 'v4.channel.k8s.io' || p === 'channel.k8s.io')) {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const ports = url.searchParams.getAll(portsParameter).flatMap((p) => p.split(',')).map(Number).filter((p) => p > 0 && p < 65536);
      if (ports.length === 0) return rejectUpgrade(socket, 400, 'BadRequest', `query parameter "${portsParameter}" is required`);
      wss.handleUpgrade(req, socket, head, (ws) => servePortForward(ws, ports, target, opts.kubelet));
      return 101;
    }
    if (kind === 'websocket') {
      // The kubelet's WebSocket handshake (golang.org/x/net/websocket) for a subprotocol it does not serve.
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return 403;
    }
    return rejectUpgrade(socket, 400, 'BadRequest', 'Upgrade request required');
  };
}

const portForwardProtocol = 'portforward.k8s.io';
const spdyTunnelProtocol = `SPDY/3.1+${portForwardProtocol}`;
const spdyTunnelAlias = 'spdy-3.1-portforward.k8s.io';

/**
 * The kubelet's SPDY port-forward (pkg/kubelet/cri/streaming/portforward/httpstream.go): streams come in pairs (error,
 * data) with the same requestID; once both are there the data stream is joined to a connection to the pod port, and
 * a failure is written to the error stream, which kubectl reports as `an error occurred forwarding ...`.
 */
function servePortForwardSpdy(session: SpdySession, target: ProxyTarget, kubelet: Pick<Kubelet, 'localEndpoint'>): void {
  const pairs = new Map<string, { data?: SpdyStream; error?: SpdyStream }>();
  session.on('stream', (stream: SpdyStream) => {
    const requestId = stream.headers.requestid ?? String(stream.id);
    const pair = pairs.get(requestId) ?? {};
    if (stream.headers.streamtype === 'error') pair.error = stream;
    else if (stream.headers.streamtype === 'data') pair.data = stream;
    else {
      stream.abort();
      return;
    }
    pairs.set(requestId, pair);
    if (!pair.data || !pair.error) return;
    pairs.delete(requestId);
    forwardStreams(pair.data, pair.error, target, kubelet);
  });
}

function forwardStreams(data: SpdyStream, error: SpdyStream, target: ProxyTarget, kubelet: Pick<Kubelet, 'localEndpoint'>): void {
  const port = Number(data.headers.port);
  const fail = (message: string): void => {
    error.write(Buffer.from(message));
    error.end();
    data.end();
  };
  const endpoint = Number.isInteger(port) && port > 0 ? kubelet.localEndpoint(target.namespace, target.name, port) : undefined;
  if (!endpoint) {
    fail(`error forwarding port ${data.headers.port ?? ''} to pod ${target.namespace}/${target.name}: the pod is not running`);
    return;
  }
  const conn = net.connect({ host: endpoint.host, port: endpoint.port });
  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    error.end();
    data.end();
  };
  conn.on('data', (chunk: Buffer) => data.write(chunk));
  conn.on('end', finish);
  conn.on('close', finish);
  conn.on('error', (err: NodeJS.ErrnoException) => {
    if (finished) return;
    finished = true;
    const cause = err.code === 'ECONNREFUSED' ? `dial tcp4 127.0.0.1:${port}: connect: connection refused` : err.message;
    fail(`error forwarding port ${port} to pod ${target.namespace}/${target.name}, uid : failed to connect to localhost:${port} inside namespace "${target.name}", IPv4: ${cause}`);
  });
  data.on('data', (chunk: Buffer) => conn.write(chunk));
  data.on('end', () => conn.end());
  data.on('reset', () => conn.destroy());
  data.on('close', () => conn.destroy());
}

function servePortForward(ws: WebSocket, ports: number[], target: ProxyTarget, kubelet: Pick<Kubelet, 'localEndpoint'>): void {
  const conns: net.Socket[] = [];
  const portPrefix = (port: number): Buffer => Buffer.from([port & 0xff, port >> 8]);
  ports.forEach((port, index) => {
    const data = index * 2;
    const error = data + 1;
    ws.send(Buffer.concat([Buffer.from([data]), portPrefix(port)]));
    ws.send(Buffer.concat([Buffer.from([error]), portPrefix(port)]));
    const endpoint = kubelet.localEndpoint(target.namespace, target.name, port);
    if (!endpoint) {
      ws.send(Buffer.concat([Buffer.from([error]), Buffer.from(`pod ${target.namespace}/${target.name} is not running`)]));
      ws.close();
      return;
    }
    const conn = net.connect({ host: endpoint.host, port: endpoint.port });
    conns[data] = conn;
    conn.on('data', (chunk: Buffer) => ws.send(Buffer.concat([Buffer.from([data]), chunk])));
    conn.on('error', (err) => {
      const message = `an error occurred forwarding ${port} -> ${port}: error forwarding port ${port} to pod ${target.name}: ${err.message}`;
      if (ws.readyState === ws.OPEN) ws.send(Buffer.concat([Buffer.from([error]), Buffer.from(message)]));
      ws.close();
    });
    conn.on('close', () => {
      if (ws.readyState === ws.OPEN) ws.close();
    });
  });
  ws.on('message', (raw: Buffer) => {
    const channel = raw[0];
    if (channel === undefined) return;
    conns[channel]?.write(raw.subarray(1));
  });
  ws.on('close', () => {
    for (const conn of conns) conn?.destroy();
  });
}

function resolvePodPort(pod: KubeObject, wanted: string | undefined): number | undefined {
  if (wanted === undefined) return undefined;
  if (/^\d+$/.test(wanted)) return Number(wanted);
  const containers = field<{ ports?: { name?: string; containerPort: number }[] }[]>(field(pod, 'spec'), 'containers') ?? [];
  return containers.flatMap((c) => c.ports ?? []).find((p) => p.name === wanted)?.containerPort;
}

function forward(req: http.IncomingMessage, res: http.ServerResponse, host: string, port: number, target: ProxyTarget, kind: 'service' | 'pod'): void {
  const headers: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(req.headers)) if (!hopByHop.has(name) && value !== undefined) headers[name] = value;
  headers.host = `${host}:${port}`;
  const upstream = http.request({ host, port, method: req.method, path: target.path, headers, agent: false, timeout: dialTimeoutMs });
  upstream.on('response', (up) => {
    const out: http.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(up.headers)) if (!hopByHop.has(name) && value !== undefined) out[name] = value;
    res.writeHead(up.statusCode ?? 502, out);
    up.pipe(res);
  });
  upstream.on('timeout', () => upstream.destroy(new Error(`dial tcp ${host}:${port}: i/o timeout`)));
  upstream.on('error', (err: NodeJS.ErrnoException) => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const cause = err.code === 'ECONNREFUSED' ? `dial tcp ${host}:${port}: connect: connection refused` : err.code === 'ECONNRESET' ? `read tcp ${host}:${port}: read: connection reset by peer` : err.message;
    sendStatus(res, 503, 'ServiceUnavailable', `error trying to reach ${kind}: ${cause}`);
  });
  req.pipe(upstream);
}

function sendStatus(res: http.ServerResponse, code: number, reason: string, message: string): void {
  const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
  res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
