/**
 * A loopback fault proxy in front of the simulated API server, for the reliability self-tests: it terminates TLS
 * with a CA of its own, forwards to the simulator, and breaks requests as a flaky network or an overloaded control
 * plane would: TCP resets, 503s, 429s with a long Retry-After, a 500 after a POST went through (the object exists,
 * the client does not know), a 403 for chosen requests, or no answer at all (a frozen API server). A kubeconfig
 * pointing at it is written next to the simulator's.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import tls from 'node:tls';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import selfsigned from 'selfsigned';
import { parse, stringify } from 'yaml';

/** What the proxy does with one request. */
export type FaultAction =
  | { kind: 'pass' }
  | { kind: 'reset' }
  | { kind: 'status'; status: number; headers?: Record<string, string>; reason: string }
  /** Forward it, then answer this status instead of the server's (the request took effect). */
  | { kind: 'after'; status: number; reason: string }
  /** Accept it and never answer. */
  | { kind: 'freeze' };

export interface FaultProxy {
  /** A kubeconfig for the simulator's context, through the proxy. */
  kubeconfig: string;
  url: string;
  /** What the proxy did, by action kind. */
  readonly counts: Record<FaultAction['kind'], number>;
  /** Replace the rule (e.g. freeze from now on). */
  setRule(rule: (req: IncomingMessage) => FaultAction): void;
  close(): Promise<void>;
}

interface KubeconfigDoc {
  clusters: { name: string; cluster: Record<string, unknown> }[];
  users: { name: string; user: Record<string, unknown> }[];
  contexts: unknown[];
  'current-context': string;
}

/** Random faults at these rates (0–1), the proxy's chaos mode. */
export function chaos(rates: { reset?: number; unavailable?: number; throttled?: number; failAfterPost?: number }, random: () => number = Math.random) {
  return (req: IncomingMessage): FaultAction => {
    const r = random();
    let edge = rates.reset ?? 0;
    if (r < edge) return { kind: 'reset' };
    edge += rates.unavailable ?? 0;
    if (r < edge) return { kind: 'status', status: 503, reason: 'ServiceUnavailable' };
    edge += rates.throttled ?? 0;
    if (r < edge) return { kind: 'status', status: 429, reason: 'TooManyRequests', headers: { 'retry-after': '3600' } };
    if (req.method === 'POST' && random() < (rates.failAfterPost ?? 0)) return { kind: 'after', status: 500, reason: 'InternalError' };
    return { kind: 'pass' };
  };
}

function status(res: ServerResponse, code: number, reason: string, headers: Record<string, string> = {}): void {
  res.writeHead(code, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `injected by the fault proxy: ${reason}`, reason, code }));
}

/** Starts the proxy in front of the server of `simKubeconfig`'s current context and writes `<outFile>`. */
export async function startFaultProxy(simKubeconfig: string, outFile: string, rule: (req: IncomingMessage) => FaultAction): Promise<FaultProxy> {
  const doc = parse(readFileSync(simKubeconfig, 'utf8')) as KubeconfigDoc;
  const cluster = doc.clusters[0]!.cluster;
  const upstream = new URL(String(cluster.server));
  const upstreamCa = Buffer.from(String(cluster['certificate-authority-data']), 'base64');
  const pems = await selfsigned.generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keySize: 2048, algorithm: 'sha256', extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
  });
  const counts: Record<FaultAction['kind'], number> = { pass: 0, reset: 0, status: 0, after: 0, freeze: 0 };
  let current = rule;
  const sockets = new Set<Socket>();
  const agent = new https.Agent({ ca: upstreamCa, keepAlive: true });
  const server = https.createServer({ key: pems.private, cert: pems.cert }, (req, res) => {
    const action = current(req);
    counts[action.kind] += 1;
    if (action.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    if (action.kind === 'freeze') return;
    if (action.kind === 'status') {
      req.resume();
      status(res, action.status, action.reason, action.headers);
      return;
    }
    const out = https.request({
      host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, agent,
      headers: { ...req.headers, host: upstream.host },
    }, (up) => {
      if (action.kind === 'after') {
        up.resume();
        up.on('end', () => status(res, action.status, action.reason));
        return;
      }
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    out.on('error', () => req.socket.destroy());
    res.on('close', () => out.destroy());
    req.pipe(out);
  });
  // Upgrades (port-forward and exec over WebSocket or SPDY) meet the same faults; passed ones are spliced through.
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const action = current(req);
    counts[action.kind] += 1;
    socket.on('error', () => undefined);
    if (action.kind === 'reset') {
      socket.destroy();
      return;
    }
    if (action.kind === 'freeze') return;
    if (action.kind === 'status' || action.kind === 'after') {
      const code = action.status;
      const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `injected by the fault proxy: ${action.reason}`, reason: action.reason, code });
      socket.end(`HTTP/1.1 ${code} ${action.reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${Object.entries(action.kind === 'status' ? action.headers ?? {} : {}).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n${body}`);
      return;
    }
    const upstreamSocket = tls.connect({ host: upstream.hostname, port: Number(upstream.port), ca: upstreamCa, servername: upstream.hostname === '127.0.0.1' ? undefined : upstream.hostname }, () => {
      const headers = Object.entries({ ...req.headers, host: upstream.host }).flatMap(([k, v]) => (Array.isArray(v) ? v.map((x) => `${k}: ${x}`) : v === undefined ? [] : [`${k}: ${v}`]));
      upstreamSocket.write(`${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/1.1\r\n${headers.join('\r\n')}\r\n\r\n`);
      if (head.length) upstreamSocket.write(head);
      upstreamSocket.pipe(socket);
      socket.pipe(upstreamSocket);
    });
    upstreamSocket.on('error', () => socket.destroy());
    socket.once('close', () => upstreamSocket.destroy());
    sockets.add(upstreamSocket);
    upstreamSocket.once('close', () => sockets.delete(upstreamSocket));
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  cluster.server = url;
  cluster['certificate-authority-data'] = Buffer.from(pems.cert).toString('base64');
  writeFileSync(outFile, stringify(doc), { mode: 0o600 });
  return {
    kubeconfig: outFile,
    url,
    counts,
    setRule: (r) => { current = r; },
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      agent.destroy();
      server.close(() => resolve());
    }),
  };
}
