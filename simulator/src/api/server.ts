/**
 * The simulated cluster's HTTPS API server: what kubectl, client-node and the harness talk to.
 * A thin layer over the ObjectStore: bearer-token authentication, discovery, OpenAPI, resource
 * verbs with Table output and watches, the API hooks (src/hooks.ts), and a request log.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { LogSource, ObjectStore } from '../cluster/types.ts';
import { ApiError } from '../cluster/types.ts';
import type { ApiHooks } from '../hooks.ts';
import { noHooks } from '../hooks.ts';
import { apiGroupDocument, apiGroupList, apiResourceList, apiVersions } from './discovery.ts';
import { notFoundPath, sendJson, toApiError } from './http-util.ts';
import { OpenApiDocuments } from './openapi.ts';
import type { ServedDocument } from './openapi.ts';
import { parseResourcePath, splitApiPath } from './paths.ts';
import type { ProxyHandler, ProxyTarget } from './resource-handler.ts';
import { handleResource, proxyTargetOf, renderFailure } from './resource-handler.ts';
import { RequestLog, createdBy, verbOf } from './request-log.ts';
import { createServingCertificate } from './tls.ts';

export type { ProxyHandler, ProxyTarget } from './resource-handler.ts';
export type { RequestLogEntry } from './request-log.ts';

/**
 * A pluggable handler for upgrade requests: `pods/portforward` (SPDY or WebSocket) and upgraded proxy requests.
 * Returns the status it answered (for the request log; 101 when it switched protocols).
 */
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer, target: ProxyTarget) => number;

export interface ApiServerOptions {
  store: ObjectStore;
  /** Extension points consulted before routing and when a watch opens; default: none changes anything. */
  hooks?: ApiHooks;
  /** Answers `pods/log`. Without it, logs are empty. */
  logs?: LogSource;
  /** `services/<name>[:port]/proxy/...`; without it: 503. */
  serviceProxy?: ProxyHandler;
  /** `pods/<name>[:port]/proxy/...`; without it: 503. */
  podProxy?: ProxyHandler;
  /** `pods/<name>/portforward` upgrade requests; without it: 404 Status. */
  podPortForward?: UpgradeHandler;
  /** Defaults to 0 (any free port). */
  port?: number;
  /** Defaults to 127.0.0.1. */
  host?: string;
  /** Reported by /version (and in the OpenAPI documents); defaults to v1.29.2. A simulated cluster passes its flavor's. */
  gitVersion?: string;
  /** The bearer token clients must present; a random one by default. */
  token?: string;
  /** Mirror the request log to this JSONL file. */
  requestLogFile?: string;
  /** Entries kept in memory (default 2000). */
  requestLogCapacity?: number;
  /** How often watches that allow bookmarks get one (default 60 s, the watch cache's bookmark frequency). */
  bookmarkIntervalMs?: number;
}

export interface ApiServer {
  /** https://127.0.0.1:<port> */
  url: string;
  caPem: string;
  token: string;
  requestLog: RequestLog;
  close(): Promise<void>;
}

function unauthorized(): ApiError {
  return new ApiError(401, 'Unauthorized', 'Unauthorized');
}

function tokenMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? '');
  if (!m) return false;
  const given = Buffer.from(m[1]!.trim());
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}

/** What `/openapi/v2` answers per Accept clause (kube-openapi handler.go): JSON, or gnostic protobuf under either name. */
const openApiV2MediaTypes = [
  { subtype: 'json', contentType: 'application/json', format: 'json' },
  { subtype: 'com.github.proto-openapi.spec.v2@v1.0+protobuf', contentType: 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf', format: 'proto' },
  { subtype: 'com.github.proto-openapi.spec.v2.v1.0+protobuf', contentType: 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf', format: 'proto' },
] as const;
/** `/openapi/v3/...` is served as JSON only (kube-apiserver also offers gnostic's OpenAPIv3 protobuf; see README). */
const openApiV3MediaTypes = [{ subtype: 'json', contentType: 'application/json', format: 'json' }] as const;
type OpenApiMediaType = (typeof openApiV2MediaTypes)[number] | (typeof openApiV3MediaTypes)[number];

/** Accept clauses in goautoneg's order: by q, then specific before wildcard; `q=0` clauses dropped. */
export function acceptClauses(header: string | undefined): { type: string; subtype: string }[] {
  const clauses = (header && header.trim() !== '' ? header : '*/*').split(',').map((raw, index) => {
    const [range = '', ...params] = raw.split(';').map((p) => p.trim());
    const [type = '', subtype = ''] = range.split('/');
    const qParam = params.find((p) => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    return { type, subtype, q: Number.isFinite(q) ? q : 1, index };
  }).filter((c) => c.q > 0 && c.type !== '');
  const wildcards = (c: { type: string; subtype: string }) => (c.type === '*' ? 2 : 0) + (c.subtype === '*' ? 1 : 0);
  return clauses.sort((a, b) => b.q - a.q || wildcards(a) - wildcards(b) || a.index - b.index);
}

/**
 * Answers an OpenAPI document as kube-openapi's handlers do: the first Accept clause the server can produce picks the
 * format; none matching is a bare 406; `Etag` (the SHA-512 of the JSON), `Vary: Accept` and `If-None-Match` (304).
 */
function serveOpenApi(req: IncomingMessage, res: ServerResponse, doc: ServedDocument, offers: readonly OpenApiMediaType[], extraHeaders: Record<string, string> = {}): void {
  for (const clause of acceptClauses(req.headers.accept)) {
    const offer = offers.find((o) => (clause.type === '*' || clause.type === 'application') && (clause.subtype === '*' || clause.subtype === o.subtype));
    if (!offer) continue;
    const body = offer.format === 'proto' ? doc.proto! : doc.json;
    const etag = `"${doc.etag}"`;
    const headers = { 'Content-Type': offer.contentType, Etag: etag, Vary: 'Accept', 'Last-Modified': doc.lastModified.toUTCString(), 'Cache-Control': 'no-cache, private', ...extraHeaders };
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Length': body.length });
    res.end(body);
    return;
  }
  res.writeHead(406, { Vary: 'Accept', 'Cache-Control': 'no-cache, private', 'Content-Length': 0 });
  res.end();
}

function versionInfo(gitVersion: string): Record<string, string> {
  const m = /^v(\d+)\.(\d+)/.exec(gitVersion);
  return {
    major: m?.[1] ?? '1', minor: m?.[2] ?? '29', gitVersion,
    gitCommit: '0000000000000000000000000000000000000000', gitTreeState: 'clean',
    buildDate: '2024-04-16T00:00:00Z', goVersion: 'go1.21.9', compiler: 'gc', platform: 'linux/amd64',
  };
}

/**
 * Starts the HTTPS API server on loopback. Use once per simulated cluster; pass `url`, `caPem`
 * and `token` to writeKubeconfig() so clients can reach it.
 */
export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  const { store } = opts;
  const token = opts.token ?? randomBytes(24).toString('base64url');
  const cert = await createServingCertificate();
  const hooks = opts.hooks ?? noHooks.api;
  const requestLog = new RequestLog(opts.requestLogCapacity, opts.requestLogFile);
  const gitVersion = opts.gitVersion ?? 'v1.29.2';
  const host = opts.host ?? '127.0.0.1';
  let serverAddress = `${host}:0`;

  const openApi = new OpenApiDocuments(store.types, gitVersion);
  const handlerOptions = {
    store, hooks,
    ...(opts.bookmarkIntervalMs !== undefined ? { bookmarkIntervalMs: opts.bookmarkIntervalMs } : {}),
    ...(opts.logs ? { logs: opts.logs } : {}),
    ...(opts.serviceProxy ? { serviceProxy: opts.serviceProxy } : {}),
    ...(opts.podProxy ? { podProxy: opts.podProxy } : {}),
  };

  async function route(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<void> {
    const method = req.method ?? 'GET';
    switch (path) {
      case '/healthz':
      case '/readyz':
      case '/livez':
        res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': 2 });
        res.end('ok');
        return;
      case '/version':
        return sendJson(res, 200, versionInfo(gitVersion));
      case '/api':
        return sendJson(res, 200, apiVersions(serverAddress));
      case '/apis':
        return sendJson(res, 200, apiGroupList(store.types));
      case '/openapi/v2':
        return serveOpenApi(req, res, openApi.v2(), openApiV2MediaTypes);
      case '/openapi/v3':
        return sendJson(res, 200, openApi.v3Index());
      default:
        break;
    }
    if (path.startsWith('/openapi/v3/')) {
      const gv = path.slice('/openapi/v3/'.length).replace(/\/+$/, '');
      const doc = openApi.v3(gv);
      if (!doc) throw notFoundPath();
      const hash = query.get('hash');
      if (hash && hash !== doc.etag) {
        res.writeHead(301, { Location: `/openapi/v3/${gv}?hash=${doc.etag}`, 'Content-Type': 'text/html; charset=utf-8', Vary: 'Accept' });
        res.end(`<a href="/openapi/v3/${gv}?hash=${doc.etag}">Moved Permanently</a>.\n`);
        return;
      }
      const cacheHeaders: Record<string, string> = hash ? { 'Cache-Control': 'public, immutable', Expires: new Date(Date.now() + 365 * 86_400_000).toUTCString() } : {};
      return serveOpenApi(req, res, doc, openApiV3MediaTypes, cacheHeaders);
    }
    const trimmed = path.replace(/\/+$/, '');
    const groupOnly = /^\/apis\/([^/]+)$/.exec(trimmed);
    if (groupOnly) {
      const doc = apiGroupDocument(store.types, groupOnly[1]!);
      if (!doc) throw notFoundPath();
      return sendJson(res, 200, doc);
    }
    const split = splitApiPath(path);
    if (split && split.segments.length === 0) {
      const doc = apiResourceList(store.types, split.group, split.version);
      if (!doc || method !== 'GET') throw notFoundPath();
      return sendJson(res, 200, doc);
    }
    const rp = parseResourcePath(store.types, path);
    if (!rp) throw notFoundPath();
    return handleResource(handlerOptions, req, res, rp, query);
  }

  const server = createServer({ cert: cert.certPem, key: cert.keyPem, ca: cert.caPem }, (req, res) => {
    const started = performance.now();
    const url = new URL(req.url ?? '/', 'https://localhost');
    let isWatch = false;
    res.on('finish', () => record());
    res.on('close', () => record());
    let recorded = false;
    const record = (): void => {
      if (recorded) return;
      recorded = true;
      const hasName = (parseResourcePath(store.types, url.pathname)?.name ?? undefined) !== undefined;
      requestLog.record({
        time: new Date().toISOString(),
        verb: verbOf(req.method ?? 'GET', hasName, isWatch),
        method: req.method ?? 'GET',
        path: `${url.pathname}${url.search}`,
        status: res.statusCode,
        durationMs: Math.round((performance.now() - started) * 10) / 10,
        userAgent: req.headers['user-agent'] ?? '',
        ...(createdBy(res) ? { created: createdBy(res) } : {}),
      });
    };
    isWatch = url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1' || /^\/apis?\/(?:[^/]+\/)?[^/]+\/watch\//.test(url.pathname);
    void (async () => {
      try {
        if (!tokenMatches(req.headers.authorization, token)) throw unauthorized();
        const injected = await hooks.beforeRequest(req);
        if (injected) throw injected;
        await route(req, res, url.pathname, url.searchParams);
      } catch (err) {
        const apiErr = toApiError(err);
        if (apiErr.code >= 500 && !(err instanceof ApiError)) console.error(`api: ${req.method} ${url.pathname} failed: ${apiErr.message}`);
        renderFailure(res, apiErr);
      }
    })();
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'https://localhost');
    const reject = (err: ApiError): void => {
      const body = JSON.stringify(err.toStatus());
      socket.end(`HTTP/1.1 ${err.code} ${err.reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    };
    if (!tokenMatches(req.headers.authorization, token)) return reject(unauthorized());
    const rp = parseResourcePath(store.types, url.pathname);
    if (!rp || rp.subresource !== 'portforward' || !rp.name) return reject(notFoundPath());
    if (!store.get(rp.type, rp.namespace, rp.name)) return reject(new ApiError(404, 'NotFound', `pods "${rp.name}" not found`, { name: rp.name, kind: 'pods' }));
    if (!opts.podPortForward) return reject(new ApiError(404, 'NotFound', 'port-forwarding is not available in this simulated cluster'));
    const status = opts.podPortForward(req, socket, head, proxyTargetOf(rp, req.url ?? ''));
    requestLog.record({ time: new Date().toISOString(), verb: 'create', method: req.method ?? 'GET', path: url.pathname, status, durationMs: 0, userAgent: req.headers['user-agent'] ?? '' });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  serverAddress = `${host}:${address.port}`;

  return {
    url: `https://${host}:${address.port}`,
    caPem: cert.caPem,
    token,
    requestLog,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      // Watches and keep-alive connections would hold close() open forever.
      server.closeAllConnections();
    }),
  };
}


