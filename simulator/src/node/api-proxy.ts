/**
 * The node side of the API server's proxy subresources: `services/<svc>[:port]/proxy/...` and
 * `pods/<pod>[:port]/proxy/...` (the API server dials the endpoint over the pod network, so meshed pods see it as a
 * peer like any other), and `pods/<pod>/portforward` over WebSocket (`v4.channel.k8s.io`, what
 * @kubernetes/client-node speaks), which lands inside the pod like the kubelet's port-forward and so bypasses the
 * sidecar. Pass these to startApiServer({ serviceProxy, podProxy, podPortForward }).
 */
import http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import type { ProxyHandler, ProxyTarget, UpgradeHandler } from '../api/server.ts';
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

/** `pods/<pod>/portforward?ports=P` over WebSocket (`v4.channel.k8s.io`): one TCP connection per port, into the pod. */
export function createPodPortForward(opts: { kubelet: Pick<Kubelet, 'localEndpoint'> }): UpgradeHandler {
  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols) => ['v4.channel.k8s.io', 'channel.k8s.io'].find((p) => protocols.has(p)) ?? false,
  });
  return (req: http.IncomingMessage, socket: Duplex, head: Buffer, target: ProxyTarget) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const ports = url.searchParams.getAll('ports').flatMap((p) => p.split(',')).map(Number).filter((p) => p > 0 && p < 65536);
    const offered = String(req.headers['sec-websocket-protocol'] ?? '');
    if (!/\b(v4\.)?channel\.k8s\.io\b/.test(offered) || ports.length === 0) {
      // kubectl's SPDY (and SPDY-over-WebSocket) port-forward is not emulated; say so in a Status.
      const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'BadRequest', code: 400, message: ports.length === 0 ? 'query parameter "ports" is required' : 'the simulated kubelet supports port-forward only over WebSocket with v4.channel.k8s.io' });
      socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => servePortForward(ws, ports, target, opts.kubelet));
  };
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
