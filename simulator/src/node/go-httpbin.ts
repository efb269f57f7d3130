/**
 * A built-in stand-in for go-httpbin (`docker.io/mccutchen/go-httpbin`, the image of Istio's httpbin sample,
 * istio.md §9): the endpoints a conformance run uses, with go-httpbin's JSON shapes (responses.go): headers as arrays
 * of values under canonical MIME keys (Host included), `args` as arrays, `method`, `origin` (the first
 * X-Forwarded-For entry, else the peer), `url` (scheme from X-Forwarded-Proto); pretty-printed with two spaces, keys
 * sorted, as Go's encoder writes maps. There is no go-httpbin binary on our machines, hence a stand-in.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { listenOn } from './network.ts';

export interface GoHttpbinOptions {
  host: string;
  port: number;
  /** `appAlways503`: every request is answered 503. */
  always503?: boolean;
  log?: (line: string) => void;
  clock?: () => Date;
}

/** Go's textproto.CanonicalMIMEHeaderKey: `x-forwarded-client-cert` -> `X-Forwarded-Client-Cert`. */
export function canonicalHeaderKey(name: string): string {
  return name.split('-').map((w) => (w ? w[0]!.toUpperCase() + w.slice(1).toLowerCase() : w)).join('-');
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => [k, sortKeys(v)]));
  }
  return value;
}

/**
 * The request's headers as Go's server keeps them. `Connection` and `Keep-Alive` are left out: the simulated sidecar
 * (Node's HTTP client) always sends them to the app, where Envoy's HTTP/1.1 upstream sends neither.
 */
function headersOf(req: http.IncomingMessage): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const key = canonicalHeaderKey(req.rawHeaders[i]!);
    if (key === 'Connection' || key === 'Keep-Alive') continue;
    (out[key] ??= []).push(req.rawHeaders[i + 1]!);
  }
  return out;
}

function clientIp(req: http.IncomingMessage): string {
  const forwarded = req.headers['x-forwarded-for'];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
  return first || (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
}

function urlOf(req: http.IncomingMessage): URL {
  const proto = req.headers['x-forwarded-proto'];
  const scheme = (Array.isArray(proto) ? proto[0] : proto) || 'http';
  return new URL(req.url ?? '/', `${scheme}://${req.headers.host ?? 'localhost'}`);
}

function argsOf(url: URL): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, v] of url.searchParams) (out[k] ??= []).push(v);
  return out;
}

export async function startGoHttpbin(opts: GoHttpbinOptions): Promise<{ port: number; close(): Promise<void> }> {
  const clock = opts.clock ?? (() => new Date());
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    const started = performance.now();
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = opts.always503 ? reply(res, req, 503, 'text/plain; charset=utf-8', '') : handle(req, res, Buffer.concat(chunks));
      opts.log?.(`time=${clock().toISOString()} level=INFO msg="${status} ${req.method ?? ''} ${req.url ?? ''} ${(performance.now() - started).toFixed(1)}ms" status=${status} method=${req.method ?? ''} uri=${req.url ?? ''} user_agent="${req.headers['user-agent'] ?? ''}" client_ip=${clientIp(req)}`);
    });
  });
  await listenOn(server, opts.host, opts.port);
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

function reply(res: http.ServerResponse, req: http.IncomingMessage, status: number, contentType: string, body: string): number {
  res.writeHead(status, { 'access-control-allow-credentials': 'true', 'access-control-allow-origin': '*', 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(req.method === 'HEAD' ? undefined : body);
  return status;
}

function json(res: http.ServerResponse, req: http.IncomingMessage, status: number, value: unknown): number {
  return reply(res, req, status, 'application/json; charset=utf-8', `${JSON.stringify(sortKeys(value), null, 2)}\n`);
}

function handle(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): number {
  const url = urlOf(req);
  const path = url.pathname;
  const method = req.method ?? 'GET';
  const base = { args: argsOf(url), headers: headersOf(req), method, origin: clientIp(req), url: url.toString() };
  const status = /^\/status\/(\d{3})$/.exec(path);
  if (status) {
    const code = Number(status[1]);
    return code === 418 ? reply(res, req, 418, 'text/plain; charset=utf-8', 'I\'m a teapot!') : reply(res, req, code, 'text/plain; charset=utf-8', '');
  }
  switch (path) {
    case '/get':
      if (method !== 'GET' && method !== 'HEAD') return reply(res, req, 405, 'text/plain; charset=utf-8', 'Method Not Allowed\n');
      return json(res, req, 200, base);
    case '/headers':
      return json(res, req, 200, { headers: base.headers });
    case '/ip':
      return json(res, req, 200, { origin: base.origin });
    case '/user-agent':
      return json(res, req, 200, { 'user-agent': req.headers['user-agent'] ?? '' });
    case '/':
      return reply(res, req, 200, 'text/html; charset=utf-8', '<!DOCTYPE html>\n<html><head><title>go-httpbin</title></head><body><h1>go-httpbin</h1><p>A reasonably complete and well-tested golang port of httpbin.</p></body></html>\n');
    default:
      break;
  }
  if (path === '/anything' || path.startsWith('/anything/')) {
    const text = body.toString('utf8');
    let parsed: unknown = null;
    try {
      parsed = text && /json/.test(String(req.headers['content-type'] ?? '')) ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    return json(res, req, 200, { ...base, data: text, files: {}, form: {}, json: parsed });
  }
  return reply(res, req, 404, 'text/plain; charset=utf-8', '404 page not found\n');
}
