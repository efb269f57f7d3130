/**
 * The address clients (the harness, kubectl) reach the upstream control plane at: a TLS pass-through in front of
 * kube-apiserver, as the load balancer in front of a managed cluster's API server. Requests and answers pass unchanged
 * (the client's bearer token included, so kube-apiserver authenticates and authorizes the client itself), except where
 * a fault's API hooks (src/hooks.ts, ApiHooks) say otherwise, the same hooks the embedded API server consults:
 * - beforeRequest: an injected failure (api-flaky) or delay (api-slow) before the request is forwarded;
 * - onWatchOpened: a watch stream ended early (watch-cut, watch-expired);
 * - serviceProxy: `services/<name>/proxy` answered another way (service-proxy-forbidden);
 * - accessReview: a SelfSubjectAccessReview's answer turned into a denial (access-review-denied).
 * Every request is written to the request log (api/request-log.ts, the format the self-tests read), with the object a
 * create made. The simulator's own components talk to kube-apiserver directly, as they bypass these hooks in the
 * embedded mode too.
 */
import https from 'node:https';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import type { ApiHooks } from '../hooks.ts';
import type { ApiError } from '../cluster/types.ts';
import type { ProxyHandler, ProxyTarget } from '../api/resource-handler.ts';
import { RequestLog, verbOf } from '../api/request-log.ts';
import { signLeaf } from './pki.ts';
import type { KeyPair } from './pki.ts';

export interface ApiFront {
  /** https://127.0.0.1:PORT */
  url: string;
  requestLog: RequestLog;
  close(): Promise<void>;
}

export interface ApiFrontOptions {
  /** kube-apiserver: https://127.0.0.1:PORT */
  upstream: string;
  ca: KeyPair;
  hooks: ApiHooks;
  requestLogFile?: string;
  port?: number;
}

const hopByHop = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host']);

function forwardHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) if (!hopByHop.has(k) && v !== undefined) out[k] = v;
  return out;
}

/** The path's object name, as kube-apiserver's request info reads it (for the log's verb: get or list). */
function hasName(pathname: string): boolean {
  const segs = pathname.split('/').filter(Boolean);
  const rest = segs[0] === 'api' ? segs.slice(2) : segs[0] === 'apis' ? segs.slice(3) : [];
  if (rest[0] === 'watch') rest.shift();
  if (rest[0] === 'namespaces' && rest.length >= 3) return rest.length >= 4;
  return rest.length >= 2;
}

function isWatch(url: URL): boolean {
  const w = url.searchParams.get('watch');
  return w === 'true' || w === '1' || /^\/apis?\/(?:[^/]+\/)?[^/]+\/watch\//.test(url.pathname);
}

/** `/api/v1/namespaces/<ns>/services/[scheme:]<name>[:port]/proxy<rest>` as a ProxyTarget. */
function serviceProxyTarget(url: URL): ProxyTarget | undefined {
  const m = /^\/api\/v1\/namespaces\/([^/]+)\/services\/([^/]+)\/proxy(\/.*)?$/.exec(url.pathname);
  if (!m) return undefined;
  const parts = decodeURIComponent(m[2]!).split(':');
  const [scheme, name, port] = parts.length === 3 ? parts : parts.length === 2 ? [undefined, parts[0], parts[1]] : [undefined, parts[0], undefined];
  return {
    kind: 'service', namespace: decodeURIComponent(m[1]!), name: name ?? '',
    ...(port ? { port } : {}), ...(scheme ? { scheme } : {}),
    path: `${m[3] ?? '/'}${url.search}`,
  };
}

function statusBody(err: ApiError): string {
  return JSON.stringify(err.toStatus());
}

export async function startApiFront(opts: ApiFrontOptions): Promise<ApiFront> {
  const upstream = new URL(opts.upstream);
  const serving = await signLeaf(opts.ca, 'mesh-conformance-api-front', { hosts: ['127.0.0.1', 'localhost'] });
  const agent = new https.Agent({ ca: opts.ca.cert, keepAlive: true, maxSockets: 256 });
  const requestLog = new RequestLog(undefined, opts.requestLogFile);
  const hooks = opts.hooks;
  const watches = new Set<() => void>();

  /** Forwards one request; `transform` may rewrite a buffered answer (SSAR), `buffer` keeps small answers whole. */
  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer | undefined, path: string, o: { watch?: boolean; buffer?: boolean; transform?: (answer: Buffer, status: number) => Buffer; onCreated?: (name: string) => void } = {}): void => {
    const up = https.request({
      host: upstream.hostname, port: upstream.port, method: req.method, path, agent,
      headers: { ...forwardHeaders(req.headers), host: upstream.host },
    });
    up.on('response', (answer) => {
      const headers = forwardHeaders(answer.headers);
      if (!o.buffer && !o.transform) {
        res.writeHead(answer.statusCode ?? 502, headers);
        // kube-apiserver flushes a watch's headers before any event; Node holds them until the first body write, and
        // a client (client-node's Watch) cannot abort a watch whose headers it has not had yet.
        res.flushHeaders();
        answer.pipe(res);
        if (o.watch) {
          const end = (): void => {
            answer.unpipe(res);
            answer.destroy();
            res.end();
          };
          watches.add(end);
          const dispose = hooks.onWatchOpened(end);
          res.once('close', () => {
            dispose();
            watches.delete(end);
            answer.destroy();
          });
        }
        return;
      }
      const chunks: Buffer[] = [];
      answer.on('data', (c: Buffer) => chunks.push(c));
      answer.on('end', () => {
        let out: Buffer = Buffer.concat(chunks);
        const status = answer.statusCode ?? 502;
        if (o.transform) out = o.transform(out, status);
        if (status === 201 && o.onCreated) {
          try {
            const created = JSON.parse(out.toString('utf8')) as { metadata?: { namespace?: string; name?: string } };
            if (created.metadata?.name) o.onCreated(created.metadata.namespace ? `${created.metadata.namespace}/${created.metadata.name}` : created.metadata.name);
          } catch {
            // not an object
          }
        }
        delete headers['content-length'];
        res.writeHead(status, { ...headers, 'content-length': String(out.length) });
        res.end(out);
      });
      answer.on('error', () => res.destroy());
    });
    up.on('error', (error) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `the API server is unreachable: ${error.message}`, reason: 'ServiceUnavailable', code: 503 });
      res.writeHead(503, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
    });
    res.once('close', () => {
      if (!res.writableFinished) up.destroy();
    });
    if (body) up.end(body);
    else req.pipe(up);
  };

  const server = https.createServer({ cert: serving.cert, key: serving.key }, (req, res) => {
    const started = performance.now();
    const url = new URL(req.url ?? '/', 'https://localhost');
    const watch = isWatch(url);
    let created: string | undefined;
    let recorded = false;
    const record = (): void => {
      if (recorded) return;
      recorded = true;
      requestLog.record({
        time: new Date().toISOString(),
        verb: verbOf(req.method ?? 'GET', hasName(url.pathname), watch),
        method: req.method ?? 'GET',
        path: `${url.pathname}${url.search}`,
        status: res.statusCode,
        durationMs: Math.round((performance.now() - started) * 10) / 10,
        userAgent: req.headers['user-agent'] ?? '',
        ...(created ? { created } : {}),
      });
    };
    res.on('finish', record);
    res.on('close', record);
    void (async () => {
      const injected = await hooks.beforeRequest(req);
      if (injected) {
        const body = statusBody(injected);
        const retry = injected.details?.retryAfterSeconds;
        res.writeHead(injected.code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...(retry !== undefined ? { 'retry-after': String(retry) } : {}) });
        res.end(body);
        return;
      }
      const path = `${url.pathname}${url.search}`;
      const proxied = serviceProxyTarget(url);
      if (proxied) {
        const builtin: ProxyHandler = (r, s) => forward(r, s, undefined, path);
        hooks.serviceProxy(builtin)(req, res, proxied);
        return;
      }
      if (req.method === 'POST' && url.pathname === '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews') {
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        const body = Buffer.concat(chunks);
        forward(req, res, body, path, {
          transform: (answer, status) => {
            if (status >= 300) return answer;
            const review = JSON.parse(answer.toString('utf8')) as { spec?: Record<string, unknown>; status?: Record<string, unknown> };
            const verdict = hooks.accessReview(review.spec ?? {});
            if (verdict.allowed) return answer;
            review.status = { allowed: false, ...(verdict.reason ? { reason: verdict.reason } : {}) };
            return Buffer.from(JSON.stringify(review));
          },
        });
        return;
      }
      forward(req, res, undefined, path, { watch, ...(req.method === 'POST' ? { buffer: true, onCreated: (name: string) => { created = name; } } : {}) });
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });

  // Upgrades (port-forward over SPDY or WebSocket) are relayed byte for byte once the request head is passed on.
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'https://localhost');
    const up = tls.connect({ host: upstream.hostname, port: Number(upstream.port), ca: opts.ca.cert, servername: upstream.hostname === '127.0.0.1' ? undefined : upstream.hostname, ALPNProtocols: ['http/1.1'] });
    const lines = [`${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/1.1`];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const name = req.rawHeaders[i]!;
      lines.push(`${name}: ${name.toLowerCase() === 'host' ? upstream.host : req.rawHeaders[i + 1]!}`);
    }
    let status = 0;
    up.once('secureConnect', () => {
      up.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length) up.write(head);
      up.once('data', (first: Buffer) => {
        status = Number(/^HTTP\/1\.1 (\d{3})/.exec(first.toString('latin1'))?.[1] ?? 0);
        requestLog.record({ time: new Date().toISOString(), verb: 'create', method: req.method ?? 'GET', path: url.pathname, status, durationMs: 0, userAgent: req.headers['user-agent'] ?? '' });
      });
      up.pipe(socket);
      socket.pipe(up);
    });
    up.on('error', () => socket.destroy());
    socket.on('error', () => up.destroy());
    up.on('close', () => socket.destroy());
    socket.on('close', () => up.destroy());
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = address && typeof address !== 'string' ? address.port : 0;
  return {
    url: `https://127.0.0.1:${port}`,
    requestLog,
    close: () => new Promise<void>((resolve) => {
      for (const end of watches) end();
      server.close(() => resolve());
      server.closeAllConnections();
      agent.destroy();
    }),
  };
}
