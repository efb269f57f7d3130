/**
 * The HTTP data path shared by the ingress controllers: route, pick a ready endpoint round-robin, proxy HTTP/1.1
 * from a fixed source address (so the sidecar sees the controller as the peer), and answer the controller's own
 * error pages (502 on upstream reset/refusal, 503 without endpoints, 404 without a rule).
 */
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { randomBytes } from 'node:crypto';
import type { KubeObject, ObjectStore, SimNetwork } from '../cluster/types.ts';
import type { NodeKinds } from '../node/kinds.ts';
import { listenWithFallback } from '../node/network.ts';
import { resolveUpstreams, routeRequest } from './routing.ts';
import type { IngressBackendRef, Upstream } from './routing.ts';

export interface ErrorPage {
  status: number;
  headers: http.OutgoingHttpHeaders;
  body: string;
}

export interface IngressProxyOptions {
  store: ObjectStore;
  kinds: NodeKinds;
  /** The Ingresses this controller serves, at request time. */
  ingresses: () => KubeObject[];
  listenHost: string;
  /** 80 for hostPort / a load balancer; a free port is used when it cannot be bound. */
  preferredPort: number;
  /** Every upstream connection is made from this address. */
  sourceAddress: string;
  /** Maps endpoint addresses to where they are dialled (the node network; absent: dialled as they are). */
  network?: Pick<SimNetwork, 'dialAddressOf'>;
  /** The controller's own error page for a status (502, 503, 404, 504). */
  errorPage(status: number): ErrorPage;
  /** Headers the controller adds to every response it proxies. */
  responseHeaders?: http.OutgoingHttpHeaders;
  accessLog?(entry: AccessEntry): void;
  /** How the controller speaks to a route's backend when not plain HTTP (ingress-nginx's backend-protocol HTTPS). */
  backendTls?(ref: IngressBackendRef): UpstreamTls | undefined;
}

/** TLS to a backend: the client certificate to present, the CA and name to verify the backend's certificate against. */
export interface UpstreamTls {
  certPem?: string;
  keyPem?: string;
  caPem?: string;
  /** The name the backend's certificate must carry when `verify` is on. */
  serverName?: string;
  verify: boolean;
}

export interface AccessEntry {
  req: http.IncomingMessage;
  status: number;
  bytesSent: number;
  durationMs: number;
  upstreamName: string;
  upstream: string;
  upstreamStatus: string;
  requestId: string;
}

export interface IngressProxy {
  host: string;
  port: number;
  close(): Promise<void>;
}

const hopByHop = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);
/** nginx's proxy_read_timeout default. */
const upstreamTimeoutMs = 60_000;

/** Starts listening; resolves with the address really bound. */
export async function startIngressProxy(opts: IngressProxyOptions): Promise<IngressProxy> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 320 });
  // Its pool is keyed by the TLS options too (certificate, CA, name), so a changed secret gets new connections.
  const tlsAgent = new https.Agent({ keepAlive: true, maxSockets: 320 });
  const roundRobin = new Map<string, number>();

  const server = http.createServer((req, res) => {
    const started = performance.now();
    const requestId = randomBytes(16).toString('hex');
    const path = (req.url ?? '/').split('?')[0]!;
    const finish = (status: number, bytesSent: number, upstreamName: string, upstream: string, upstreamStatus: string): void =>
      opts.accessLog?.({ req, status, bytesSent, durationMs: performance.now() - started, upstreamName, upstream, upstreamStatus, requestId });
    const sendError = (status: number, upstreamName: string, upstream: string, upstreamStatus: string): void => {
      const page = opts.errorPage(status);
      if (!res.headersSent) {
        res.writeHead(page.status, { ...page.headers, 'content-length': Buffer.byteLength(page.body), date: new Date().toUTCString() });
        res.end(req.method === 'HEAD' ? undefined : page.body);
      } else {
        res.destroy();
      }
      finish(page.status, Buffer.byteLength(page.body), upstreamName, upstream, upstreamStatus);
    };

    const ref = routeRequest(opts.ingresses(), req.headers.host ?? '', path);
    if (!ref) {
      req.resume();
      sendError(404, 'upstream-default-backend', '-', '-');
      return;
    }
    const upstreamName = `${ref.namespace}-${ref.service}-${ref.port}`;
    const upstreams = resolveUpstreams(opts.store, opts.kinds, ref) ?? [];
    if (upstreams.length === 0) {
      req.resume();
      sendError(503, upstreamName, '-', '-');
      return;
    }
    const index = (roundRobin.get(upstreamName) ?? 0) % upstreams.length;
    roundRobin.set(upstreamName, index + 1);
    const target = upstreams[index]!;
    forward(req, res, ref, target, false);

    function forward(req: http.IncomingMessage, res: http.ServerResponse, _ref: IngressBackendRef, target: Upstream, retried: boolean): void {
      const headers: http.OutgoingHttpHeaders = {};
      for (const [name, value] of Object.entries(req.headers)) if (!hopByHop.has(name) && value !== undefined) headers[name] = value;
      const peer = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
      const previous = req.headers['x-forwarded-for'];
      headers['x-forwarded-for'] = previous ? `${Array.isArray(previous) ? previous.join(', ') : previous}, ${peer}` : peer;
      headers['x-real-ip'] = peer;
      headers['x-forwarded-host'] = req.headers.host ?? '';
      headers['x-forwarded-port'] = String(req.socket.localPort ?? '');
      headers['x-forwarded-proto'] = 'http';
      headers['x-scheme'] = 'http';
      headers['x-request-id'] = requestId;
      const backendTls = opts.backendTls?.(_ref);
      const dial = { host: opts.network ? opts.network.dialAddressOf(target.ip) : target.ip, port: target.port, method: req.method, path: req.url, headers, localAddress: opts.sourceAddress, timeout: upstreamTimeoutMs };
      const upstream = backendTls
        ? https.request({
          ...dial, agent: tlsAgent, cert: backendTls.certPem, key: backendTls.keyPem, ca: backendTls.caPem,
          rejectUnauthorized: backendTls.verify,
          // proxy_ssl_name: the name checked against the backend's certificate (and sent as SNI).
          servername: backendTls.serverName,
          checkServerIdentity: (_host, cert) => (backendTls.verify ? tls.checkServerIdentity(backendTls.serverName ?? target.ip, cert) : undefined),
        })
        : http.request({ ...dial, agent });
      const address = `${target.ip}:${target.port}`;
      upstream.on('response', (up) => {
        const out: http.OutgoingHttpHeaders = { ...opts.responseHeaders };
        for (const [name, value] of Object.entries(up.headers)) if (!hopByHop.has(name) && value !== undefined) out[name] = value;
        if (opts.responseHeaders?.server) out.server = opts.responseHeaders.server;
        res.writeHead(up.statusCode ?? 502, out);
        let bytes = 0;
        up.on('data', (chunk: Buffer) => (bytes += chunk.length));
        up.pipe(res);
        up.on('end', () => finish(up.statusCode ?? 502, bytes, upstreamName, address, String(up.statusCode)));
        up.on('error', () => res.destroy());
      });
      upstream.on('timeout', () => upstream.destroy(Object.assign(new Error('upstream timed out'), { code: 'ETIMEDOUT' })));
      upstream.on('error', (err: NodeJS.ErrnoException) => {
        // A kept-alive connection closed by the peer between requests: retry once on a fresh connection, as nginx
        // does with proxy_next_upstream for idempotent requests.
        if (upstream.reusedSocket && !retried && !res.headersSent && err.code === 'ECONNRESET') {
          forward(req, res, _ref, target, true);
          return;
        }
        sendError(err.code === 'ETIMEDOUT' ? 504 : 502, upstreamName, address, err.code === 'ETIMEDOUT' ? '504' : '502');
      });
      if (retried) upstream.end(bufferedBody(req));
      else {
        const chunks: Buffer[] = [];
        req.on('data', (chunk: Buffer) => chunks.push(chunk));
        req.on('end', () => bodies.set(req, Buffer.concat(chunks)));
        req.pipe(upstream);
      }
    }
  });
  server.keepAliveTimeout = 75_000; // nginx keepalive_timeout

  const port = await listenWithFallback(server, opts.listenHost, opts.preferredPort);
  return {
    host: opts.listenHost,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
        tlsAgent.destroy();
      }),
  };
}

const bodies = new WeakMap<http.IncomingMessage, Buffer>();

function bufferedBody(req: http.IncomingMessage): Buffer | undefined {
  return bodies.get(req);
}

/** An nginx-style HTML error page (`<hr><center>nginx</center>`), also used with AppGW's server token. */
export function htmlErrorPage(status: number, serverToken: string, headers: http.OutgoingHttpHeaders): ErrorPage {
  const text = statusText[status] ?? http.STATUS_CODES[status] ?? 'Error';
  const body = `<html>\r\n<head><title>${status} ${text}</title></head>\r\n<body>\r\n<center><h1>${status} ${text}</h1></center>\r\n<hr><center>${serverToken}</center>\r\n</body>\r\n</html>\r\n`;
  return { status, headers: { 'content-type': 'text/html', ...headers }, body };
}

const statusText: Record<number, string> = { 502: 'Bad Gateway', 503: 'Service Temporarily Unavailable', 504: 'Gateway Time-out', 404: 'Not Found' };
