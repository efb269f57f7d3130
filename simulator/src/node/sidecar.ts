/**
 * The Envoy sidecar emulation. Without network namespaces there is no iptables redirection, so the sidecar itself
 * owns podIP:<containerPort> of every app port (the app listens on a private port, see PortPlan) and forwards
 * allowed connections to the app. Each new connection is checked against the mesh's inbound policy, with the peer's
 * loopback address translated to its cluster address; a denied connection is reset, which is what makes the ingress
 * answer 502 before an IngressBackend exists.
 */
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { Duplex } from 'node:stream';
import { randomUUID, X509Certificate } from 'node:crypto';
import type { InboundTransport, KubeObject, OutboundHandler, OutboundResponse } from '../cluster/types.ts';
import type { ContainerContext, PortPlan, RunningContainer } from './container.ts';
import { inProcessContainer } from './container.ts';
import { EnvoyStats } from './envoy-stats.ts';
import { field, nodeKinds } from './kinds.ts';
import { closeAll, trackConnection } from './proxy-listeners.ts';
import { listenOn } from './network.ts';
import { recordCondition, recordDelay } from '../condition-log.ts';
import { delay } from './delay.ts';
import type { EnvoySecret } from './envoy-secrets.ts';
import { renderCerts, renderConfigDump } from './envoy-secrets.ts';
import { networkError, sendDirect, sendHttp } from './outbound.ts';
import { askExternalAuthorization } from '../ext-authz/ext-authz-client.ts';

export const envoyAdminPort = 15000;
export const envoyMetricsPort = 15010;
/** The Envoy cluster OSM routes the Prometheus listener's scrapes through (pkg/constants EnvoyMetricsCluster). */
export const envoyMetricsCluster = 'envoy-metrics-cluster';

const hopByHop = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

/** What the mesh's control plane gives a sidecar besides its listeners: its SDS secrets (service certificate, roots). */
export interface SidecarOptions {
  /** The secrets the proxy receives over SDS once connected, for its namespace and service account. */
  secrets?: (namespace: string, serviceAccount: string) => Promise<EnvoySecret[]>;
  /**
   * The proxy's own certificate and key with the root that verifies its peers: what an ingress filter chain that
   * terminates TLS serves (OSM: an IngressBackend backend with `protocol: https`). Absent: such a chain cannot
   * complete a handshake.
   */
  serverTls?: (namespace: string, serviceAccount: string) => Promise<{ certPem: string; keyPem: string; caPem: string }>;
}

/**
 * Starts the sidecar for a pod: inbound listeners, admin on 15000 (bound to the pod's localhost, as OSM's bootstrap
 * binds it to 127.0.0.1: only a port-forward reaches it), and 15010 when the pod asks to be scraped.
 */
export async function startSidecar(ctx: ContainerContext, opts: SidecarOptions = {}): Promise<RunningContainer> {
  const pod = ctx.pod;
  const ns = pod.metadata.namespace ?? 'default';
  const neverReady = ctx.hooks.node.sidecarNeverReady;
  const serviceAccount = field<string>(field(pod, 'spec'), 'serviceAccountName') ?? 'default';
  const stats = new EnvoyStats(`${serviceAccount}.${ns}`);
  const servers: net.Server[] = [];
  const log = (level: string, source: string, message: string): void =>
    ctx.log(`[${envoyTime(ctx.clock())}][1][${level}][${source}] ${message}`);

  log('info', 'main', '[source/server/server.cc:390] initializing epoch 0 (base id=0, hot restart version=11.104)');
  log('info', 'main', `[source/server/server.cc:392] statically linked extensions: envoy.filters.http: envoy.filters.http.rbac, envoy.filters.http.router`);
  log('info', 'config', '[source/server/configuration_impl.cc:103] loading tracing configuration');
  log('info', 'config', '[source/server/configuration_impl.cc:131] loading 0 static secret(s)');

  const appPorts = ctx.ports.filter((p) => p.containerName !== ctx.container.name);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const secrets: EnvoySecret[] = [];
  // OSM's bootstrap names the node `<proxy uuid>.<kind>.<sa>.<ns>.<trust domain>` and the cluster `<sa>.<ns>`.
  const node = { id: `${pod.metadata.labels?.['osm-proxy-uuid'] ?? pod.metadata.name ?? ''}.sidecar.${serviceAccount}.${ns}.cluster.local`, cluster: `${serviceAccount}.${ns}` };

  if (!neverReady && ctx.timings.sidecarReadyMs > 0) {
    // Envoy connecting to osm-controller and receiving its first xDS config (timings.ts `sidecarReadyMs`).
    recordDelay('sidecarReady', pod, ctx.timings.sidecarReadyMs);
    await delay(ctx.timings.sidecarReadyMs);
  }
  try {
    if (!neverReady) {
      const serverTls = opts.serverTls ? () => opts.serverTls!(ns, serviceAccount) : undefined;
      for (const plan of appPorts) servers.push(await startInbound(ctx, plan, stats, agent, log, serverTls));
    } else {
      log('warning', 'config', '[source/common/config/grpc_stream.h:201] StreamAggregatedResources gRPC config stream to osm-controller closed since 0s ago: 14, upstream connect error or disconnect/reset before headers. reset reason: connection failure');
    }
    servers.push(await startAdmin(ctx, stats, neverReady, appPorts, { node, secrets }));
    const scrape = pod.metadata.annotations?.['prometheus.io/scrape'] === 'true';
    if (scrape && !neverReady && !ctx.hooks.node.sidecarServesNoMetrics) {
      // OSM's Prometheus listener routes /stats/prometheus to the admin port through the cluster
      // `envoy-metrics-cluster` (osm pkg/envoy/lds getPrometheusConnectionManager, pkg/constants EnvoyMetricsCluster):
      // every scrape is an upstream request of that cluster, counted once it has been answered (the response being
      // rendered does not include itself).
      const metricsCluster = stats.cluster(envoyMetricsCluster);
      servers.push(await startHttp(ctx.podIP, envoyMetricsPort, (req, res) => {
        metricsCluster.rqTotal++;
        metricsCluster.rqActive++;
        res.once('close', () => {
          metricsCluster.rqActive--;
          if (!ctx.hooks.node.sidecarStatsFrozen) metricsCluster.countResponse(res.statusCode);
        });
        serveMetrics(req, res, stats);
        recordCondition('metrics-scraped', pod);
      }));
    }
  } catch (err) {
    await closeAll(servers);
    agent.destroy();
    throw err;
  }
  if (!neverReady && opts.secrets) {
    // SDS: the certificates arrive over the ADS stream after the first config; Envoy shows them once received.
    opts.secrets(ns, serviceAccount).then((got) => {
      secrets.push(...got);
      log('info', 'secret', `[source/common/secret/sds_api.cc:71] ${got.map((s) => s.name).join(', ')}: secret updated`);
    }, (err: unknown) => log('warning', 'secret', `[source/common/secret/sds_api.cc:88] SDS update failed: ${String(err)}`));
  }
  // The outbound listener (15001, where osm-init redirects the pod's own connections) is up with the configuration.
  if (!neverReady && ctx.policy.outbound) ctx.network.setOutbound(ctx.podIP, outboundHandler(ctx, log));
  if (!neverReady) log('info', 'upstream', '[source/common/upstream/cluster_manager_impl.cc:205] cm init: all clusters initialized');
  if (!neverReady) log('info', 'main', '[source/server/server.cc:868] all clusters initialized. initializing init manager');
  if (!neverReady) log('info', 'config', '[source/server/listener_manager_impl.cc:841] all dependencies initialized. starting workers');

  return inProcessContainer(async () => {
    log('warning', 'main', '[source/server/server.cc:760] caught SIGTERM');
    // iptables still redirects the pod's connections to 15001, where nothing listens any more.
    if (ctx.network.outboundOf(ctx.podIP) !== undefined) ctx.network.setOutbound(ctx.podIP, 'refused');
    await closeAll(servers);
    agent.destroy();
  }, !neverReady);
}

/** The inbound listener of one app port: policy per connection (and again per request), then HTTP/1.1 proxying. */
async function startInbound(
  ctx: ContainerContext,
  plan: PortPlan,
  stats: EnvoyStats,
  agent: http.Agent,
  log: (level: string, source: string, message: string) => void,
  serverTls?: () => Promise<{ certPem: string; keyPem: string; caPem: string }>,
): Promise<net.Server> {
  const port = plan.containerPort;
  /** The peer of a connection: a TLS session's is the one of the TCP connection it runs on. */
  const peerOf = (socket: net.Socket): string => tlsPeers.get(socket) ?? ctx.network.clusterAddressOf(socket.remoteAddress ?? '');
  const allowed = (socket: net.Socket): boolean =>
    // `undefined` (no configuration for the port yet) denies too: Envoy has no listener filter chain to match.
    ctx.policy.inboundAllowed(ctx.pod, port, peerOf(socket)) === true;
  /** The transport a connection's filter chain had when it was accepted (plain or TLS). */
  const chainOf = (socket: net.Socket): string => (tlsPeers.has(socket) ? 'tls' : 'plain');
  const http1 = http.createServer((req, res) => {
    const transport = ctx.policy.inboundTransport?.(ctx.pod, port, peerOf(req.socket));
    if (!allowed(req.socket) || (transport && transport.kind !== chainOf(req.socket))) {
      // The policy changed under a kept-alive connection (it is denied now, or its filter chain changed between plain
      // and TLS): Envoy drains it on the listener update.
      stats.rbacDenied++;
      resetConnection(req.socket);
      return;
    }
    // The HTTP filters: route match and the route's RBAC (non-permissive mode).
    const peer = peerOf(req.socket);
    const headers: Record<string, string | string[] | undefined> = {};
    for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase()] = v;
    const denied = principalDenials.get(req.socket);
    const reply = denied
      ? { status: 403, body: 'RBAC: access denied', reason: denied }
      : ctx.policy.inboundRequest?.(ctx.pod, port, peer, { method: req.method ?? 'GET', path: (req.url ?? '/').split('?')[0] ?? '/', headers });
    if (reply) {
      if (reply.status === 403) stats.rbacDenied++;
      if (denied) recordCondition('principal-refused', ctx.pod);
      localReply(req, res, reply.status, reply.body);
      log('debug', 'rbac', `[source/extensions/filters/http/rbac/rbac_filter.cc:139] local reply ${reply.status}: ${reply.reason} (peer ${peer})`);
      return;
    }
    // The ext_authz filter (MeshConfig inboundExternalAuthorization): a Check per request before the router.
    const authz = ctx.policy.externalAuthorization?.(ctx.pod, port);
    if (!authz) {
      proxy(ctx, plan, stats, agent, req, res);
      return;
    }
    const flat: Record<string, string> = {};
    for (const [k, v] of Object.entries(headers)) if (v !== undefined) flat[k] = Array.isArray(v) ? v.join(',') : v;
    void askExternalAuthorization(ctx.store, ctx.podIP, ctx.pod.metadata.namespace ?? 'default', authz, { method: req.method ?? 'GET', path: req.url ?? '/', headers: flat }, (a) => ctx.network.dialAddressOf(a)).then((verdict) => {
      if (verdict.kind === 'allowed' || (verdict.kind === 'error' && authz.failureModeAllow)) {
        if (verdict.kind === 'error') log('debug', 'ext_authz', `[source/extensions/filters/http/ext_authz/ext_authz.cc:344] ${authz.statPrefix}: check failed (${verdict.reason}); failure_mode_allow: request let through`);
        proxy(ctx, plan, stats, agent, req, res);
        return;
      }
      // Denied, or the check failed while failing closed: Envoy's 403 (status_on_error defaults to Forbidden), no body.
      localReply(req, res, 403, '');
      log('debug', 'ext_authz', `[source/extensions/filters/http/ext_authz/ext_authz.cc:316] ${authz.statPrefix}: ${verdict.kind === 'denied' ? 'request denied by the authorization service' : `check failed (${verdict.reason}), request rejected`} (peer ${peer})`);
    });
  });
  http1.keepAliveTimeout = 60_000;
  // The HTTP server never listens: closeAll ends these sockets (node/proxy-listeners.ts).
  const tcp: net.Server = net.createServer((socket) => {
    trackConnection(tcp, socket);
    stats.downstreamCxTotal++;
    const peer = ctx.network.clusterAddressOf(socket.remoteAddress ?? '');
    if (!allowed(socket)) {
      stats.rbacDenied++;
      log('debug', 'rbac', `[source/extensions/filters/network/rbac/rbac_filter.cc:115] [C${stats.downstreamCxTotal}] enforced denied, matched policy none (peer ${peer})`);
      socket.resetAndDestroy();
      return;
    }
    const transport = ctx.policy.inboundTransport?.(ctx.pod, port, peer);
    if (transport?.kind !== 'tls') {
      // A plain HTTP chain: a TLS ClientHello is no HTTP request, so the codec answers 400 and closes (the client's
      // handshake fails).
      http1.emit('connection', socket);
      return;
    }
    terminateTls(socket, transport, peer, serverTls, (secured) => http1.emit('connection', secured), (why) => {
      stats.rbacDenied++;
      log('debug', 'connection', `[source/common/tls/ssl_socket.cc:245] [C${stats.downstreamCxTotal}] remote address:${peer},TLS_error: ${why}`);
    });
  });
  await listenOn(tcp, ctx.podIP, port);
  return tcp;
}

/** An Envoy local reply (the filter chain answers; nothing reaches the app). */
function localReply(req: http.IncomingMessage, res: http.ServerResponse, status: number, body: string): void {
  req.resume();
  res.writeHead(status, { 'content-length': Buffer.byteLength(body), ...(body ? { 'content-type': 'text/plain' } : {}), date: new Date().toUTCString(), server: 'envoy' });
  res.end(req.method === 'HEAD' ? '' : body);
}

/** The cluster address of the TCP connection each TLS session runs on. */
const tlsPeers = new WeakMap<net.Socket, string>();
/** The TCP connection each TLS session runs on. */
const tlsConnections = new WeakMap<net.Socket, net.Socket>();

/** Resets the TCP connection under a request's socket (a TLS session's own socket cannot send a reset). */
function resetConnection(socket: net.Socket): void {
  const tcp = tlsConnections.get(socket) ?? socket;
  tcp.resetAndDestroy();
  if (tcp !== socket) socket.destroy();
}
/** TLS sessions whose client certificate carries none of the chain's principals: each request gets the RBAC filter's 403. */
const principalDenials = new WeakMap<net.Socket, string>();
const tlsHandshakeRecord = 0x16;

/**
 * A TLS filter chain (tls_inspector picked it): the first bytes must open a TLS handshake, or the connection matches
 * no filter chain and is closed (plain HTTP to an https backend). The handshake requires a client certificate that
 * chains to the mesh's root when the chain asks for one; its SANs are then the principals the RBAC filter checks.
 */
function terminateTls(
  socket: net.Socket,
  transport: Extract<InboundTransport, { kind: 'tls' }>,
  peer: string,
  serverTls: (() => Promise<{ certPem: string; keyPem: string; caPem: string }>) | undefined,
  serve: (secured: net.Socket) => void,
  refuse: (why: string) => void,
): void {
  socket.once('data', (first: Buffer) => {
    socket.pause();
    if (first[0] !== tlsHandshakeRecord) {
      refuse('no filter chain matched a non-TLS connection (plain HTTP to an https backend)');
      socket.resetAndDestroy();
      return;
    }
    if (!serverTls) {
      refuse('no certificate to serve');
      socket.resetAndDestroy();
      return;
    }
    serverTls().then((identity) => {
      // The session reads what was already taken off the connection, then the rest: a stream over the socket.
      const carrier = new Duplex({
        read() {
          socket.resume();
        },
        write(chunk: Buffer, _enc, cb) {
          socket.write(chunk, cb);
        },
        final(cb) {
          socket.end();
          cb();
        },
        destroy(err, cb) {
          socket.destroy();
          cb(err);
        },
      });
      carrier.push(first);
      socket.on('data', (chunk: Buffer) => {
        if (!carrier.push(chunk)) socket.pause();
      });
      socket.on('end', () => carrier.push(null));
      socket.on('error', () => carrier.destroy());
      socket.on('close', () => carrier.destroy());
      const session = new tls.TLSSocket(carrier, {
        isServer: true,
        secureContext: tls.createSecureContext({ cert: identity.certPem, key: identity.keyPem, ca: identity.caPem }),
        requestCert: transport.requireClientCert,
        rejectUnauthorized: transport.requireClientCert,
      });
      tlsPeers.set(session, peer);
      tlsConnections.set(session, socket);
      session.on('error', (err: Error) => {
        refuse(err.message);
        socket.resetAndDestroy();
      });
      session.once('secure', () => {
        if (transport.requireClientCert) {
          // The downstream TLS context's validation (a TLSSocket made outside a tls.Server does not judge it itself):
          // a client certificate, issued by the mesh's root and valid now.
          const problem = clientCertificateProblem(session.getPeerX509Certificate(), identity.caPem);
          if (problem) {
            refuse(`client certificate rejected: ${problem}`);
            socket.resetAndDestroy();
            return;
          }
          const sans = dnsNames(session.getPeerCertificate().subjectaltname);
          if (!sans.some((san) => transport.principals.includes(san))) {
            principalDenials.set(session, `client certificate ${sans.join(', ') || 'without a DNS SAN'} matches no principal (${transport.principals.join(', ')})`);
          }
        }
        serve(session);
      });
    }, (err: unknown) => {
      refuse(String(err));
      socket.resetAndDestroy();
    });
  });
}

/** Why a client certificate does not verify against the root (undefined: it does). */
function clientCertificateProblem(cert: X509Certificate | undefined, rootPem: string): string | undefined {
  if (!cert) return 'none presented';
  const root = new X509Certificate(rootPem);
  if (!cert.checkIssued(root) || !cert.verify(root.publicKey)) return `${cert.subject.replace(/\n/g, ', ')} is not issued by the mesh's root`;
  const now = Date.now();
  if (now < Date.parse(cert.validFrom) || now > Date.parse(cert.validTo)) return `it is not valid now (${cert.validFrom} to ${cert.validTo})`;
  return undefined;
}

/** `DNS:a, DNS:b, URI:…` → the DNS names. */
function dnsNames(subjectAltName: string | undefined): string[] {
  return (subjectAltName ?? '').split(',').map((s) => s.trim()).filter((s) => s.startsWith('DNS:')).map((s) => s.slice(4));
}

function proxy(ctx: ContainerContext, plan: PortPlan, stats: EnvoyStats, agent: http.Agent, req: http.IncomingMessage, res: http.ServerResponse, retried = false): void {
  const clusterName = localClusterName(ctx, plan);
  const cluster = stats.cluster(clusterName);
  const started = performance.now();
  const headers: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(req.headers)) if (!hopByHop.has(name) && value !== undefined) headers[name] = value;
  headers['x-forwarded-proto'] ??= 'http';
  headers['x-request-id'] ??= randomUUID();
  if (!retried) {
    cluster.rqTotal++;
    cluster.rqActive++;
  }
  const done = (code: number, bytesSent: number, flags: string): void => {
    cluster.rqActive--;
    // metrics-miss-ingress-traffic: the app's traffic (all of it comes through the ingress here) is never counted.
    if (!ctx.hooks.node.sidecarStatsFrozen && !ctx.hooks.node.sidecarMissesIngressTraffic) cluster.countResponse(code);
    ctx.log(accessLog(ctx, req, code, flags, bytesSent, Math.round(performance.now() - started), clusterName, `${ctx.podIP}:${plan.listenPort}`, String(headers['x-request-id'])));
  };

  const upstream = http.request({ host: ctx.podIP, port: plan.listenPort, method: req.method, path: req.url, headers, agent, localAddress: ctx.podIP });
  upstream.on('socket', (socket) => {
    if (!upstreamSockets.has(socket)) {
      upstreamSockets.add(socket);
      socket.once('connect', () => cluster.trackConnection(socket));
    }
  });
  upstream.on('response', (up) => {
    const out: http.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(up.headers)) if (!hopByHop.has(name) && value !== undefined) out[name] = value;
    out['x-envoy-upstream-service-time'] = String(Math.round(performance.now() - started));
    out.server = 'envoy';
    res.writeHead(up.statusCode ?? 502, out);
    let bytes = 0;
    up.on('data', (chunk: Buffer) => (bytes += chunk.length));
    up.pipe(res);
    up.on('end', () => done(up.statusCode ?? 502, bytes, '-'));
    up.on('error', () => {
      cluster.rqRxReset++;
      res.destroy();
    });
  });
  upstream.on('error', (err: NodeJS.ErrnoException) => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    // A kept-alive connection the app had already closed: Envoy retries such resets on a fresh connection.
    if (upstream.reusedSocket && !retried && err.code === 'ECONNRESET') {
      proxy(ctx, plan, stats, agent, req, res, true);
      return;
    }
    const refused = err.code === 'ECONNREFUSED';
    if (refused) cluster.cxConnectFail++;
    const body = refused
      ? 'upstream connect error or disconnect/reset before headers. reset reason: connection failure, transport failure reason: delayed connect error: 111'
      : 'upstream connect error or disconnect/reset before headers. reset reason: connection termination';
    res.writeHead(503, { 'content-length': Buffer.byteLength(body), 'content-type': 'text/plain', date: new Date().toUTCString(), server: 'envoy' });
    res.end(body);
    done(503, Buffer.byteLength(body), refused ? 'UF' : 'UC');
  });
  if (retried) upstream.end();
  else req.pipe(upstream);
}

const upstreamSockets = new WeakSet<net.Socket>();

/** `<ns>/<svc>|<port>|local`, the name OSM gives the local cluster of an inbound port; the Service is found by selector. */
function localClusterName(ctx: ContainerContext, plan: PortPlan): string {
  const ns = ctx.pod.metadata.namespace ?? 'default';
  const labels = ctx.pod.metadata.labels ?? {};
  let serviceName: string | undefined;
  try {
    const services = ctx.store.list(nodeKinds(ctx.store).service, { namespace: ns }).items;
    serviceName = services.find((svc) => servesPort(svc, labels, plan))?.metadata.name;
  } catch {
    serviceName = undefined;
  }
  return `${ns}/${serviceName ?? labels.app ?? ctx.pod.metadata.name}|${plan.containerPort}|local`;
}

function servesPort(svc: KubeObject, labels: Record<string, string>, plan: PortPlan): boolean {
  const spec = field<{ selector?: Record<string, string>; ports?: { port: number; targetPort?: number | string }[] }>(svc, 'spec');
  const selector = spec?.selector;
  if (!selector || !Object.keys(selector).length) return false;
  if (!Object.entries(selector).every(([k, v]) => labels[k] === v)) return false;
  return (spec.ports ?? []).some((p) => {
    const target = p.targetPort ?? p.port;
    return typeof target === 'number' ? target === plan.containerPort : target === plan.name;
  });
}

async function startAdmin(ctx: ContainerContext, stats: EnvoyStats, neverReady: boolean, appPorts: PortPlan[], sds: { node: { id: string; cluster: string }; secrets: EnvoySecret[] }): Promise<net.Server> {
  const handler: http.RequestListener = (req, res) => {
    const [path, search] = (req.url ?? '/').split('?');
    if (path === '/ready') {
      const text = neverReady ? 'PRE_INITIALIZING\n' : 'LIVE\n';
      res.writeHead(neverReady ? 503 : 200, { 'content-type': 'text/plain; charset=UTF-8', server: 'envoy' });
      res.end(text);
    } else if (path === '/stats/prometheus') {
      serveMetrics(req, res, stats);
    } else if (path === '/stats') {
      res.writeHead(200, { 'content-type': 'text/plain; charset=UTF-8', server: 'envoy' });
      res.end(stats.renderPlain());
    } else if (path === '/clusters') {
      for (const plan of appPorts) stats.cluster(localClusterName(ctx, plan));
      const hosts = new Map(appPorts.map((p) => [localClusterName(ctx, p), `${ctx.podIP}:${p.listenPort}`]));
      res.writeHead(200, { 'content-type': 'text/plain; charset=UTF-8', server: 'envoy' });
      res.end(stats.renderClusters((name) => hosts.get(name) ?? '127.0.0.1:0'));
    } else if (path === '/server_info') {
      res.writeHead(200, { 'content-type': 'application/json', server: 'envoy' });
      res.end(JSON.stringify({ version: '1.22.2/Clean/RELEASE/BoringSSL', state: neverReady ? 'PRE_INITIALIZING' : 'LIVE' }, null, 2));
    } else if (path === '/config_dump') {
      res.writeHead(200, { 'content-type': 'application/json', server: 'envoy' });
      res.end(renderConfigDump(sds.node, sds.secrets, new URLSearchParams(search ?? '')));
    } else if (path === '/certs') {
      res.writeHead(200, { 'content-type': 'application/json', server: 'envoy' });
      res.end(renderCerts(sds.secrets, ctx.clock()));
    } else {
      res.writeHead(404, { 'content-type': 'text/plain; charset=UTF-8', server: 'envoy' });
      res.end('invalid path. admin commands are:\n  /certs\n  /clusters\n  /config_dump\n  /ready\n  /server_info\n  /stats\n  /stats/prometheus\n');
    }
  };
  const server = http.createServer(handler);
  if (ctx.listenLocal) await ctx.listenLocal(server, envoyAdminPort);
  else await listenOn(server, ctx.podIP, envoyAdminPort);
  return server;
}

function serveMetrics(req: http.IncomingMessage, res: http.ServerResponse, stats: EnvoyStats): void {
  const text = stats.renderPrometheus();
  res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'content-length': Buffer.byteLength(text), server: 'envoy' });
  res.end(req.method === 'HEAD' ? undefined : text);
}

async function startHttp(host: string, port: number, handler: http.RequestListener): Promise<net.Server> {
  const server = http.createServer(handler);
  await listenOn(server, host, port);
  return server;
}


/** OSM's JSON access log format for Envoy. */
function accessLog(ctx: ContainerContext, req: http.IncomingMessage, code: number, flags: string, bytesSent: number, durationMs: number, cluster: string, upstreamHost: string, requestId: string): string {
  return JSON.stringify({
    start_time: ctx.clock().toISOString(),
    method: req.method,
    path: req.url,
    protocol: `HTTP/${req.httpVersion}`,
    response_code: code,
    response_code_details: flags === '-' ? 'via_upstream' : 'upstream_reset_before_response_started{connection_failure}',
    time_to_first_byte: durationMs,
    upstream_cluster: cluster,
    response_flags: flags,
    bytes_received: Number(req.headers['content-length'] ?? 0),
    bytes_sent: bytesSent,
    duration: durationMs,
    upstream_service_time: String(durationMs),
    x_forwarded_for: req.headers['x-forwarded-for'] ?? null,
    user_agent: req.headers['user-agent'] ?? null,
    request_id: requestId,
    requested_server_name: null,
    authority: req.headers.host ?? null,
    upstream_host: upstreamHost,
  });
}

function envoyTime(d: Date): string {
  return d.toISOString().replace('T', ' ').replace('Z', '');
}

/** An Envoy local reply on the outbound side (503 UF/UC, no healthy upstream). */
function localOutboundReply(status: number, body: string): OutboundResponse {
  return { status, headers: { 'content-length': String(Buffer.byteLength(body)), 'content-type': 'text/plain', date: new Date().toUTCString(), server: 'envoy' }, body: Buffer.from(body) };
}

/**
 * The outbound listener: what osm-controller's configuration says about a request to a Service (ctx.policy.outbound):
 * to an endpoint (over the mesh: the server sidecar sees this pod's address, standing for its certificate), out
 * through the egress passthrough, a local reply, or a closed connection.
 */
function outboundHandler(ctx: ContainerContext, log: (level: string, source: string, message: string) => void): OutboundHandler {
  return async (req) => {
    const route = ctx.policy.outbound!(ctx.pod, req.host, req.port);
    log('debug', 'router', `[source/common/router/router.cc:470] outbound ${req.method} ${req.host}:${req.port}${req.path}: ${route.kind} (${route.reason})`);
    switch (route.kind) {
      case 'refused':
        throw networkError('ECONNREFUSED', route.reason);
      case 'reset':
        throw networkError('ECONNRESET', route.reason);
      case 'local':
        return localOutboundReply(route.status, route.body);
      case 'passthrough':
        return sendDirect(ctx.store, req, (a) => ctx.network.dialAddressOf(a));
      case 'upstream': {
        const started = performance.now();
        try {
          const res = await sendHttp(req, ctx.network.dialAddressOf(route.address), route.port);
          return { ...res, headers: { ...res.headers, 'x-envoy-upstream-service-time': String(Math.round(performance.now() - started)), server: 'envoy' } };
        } catch (err) {
          const refused = (err as NodeJS.ErrnoException).code === 'ECONNREFUSED';
          return localOutboundReply(503, refused
            ? 'upstream connect error or disconnect/reset before headers. reset reason: connection failure'
            : 'upstream connect error or disconnect/reset before headers. reset reason: connection termination');
        }
      }
    }
  };
}
