/**
 * The Istio sidecar (`istio-proxy` with `proxy sidecar`), emulated on the pod's real sockets. Without network
 * namespaces there is no iptables redirection, so the sidecar owns podIP:<containerPort> of every app port (the app
 * moves to a private port, see the kubelet's port plan) and does what Envoy's inbound listener does:
 * - no listener until the first configuration from istiod (the proxy is not ready: connections are refused);
 * - the TLS inspector: a TLS client hello is terminated with the workload certificate and the peer's verified, else
 *   plaintext; PeerAuthentication STRICT resets plaintext connections, DISABLE resets TLS ones;
 * - the RBAC filter: AuthorizationPolicy (authz.ts) with the peer principal (mTLS only), denied requests get 403
 *   `RBAC: access denied`;
 * - to the app: `X-Forwarded-Client-Cert` appended for an mTLS peer (APPEND_FORWARD), metadata-exchange headers
 *   removed; back: `server: istio-envoy`, `x-envoy-upstream-service-time`;
 * - the stats filter: istio_requests_total and istio_request_duration_milliseconds with reporter="destination".
 * Readiness (15021 `/healthz/ready`) follows the first configuration too; 15020/15090/15000 are the agent's and
 * Envoy's own ports (common.ts).
 */
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { randomUUID } from 'node:crypto';
import type { ContainerContext, PortPlan, RunningContainer } from '../../../node/container.ts';
import { inProcessContainer } from '../../../node/container.ts';
import { listenOn } from '../../../node/network.ts';
import { recordDelay } from '../../../condition-log.ts';
import { delay } from '../../../node/delay.ts';
import { applicablePolicies, evaluateAuthz } from '../authz.ts';
import { clusterId, istioVersion } from '../constants.ts';
import { peerAuthenticationMode } from '../mtls-policy.ts';
import { agentLine, closeAll, forwardable, hopByHop, istioNode, istioSecrets, localReply, startProxyPorts, trackConnection } from './common.ts';
import type { EnvoySecret } from '../../../node/envoy-secrets.ts';
import { IstioStats } from './istio-stats.ts';
import type { RequestLabels } from './istio-stats.ts';
import { certificateHash, peekFirstByte, serverSecureContext, spiffeUriOf, tlsHandshakeByte } from './mtls.ts';
import { peerIdHeader, peerMetadataHeader, readPeer } from './peer-metadata.ts';
import type { ProxyEnv } from './proxy-env.ts';
import { istioOutboundHandler } from './sidecar-outbound.ts';

const notReadyText = 'Envoy proxy is NOT ready: config not received from XDS server (is Istiod running?): cds updates: 0 successful, 0 rejected; lds updates: 0 successful, 0 rejected';

export async function startIstioSidecar(ctx: ContainerContext, env: ProxyEnv): Promise<RunningContainer> {
  const { view } = env;
  const pod = ctx.pod;
  const self = view.workloadOf(pod);
  const stats = new IstioStats(ctx.hooks.node.sidecarStatsFrozen);
  const neverReady = ctx.hooks.node.sidecarNeverReady;
  const log = (level: string, message: string): void => ctx.log(agentLine(ctx.clock(), level, message));
  let ready = false;
  let stopped = false;
  const servers: net.Server[] = [];
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

  log('info', `Version ${istioVersion}-simulated`);
  log('info', `Proxy role\tips=[${ctx.podIP}] type=sidecar id=${self.pod}.${self.namespace} domain=${self.namespace}.svc.cluster.local`);
  let secrets: EnvoySecret[] = [];
  servers.push(...await startProxyPorts({
    podIP: ctx.podIP, stats, version: istioVersion, ready: () => ready, serveMetrics: !ctx.hooks.node.sidecarServesNoMetrics, notReadyReason: () => notReadyText,
    node: istioNode('sidecar', ctx.podIP, self), secrets: () => secrets, clock: ctx.clock, ...(ctx.listenLocal ? { listenLocal: ctx.listenLocal } : {}),
  }));

  const appPorts = ctx.ports.filter((p) => p.containerName !== ctx.container.name);
  const whenReady = neverReady
    ? new Promise<void>(() => undefined)
    : (async () => {
        await env.configured();
        const cert = await env.ca.issue(self.namespace, self.serviceAccount);
        secrets = istioSecrets(cert, ctx.clock());
        log('info', `sds\tSDS: PUSH\tresource=default`);
        log('info', `sds\tSDS: PUSH\tresource=ROOTCA`);
        if (ctx.timings.sidecarReadyMs > 0) {
          recordDelay('sidecarReady', pod, ctx.timings.sidecarReadyMs);
          await delay(ctx.timings.sidecarReadyMs);
        }
        for (const plan of appPorts) {
          if (stopped) return;
          servers.push(await startInbound(ctx, env, plan, stats, agent, cert));
        }
        if (stopped) {
          await closeAll(servers);
          return;
        }
        ready = true;
        ctx.network.setOutbound(ctx.podIP, istioOutboundHandler(env, ctx.podIP, self, cert, (a) => ctx.network.dialAddressOf(a)));
        log('info', `ads\tADS: new connection for node:${self.pod}.${self.namespace}-1`);
        log('info', 'Readiness succeeded in 0.1s');
        log('info', 'Envoy proxy is ready');
      })();
  if (neverReady) log('warn', `Envoy proxy is NOT ready: config not received from XDS server (is Istiod running?)`);

  return {
    ...inProcessContainer(async () => {
      stopped = true;
      if (ctx.network.outboundOf(ctx.podIP) !== undefined) ctx.network.setOutbound(ctx.podIP, 'refused');
      log('info', 'Agent draining Proxy for termination');
      await closeAll(servers);
      agent.destroy();
    }),
    ready: false,
    whenReady,
  };
}

/** The inbound listener of one app port. */
async function startInbound(ctx: ContainerContext, env: ProxyEnv, plan: PortPlan, stats: IstioStats, agent: http.Agent, cert: Awaited<ReturnType<ProxyEnv['ca']['issue']>>): Promise<net.Server> {
  const { view } = env;
  const port = plan.containerPort;
  const mode = () => peerAuthenticationMode(view.list('peerAuthentication'), ctx.pod, port, view.meshSettings(env.revision).rootNamespace);
  const http1 = http.createServer((req, res) => handleInbound(ctx, env, plan, stats, agent, req, res));
  http1.keepAliveTimeout = 60_000;
  const secure = tls.createServer(serverSecureContext(cert), (tlsSocket) => http1.emit('connection', tlsSocket));
  secure.on('tlsClientError', (_err, socket) => socket.destroy());
  const tcp: net.Server = net.createServer((socket) => {
    socket.on('error', () => undefined);
    trackConnection(tcp, socket);
    void peekFirstByte(socket).then((first) => {
      if (first === undefined) return;
      const m = mode();
      const isTls = first === tlsHandshakeByte;
      if ((isTls && m === 'DISABLE') || (!isTls && m === 'STRICT')) {
        // No filter chain matches: Envoy closes the connection (the client sees a reset, curl exit 56).
        stats.downstreamCxRejected++;
        socket.resetAndDestroy();
        return;
      }
      if (isTls) secure.emit('connection', socket);
      else http1.emit('connection', socket);
      socket.resume();
    });
  });
  await listenOn(tcp, ctx.podIP, port);
  return tcp;
}

function handleInbound(ctx: ContainerContext, env: ProxyEnv, plan: PortPlan, stats: IstioStats, agent: http.Agent, req: http.IncomingMessage, res: http.ServerResponse): void {
  const { view } = env;
  const started = performance.now();
  const self = view.workloadOf(ctx.pod);
  const tlsSocket = req.socket instanceof tls.TLSSocket ? req.socket : undefined;
  const peerCert = tlsSocket?.getPeerCertificate();
  const peerUri = spiffeUriOf(peerCert);
  const mtls = peerUri !== undefined;
  const peer = readPeer(req.headers);
  const sourceIp = ctx.network.clusterAddressOf(req.socket.remoteAddress ?? '');
  const host = req.headers.host ?? '';
  const target = view.serviceForPort(ctx.pod, plan.containerPort, host);
  const serviceName = target?.service.metadata.name;
  const labels = (code: number, flags: string): RequestLabels => ({
    reporter: 'destination',
    source_workload: peer?.metadata.WORKLOAD_NAME ?? 'unknown',
    source_canonical_service: peer?.metadata.CANONICAL_SERVICE ?? 'unknown',
    source_canonical_revision: peer?.metadata.CANONICAL_REVISION ?? 'unknown',
    source_workload_namespace: peer?.metadata.NAMESPACE ?? 'unknown',
    source_principal: peerUri ?? 'unknown',
    source_app: peer?.metadata.APP ?? 'unknown',
    source_version: peer?.metadata.VERSION ?? 'unknown',
    source_cluster: peer?.metadata.CLUSTER_ID ?? 'unknown',
    destination_workload: self.workload,
    destination_workload_namespace: self.namespace,
    destination_principal: mtls ? self.principal : 'unknown',
    destination_app: self.app,
    destination_version: self.version,
    destination_service: serviceName ? `${serviceName}.${self.namespace}.svc.cluster.local` : 'unknown',
    destination_canonical_service: self.canonicalService,
    destination_canonical_revision: self.canonicalRevision,
    destination_service_name: serviceName ?? 'unknown',
    destination_service_namespace: serviceName ? self.namespace : 'unknown',
    destination_cluster: clusterId,
    request_protocol: 'http',
    response_code: String(code),
    grpc_response_status: '',
    response_flags: flags,
    connection_security_policy: mtls ? 'mutual_tls' : 'none',
  });
  const count = (code: number, flags: string): void => {
    if (ctx.hooks.node.sidecarMissesIngressTraffic && peer?.kind === 'router') return;
    stats.record(labels(code, flags), performance.now() - started);
  };

  const mesh = env.hooks.mesh;
  const policies = applicablePolicies(view.list('authorizationPolicy'), self.namespace, ctx.pod.metadata.labels ?? {}, view.meshSettings(env.revision).rootNamespace);
  const decision = evaluateAuthz(policies, {
    principal: peerUri?.replace(/^spiffe:\/\//, '') ?? '',
    sourceIp, method: req.method ?? 'GET', path: req.url ?? '/', port: plan.containerPort, host, headers: req.headers,
  }, { ignoreDeny: mesh.authzIgnoresDeny, ignoreAllowRules: mesh.authzIgnoresAllowRules, exactPaths: mesh.authzPathsExact });
  if (!decision.allowed) {
    req.resume();
    localReply(req, res, 403, 'RBAC: access denied');
    count(403, '-');
    return;
  }

  const headers = forwardable(req.headers);
  delete headers[peerMetadataHeader];
  delete headers[peerIdHeader];
  headers['x-forwarded-proto'] ??= mtls ? 'https' : 'http';
  headers['x-request-id'] ??= randomUUID();
  if (mtls && peerCert) {
    // APPEND_FORWARD (the sidecar inbound default): the peer's certificate appended to what the client sent.
    const element = `By=${self.principal};Hash=${certificateHash(peerCert)};Subject="";URI=${peerUri}`;
    const incoming = req.headers['x-forwarded-client-cert'];
    headers['x-forwarded-client-cert'] = incoming ? `${Array.isArray(incoming) ? incoming.join(',') : incoming},${element}` : element;
  }
  const upstream = http.request({ host: ctx.podIP, port: plan.listenPort, method: req.method, path: req.url, headers, agent, localAddress: ctx.podIP });
  upstream.on('response', (up) => {
    const out: http.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(up.headers)) if (!hopByHop.has(name) && value !== undefined) out[name] = value;
    out['x-envoy-upstream-service-time'] = String(Math.round(performance.now() - started));
    out.server = 'istio-envoy';
    res.writeHead(up.statusCode ?? 502, out);
    up.pipe(res);
    up.on('end', () => count(up.statusCode ?? 502, '-'));
    up.on('error', () => res.destroy());
  });
  upstream.on('error', (err: NodeJS.ErrnoException) => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const refused = err.code === 'ECONNREFUSED';
    localReply(req, res, 503, refused
      ? 'upstream connect error or disconnect/reset before headers. retried and the latest reset reason: remote connection failure, transport failure reason: delayed connect error: Connection refused'
      : 'upstream connect error or disconnect/reset before headers. reset reason: connection termination');
    count(503, refused ? 'URX,UF' : 'UC');
  });
  req.pipe(upstream);
}
