/**
 * A built-in httpbin for machines without Debian's python3-httpbin, and for the hook `appAlways503`: the endpoints the
 * conformance checks use, answering with httpbin's JSON shapes (Title-Cased headers, `origin`, `url`).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { listenOn } from './network.ts';

export interface BuiltinHttpbinOptions {
  host: string;
  port: number;
  /** `appAlways503`: every request is answered 503 with an empty body, like `/status/503`. */
  always503?: boolean;
  /** One gunicorn-style access line per request. */
  log?: (line: string) => void;
  clock?: () => Date;
}

export interface BuiltinHttpbin {
  port: number;
  close(): Promise<void>;
}

/** Starts the built-in httpbin on host:port; resolves once it listens. */
export async function startBuiltinHttpbin(opts: BuiltinHttpbinOptions): Promise<BuiltinHttpbin> {
  const clock = opts.clock ?? (() => new Date());
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const status = opts.always503 ? 503 : handle(req, res, Buffer.concat(chunks));
      if (opts.always503) {
        send(res, 'HEAD', 503, baseHeaders('text/html; charset=utf-8', 0), '');
      }
      opts.log?.(accessLine(req, status, bodyBytes.get(res) ?? 0, clock()));
    });
  });
  server.keepAliveTimeout = 5_000;
  await listenOn(server, opts.host, opts.port);
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Answers one request; returns the status code. */
function handle(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): number {
  const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
  const path = url.pathname;
  const method = req.method ?? 'GET';
  const readOnly = method === 'GET' || method === 'HEAD';

  const statusMatch = /^\/status\/([\d,:.]+)$/.exec(path);
  if (statusMatch) return statusCode(res, pickStatus(statusMatch[1]!));
  if (path === '/get' && readOnly) return json(res, method, { args: args(url), headers: titleHeaders(req), origin: origin(req), url: url.toString() });
  if (path === '/headers' && readOnly) return json(res, method, { headers: titleHeaders(req) });
  if (path === '/ip' && readOnly) return json(res, method, { origin: origin(req) });
  if (path === '/user-agent' && readOnly) return json(res, method, { 'user-agent': req.headers['user-agent'] ?? null });
  if (path === '/anything' || path.startsWith('/anything/')) {
    const text = body.toString('utf8');
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    return json(res, method, { args: args(url), data: text, files: {}, form: {}, headers: titleHeaders(req), json: parsed, method, origin: origin(req), url: url.toString() });
  }
  if (['/get', '/headers', '/ip', '/user-agent'].includes(path)) return methodNotAllowed(res);
  if (path === '/' && readOnly) {
    const html = '<!DOCTYPE html>\n<html><head><title>httpbin.org</title></head><body><h2>httpbin.org</h2><p>A simple HTTP Request &amp; Response Service.</p></body></html>\n';
    return send(res, method, 200, baseHeaders('text/html; charset=utf-8', Buffer.byteLength(html)), html);
  }
  const notFound = '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n<p>The requested URL was not found on the server.  If you entered the URL manually please check your spelling and try again.</p>\n';
  return send(res, method, 404, baseHeaders('text/html', Buffer.byteLength(notFound)), notFound);
}

/** Body bytes sent per response, for the access log. */
const bodyBytes = new WeakMap<http.ServerResponse, number>();

function send(res: http.ServerResponse, method: string, status: number, headers: http.OutgoingHttpHeaders, body: string): number {
  res.writeHead(status, headers);
  const sent = method === 'HEAD' ? '' : body;
  bodyBytes.set(res, Buffer.byteLength(sent));
  res.end(sent || undefined);
  return status;
}

function baseHeaders(contentType: string, length: number): http.OutgoingHttpHeaders {
  return {
    server: 'gunicorn/19.9.0',
    'content-type': contentType,
    'content-length': length,
    'access-control-allow-origin': '*',
    'access-control-allow-credentials': 'true',
  };
}

function json(res: http.ServerResponse, method: string, value: unknown): number {
  const text = `${JSON.stringify(value, null, 2)}\n`;
  return send(res, method, 200, baseHeaders('application/json', Buffer.byteLength(text)), text);
}

function statusCode(res: http.ServerResponse, code: number): number {
  return send(res, 'GET', code, baseHeaders('text/html; charset=utf-8', 0), '');
}

function methodNotAllowed(res: http.ServerResponse): number {
  const text = '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">\n<title>405 Method Not Allowed</title>\n<h1>Method Not Allowed</h1>\n<p>The method is not allowed for the requested URL.</p>\n';
  return send(res, 'GET', 405, { ...baseHeaders('text/html', Buffer.byteLength(text)), allow: 'GET, HEAD, OPTIONS' }, text);
}

/** `/status/200,503` picks one at random, like httpbin; weights (`200:0.9`) are accepted and honoured roughly. */
function pickStatus(spec: string): number {
  const choices = spec.split(',').map((part) => {
    const [code, weight] = part.split(':');
    return { code: Number(code), weight: weight === undefined ? 1 : Number(weight) };
  });
  const total = choices.reduce((sum, c) => sum + (Number.isFinite(c.weight) ? c.weight : 0), 0);
  let roll = Math.random() * total;
  for (const choice of choices) {
    roll -= choice.weight;
    if (roll <= 0) return choice.code;
  }
  return choices[choices.length - 1]!.code;
}

function args(url: URL): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const key of new Set(url.searchParams.keys())) {
    const values = url.searchParams.getAll(key);
    out[key] = values.length === 1 ? values[0]! : values;
  }
  return out;
}

/** Headers httpbin hides unless `?show_env=1` (its ENV_HEADERS: what proxies and platforms add). */
const envHeaders = new Set(['x-varnish', 'x-request-start', 'x-heroku-queue-depth', 'x-real-ip', 'x-forwarded-proto', 'x-forwarded-protocol', 'x-forwarded-ssl', 'x-heroku-queue-wait-time', 'x-forwarded-for', 'x-heroku-dynos-in-use', 'x-forwarded-port', 'x-request-id', 'via', 'total-route-time', 'connect-time']);

/** httpbin reports headers Title-Cased and sorted (werkzeug's EnvironHeaders). */
function titleHeaders(req: http.IncomingMessage): Record<string, string> {
  const showEnv = /[?&]show_env=/.test(req.url ?? '');
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || (!showEnv && envHeaders.has(name))) continue;
    const title = name.split('-').map((w) => (w ? w[0]!.toUpperCase() + w.slice(1) : w)).join('-');
    out[title] = Array.isArray(value) ? value.join(',') : value;
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

/** httpbin 0.7's origin: the X-Forwarded-For header as sent when present, else the peer address. */
function origin(req: http.IncomingMessage): string {
  const forwarded = req.headers['x-forwarded-for'];
  const value = Array.isArray(forwarded) ? forwarded.join(', ') : forwarded;
  return value || (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
}

const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** gunicorn's default access log format: `%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"`. */
function accessLine(req: http.IncomingMessage, status: number, bytes: number, now: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  const t = `${pad(now.getUTCDate())}/${months[now.getUTCMonth()]}/${now.getUTCFullYear()}:${pad(now.getUTCHours())}:${pad(now.getUTCMinutes())}:${pad(now.getUTCSeconds())} +0000`;
  const peer = (req.socket.remoteAddress ?? '-').replace(/^::ffff:/, '');
  return `${peer} - - [${t}] "${req.method} ${req.url} HTTP/${req.httpVersion}" ${status} ${bytes || '-'} "${req.headers.referer ?? '-'}" "${req.headers['user-agent'] ?? '-'}"`;
}
