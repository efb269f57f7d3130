/**
 * The Istio gateway proxy (`istio-proxy` with `proxy router`): the `<gw>-istio` pods of a Gateway API Gateway and the
 * AKS add-on's ingress gateway pods. It listens on the ports its configuration names (gateway-routes.ts), re-read on
 * every relevant change as LDS pushes would; per request it routes by Host and path, evaluates the AuthorizationPolicies
 * that select the gateway pod, picks a ready endpoint of the backend Service and forwards to it over Istio mTLS when
 * the backend has a sidecar (auto mTLS, unless a DestinationRule or PeerAuthentication says otherwise), presenting
 * the gateway's identity `spiffe://cluster.local/ns/<gw-ns>/sa/<gw-sa>`. Local replies (istio.md §3c): 404 with no
 * body when no route matches (NR), 503 `no healthy upstream` without a ready endpoint (UH), 503 without a body for a
 * backend istiod does not know (NC). `server: istio-envoy` on every response, `x-envoy-upstream-service-time` on
 * upstream ones, and istio_requests_total with reporter="source".
 */
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import type tls from 'node:tls';
import { randomUUID } from 'node:crypto';
import type { ContainerContext, RunningContainer } from '../../../node/container.ts';
import { inProcessContainer } from '../../../node/container.ts';
import { listenOn } from '../../../node/network.ts';
import { arr, num, spec } from '../../../controllers/kube-objects.ts';
import { applicablePolicies, evaluateAuthz } from '../authz.ts';
import type { WorkloadCertificate } from '../ca.ts';
import type { EnvoySecret } from '../../../node/envoy-secrets.ts';
import { clusterId, istioVersion } from '../constants.ts';
import { gatewayListenPorts, routeGatewayRequest } from '../gateway-routes.ts';
import type { RouteBackend } from '../gateway-routes.ts';
import { clientUsesMtls, destinationRuleTlsMode, peerAuthenticationMode } from '../mtls-policy.ts';
import type { WorkloadInfo } from '../view.ts';
import { agentLine, closeAll, forwardable, hopByHop, istioNode, istioSecrets, localReply, startProxyPorts } from './common.ts';
import { IstioStats } from './istio-stats.ts';
import type { RequestLabels } from './istio-stats.ts';
import { clientTlsOptions, spiffeUriOf } from './mtls.ts';
import { peerHeaders, peerIdHeader, peerMetadataHeader } from './peer-metadata.ts';
import type { ProxyEnv } from './proxy-env.ts';

const notReadyText = 'Envoy proxy is NOT ready: config not received from XDS server (is Istiod running?): cds updates: 0 successful, 0 rejected; lds updates: 0 successful, 0 rejected';

function isLoopbackOrPrivate(ip: string): boolean {
  return /^(127\.|10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)/.test(ip);
}

export async function startIstioGateway(ctx: ContainerContext, env: ProxyEnv): Promise<RunningContainer> {
  const { view } = env;
  const pod = ctx.pod;
  const self = view.workloadOf(pod);
  const stats = new IstioStats(ctx.hooks.node.sidecarStatsFrozen);
  const log = (level: string, message: string): void => ctx.log(agentLine(ctx.clock(), level, message));
  const listeners = new Map<number, net.Server>();
  const own: net.Server[] = [];
  const agents = { plain: new http.Agent({ keepAlive: true, maxSockets: 256 }), mtls: undefined as https.Agent | undefined };
  const roundRobin = new Map<string, number>();
  let ready = false;
  let stopped = false;
  let cert: WorkloadCertificate | undefined;

  log('info', `Version ${istioVersion}-simulated`);
  log('info', `Proxy role\tips=[${ctx.podIP}] type=router id=${self.pod}.${self.namespace} domain=${self.namespace}.svc.cluster.local`);
  let secrets: EnvoySecret[] = [];
  own.push(...await startProxyPorts({
    podIP: ctx.podIP, stats, version: istioVersion, ready: () => ready, serveMetrics: !ctx.hooks.node.sidecarServesNoMetrics, notReadyReason: () => notReadyText,
    node: istioNode('router', ctx.podIP, self), secrets: () => secrets, clock: ctx.clock, ...(ctx.listenLocal ? { listenLocal: ctx.listenLocal } : {}),
  }));

  const handler = (podPort: number) => (req: http.IncomingMessage, res: http.ServerResponse): void => {
    handleGatewayRequest({ ctx, env, self, stats, agents, cert: cert!, roundRobin }, podPort, req, res);
  };

  // LDS: open and close listeners as the configuration changes.
  let syncing = false;
  let again = false;
  const sync = async (): Promise<void> => {
    if (syncing) {
      again = true;
      return;
    }
    syncing = true;
    try {
      do {
        again = false;
        const current = view.pods(pod.metadata.namespace).find((p) => p.metadata.uid === pod.metadata.uid) ?? pod;
        const wanted = new Set(gatewayListenPorts(view, current, env.revision));
        for (const [port, server] of listeners) {
          if (wanted.has(port)) continue;
          listeners.delete(port);
          await closeAll([server]);
        }
        for (const port of wanted) {
          if (listeners.has(port) || stopped) continue;
          const server = http.createServer(handler(port));
          server.keepAliveTimeout = 60_000;
          try {
            await listenOn(server, ctx.podIP, port);
            listeners.set(port, server);
            log('info', `Envoy listener 0.0.0.0_${port} added`);
          } catch (error) {
            log('warn', `listener 0.0.0.0_${port}: cannot bind: ${error instanceof Error ? error.message : String(error)}`);
          }
        }
      } while (again && !stopped);
    } finally {
      syncing = false;
    }
  };
  let scheduled = false;
  const schedule = (): void => {
    if (scheduled || !ready || stopped) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      void sync();
    });
  };
  const relevant = new Set(['Gateway', 'Service', 'Pod', 'GatewayClass', 'Namespace']);
  const unsubscribe = view.store.onChange((event) => {
    if (relevant.has(event.object.kind)) schedule();
  });

  // Gateways are not sidecars: the sidecar hooks (never ready) leave them alone.
  const whenReady = (async () => {
        await env.configured();
        cert = await env.ca.issue(self.namespace, self.serviceAccount);
        secrets = istioSecrets(cert, ctx.clock());
        agents.mtls = new https.Agent({ keepAlive: true, maxSockets: 256, ...clientTlsOptions(cert) });
        if (stopped) return;
        ready = true;
        await sync();
        log('info', 'Envoy proxy is ready');
      })();

  return {
    ...inProcessContainer(async () => {
      stopped = true;
      unsubscribe();
      await closeAll([...listeners.values(), ...own]);
      agents.plain.destroy();
      agents.mtls?.destroy();
    }),
    ready: false,
    whenReady,
  };
}

interface GatewayState {
  ctx: ContainerContext;
  env: ProxyEnv;
  self: WorkloadInfo;
  stats: IstioStats;
  agents: { plain: http.Agent; mtls: https.Agent | undefined };
  cert: WorkloadCertificate;
  roundRobin: Map<string, number>;
}

function handleGatewayRequest(s: GatewayState, podPort: number, req: http.IncomingMessage, res: http.ServerResponse): void {
  const { ctx, env, self } = s;
  const { view } = env;
  const started = performance.now();
  const host = req.headers.host ?? '';
  const clientIp = ctx.network.clusterAddressOf(req.socket.remoteAddress ?? '');
  const unknownDestination = { workload: 'unknown', namespace: 'unknown', principal: 'unknown', app: 'unknown', version: 'unknown', canonicalService: 'unknown', canonicalRevision: 'unknown' };
  const count = (code: number, flags: string, backend: RouteBackend | undefined, dest: Partial<WorkloadInfo> & { principal: string } = unknownDestination): void => {
    const labels: RequestLabels = {
      reporter: 'source',
      source_workload: self.workload, source_canonical_service: self.canonicalService, source_canonical_revision: self.canonicalRevision,
      source_workload_namespace: self.namespace, source_principal: self.principal, source_app: self.app, source_version: self.version, source_cluster: clusterId,
      destination_workload: dest.workload ?? 'unknown', destination_workload_namespace: dest.namespace ?? 'unknown', destination_principal: dest.principal,
      destination_app: dest.app ?? 'unknown', destination_version: dest.version ?? 'unknown',
      destination_service: backend?.fqdn ?? 'unknown', destination_canonical_service: dest.canonicalService ?? 'unknown', destination_canonical_revision: dest.canonicalRevision ?? 'unknown',
      destination_service_name: backend?.service?.metadata.name ?? backend?.fqdn.split('.')[0] ?? 'unknown',
      destination_service_namespace: backend?.service?.metadata.namespace ?? backend?.fqdn.split('.')[1] ?? 'unknown',
      destination_cluster: dest.workload && dest.workload !== 'unknown' ? clusterId : 'unknown',
      request_protocol: 'http', response_code: String(code), grpc_response_status: '', response_flags: flags, connection_security_policy: 'unknown',
    };
    s.stats.record(labels, performance.now() - started);
  };

  const route = routeGatewayRequest(view, ctx.pod, env.revision, { podPort, host, method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers }, env.hooks.mesh.routeBackendsUnresolved);
  if (route.kind === 'none') {
    req.resume();
    localReply(req, res, 404, '');
    count(404, 'NR', undefined);
    return;
  }
  if (route.kind === 'direct') {
    req.resume();
    localReply(req, res, route.status, '');
    count(route.status, '-', undefined);
    return;
  }

  const rootNamespace = view.meshSettings(env.revision).rootNamespace;
  const policies = applicablePolicies(view.list('authorizationPolicy'), self.namespace, ctx.pod.metadata.labels ?? {}, rootNamespace);
  const decision = evaluateAuthz(policies, { principal: '', sourceIp: clientIp, method: req.method ?? 'GET', path: req.url ?? '/', port: podPort, host, headers: req.headers },
    { ignoreDeny: env.hooks.mesh.authzIgnoresDeny, ignoreAllowRules: env.hooks.mesh.authzIgnoresAllowRules });
  if (!decision.allowed) {
    req.resume();
    localReply(req, res, 403, 'RBAC: access denied');
    count(403, '-', route.backend);
    return;
  }

  const backend = route.backend;
  if (!backend.service) {
    // istiod has no such service, so no cluster for the route: Envoy's "cluster not found" (NC).
    req.resume();
    localReply(req, res, 503, '');
    count(503, 'NC', backend);
    return;
  }
  const servicePort = arr(spec(backend.service)['ports']).find((p) => num(p['port']) === backend.port);
  const endpoints = servicePort ? view.readyEndpoints(backend.service, servicePort) : [];
  if (endpoints.length === 0) {
    req.resume();
    localReply(req, res, 503, 'no healthy upstream');
    count(503, 'UH', backend);
    return;
  }
  const rrKey = `${backend.fqdn}:${backend.port}`;
  const index = (s.roundRobin.get(rrKey) ?? 0) % endpoints.length;
  s.roundRobin.set(rrKey, index + 1);
  const endpoint = endpoints[index]!;
  const dest = view.workloadOf(endpoint.pod);

  const mtls = !env.hooks.mesh.gatewaySendsPlaintext && clientUsesMtls({
    drMode: destinationRuleTlsMode(view.list('destinationRule'), self.namespace, backend.service, backend.port, rootNamespace),
    destination: endpoint.pod,
    destinationMode: peerAuthenticationMode(view.list('peerAuthentication'), endpoint.pod, endpoint.port, rootNamespace),
    autoMtls: view.meshSettings(env.revision).enableAutoMtls,
  });

  const headers = forwardable(req.headers);
  // SANITIZE_SET at the gateway: a client's XFCC never passes; the plaintext client has no certificate to set.
  delete headers['x-forwarded-client-cert'];
  delete headers[peerMetadataHeader];
  delete headers[peerIdHeader];
  const xff = req.headers['x-forwarded-for'];
  headers['x-forwarded-for'] = xff ? `${Array.isArray(xff) ? xff.join(', ') : xff}, ${clientIp}` : clientIp;
  headers['x-forwarded-proto'] = 'http';
  headers['x-request-id'] ??= randomUUID();
  headers['x-envoy-attempt-count'] = '1';
  if (isLoopbackOrPrivate(clientIp)) headers['x-envoy-internal'] = 'true';
  Object.assign(headers, peerHeaders('router', ctx.podIP, self));

  const options = { host: ctx.network.dialAddressOf(endpoint.ip), port: endpoint.port, method: req.method, path: req.url, headers, localAddress: ctx.podIP };
  const upstream = mtls ? https.request({ ...options, agent: s.agents.mtls }) : http.request({ ...options, agent: s.agents.plain });
  upstream.on('response', (up) => {
    const out: http.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(up.headers)) if (!hopByHop.has(name) && value !== undefined) out[name] = value;
    out['x-envoy-upstream-service-time'] = String(Math.round(performance.now() - started));
    out.server = 'istio-envoy';
    res.writeHead(up.statusCode ?? 502, out);
    up.pipe(res);
    const peer = mtls ? spiffeUriOf((up.socket as tls.TLSSocket).getPeerCertificate?.()) : undefined;
    up.on('end', () => count(up.statusCode ?? 502, '-', backend, { ...dest, principal: peer ?? 'unknown' }));
    up.on('error', () => res.destroy());
  });
  upstream.on('error', (err: NodeJS.ErrnoException) => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const reset = err.code === 'ECONNRESET' || err.code === 'EPIPE';
    const tlsFailure = err.code?.startsWith('ERR_SSL') || err.code === 'ERR_TLS_CERT_ALTNAME_INVALID' || /certificate|SSL|TLS/i.test(err.message);
    const body = tlsFailure
      ? `upstream connect error or disconnect/reset before headers. retried and the latest reset reason: remote connection failure, transport failure reason: TLS_error:|${err.message}`
      : reset
        ? 'upstream connect error or disconnect/reset before headers. retried and the latest reset reason: connection termination'
        : 'upstream connect error or disconnect/reset before headers. retried and the latest reset reason: remote connection failure, transport failure reason: delayed connect error: Connection refused';
    localReply(req, res, 503, body);
    count(503, reset ? 'URX,UC' : 'URX,UF', backend, { ...dest, principal: 'unknown' });
  });
  req.pipe(upstream);
}
