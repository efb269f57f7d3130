/** Pieces the simulated sidecar and gateway proxies share: local replies, header hygiene, the agent's and Envoy's own ports. */
import http from 'node:http';
import type net from 'node:net';
import { listenOn } from '../../../node/network.ts';
import { closeAll, trackConnection } from '../../../node/proxy-listeners.ts';
import type { EnvoySecret } from '../../../node/envoy-secrets.ts';
import { renderCerts, renderConfigDump } from '../../../node/envoy-secrets.ts';
import { proxyPorts } from '../constants.ts';
import type { IstioStats } from './istio-stats.ts';

export const hopByHop = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

/** Request headers without hop-by-hop ones. */
export function forwardable(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) if (!hopByHop.has(name) && value !== undefined) out[name] = value;
  return out;
}

/**
 * An Envoy local reply (404 NR, 503 UH, 403 RBAC, ...): `server: istio-envoy`, a date, the body as text/plain (none
 * for an empty body). Whether `x-envoy-upstream-service-time` appears on local replies is UNCONFIRMED (istio.md §10);
 * Envoy's router sets it from an upstream response, so local replies go without it.
 */
export function localReply(req: http.IncomingMessage, res: http.ServerResponse, status: number, body: string): void {
  const headers: http.OutgoingHttpHeaders = { 'content-length': Buffer.byteLength(body), date: new Date().toUTCString(), server: 'istio-envoy' };
  if (body !== '') headers['content-type'] = 'text/plain';
  res.writeHead(status, headers);
  res.end(req.method === 'HEAD' ? undefined : body);
}

export async function startHttp(host: string, port: number, handler: http.RequestListener): Promise<net.Server> {
  const server = http.createServer(handler);
  await listenOn(server, host, port);
  return server;
}

export { closeAll, trackConnection };

export interface ProxyPortsOptions {
  podIP: string;
  stats: IstioStats;
  version: string;
  ready: () => boolean;
  /** Serve 15020 `/stats/prometheus` and 15090 (false: hook sidecarServesNoMetrics). */
  serveMetrics: boolean;
  /** Text of the not-ready answer on /healthz/ready. */
  notReadyReason: () => string;
  /** The Envoy node (`sidecar~<ip>~<pod>.<ns>~<ns>.svc.cluster.local`) and its SDS secrets, for `/config_dump` and `/certs`. */
  node: { id: string; cluster: string };
  secrets: () => readonly EnvoySecret[];
  /** Binds the admin port to the pod's localhost (`{{ .localhost }}:15000` in envoy_bootstrap.json); absent: the pod IP. */
  listenLocal?: (server: net.Server, port: number) => Promise<void>;
  clock: () => Date;
}

/**
 * The proxy's own ports: 15021 health (`/healthz/ready`, what the readiness and startup probes ask), 15020 the agent
 * (merged `/stats/prometheus`, `/healthz/ready`), 15090 Envoy's `/stats/prometheus`, 15000 the Envoy admin API. None
 * of them goes through the inbound listener, so scrapes are never counted in istio_requests_total (istio.md §5.2).
 */
export async function startProxyPorts(o: ProxyPortsOptions): Promise<net.Server[]> {
  const text = (res: http.ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void => {
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
  const healthz = (res: http.ServerResponse): void => (o.ready() ? text(res, 200, '') : text(res, 503, o.notReadyReason()));
  const servers: net.Server[] = [];
  try {
    servers.push(await startHttp(o.podIP, proxyPorts.health, (req, res) => {
      if ((req.url ?? '').split('?')[0] === '/healthz/ready') healthz(res);
      else text(res, 404, '404 page not found\n');
    }));
    servers.push(await startHttp(o.podIP, proxyPorts.status, (req, res) => {
      const path = (req.url ?? '').split('?')[0];
      if (path === '/healthz/ready') healthz(res);
      else if (o.serveMetrics && (path === '/stats/prometheus' || path === '/metrics')) text(res, 200, o.stats.renderMerged(o.version), 'text/plain; version=0.0.4; charset=utf-8');
      else text(res, 404, '404 page not found\n');
    }));
    if (o.serveMetrics) {
      servers.push(await startHttp(o.podIP, proxyPorts.envoyPrometheus, (req, res) => {
        if ((req.url ?? '').split('?')[0] === '/stats/prometheus') text(res, 200, o.stats.renderEnvoy(), 'text/plain; version=0.0.4; charset=utf-8');
        else text(res, 404, 'invalid path. admin commands are:\n  /stats/prometheus\n');
      }));
    }
    const admin = http.createServer((req, res) => {
      const [path, search] = (req.url ?? '').split('?');
      if (path === '/ready') text(res, o.ready() ? 200 : 503, o.ready() ? 'LIVE\n' : 'PRE_INITIALIZING\n');
      else if (path === '/stats/prometheus') text(res, 200, o.stats.renderEnvoy(), 'text/plain; version=0.0.4; charset=utf-8');
      else if (path === '/server_info') text(res, 200, JSON.stringify({ version: `${o.version}/Clean/RELEASE/BoringSSL`, state: o.ready() ? 'LIVE' : 'PRE_INITIALIZING' }, null, 2), 'application/json');
      else if (path === '/config_dump') text(res, 200, renderConfigDump(o.node, o.secrets(), new URLSearchParams(search ?? '')), 'application/json');
      else if (path === '/certs') text(res, 200, renderCerts(o.secrets(), o.clock()), 'application/json');
      else text(res, 404, 'invalid path. admin commands are:\n  /certs\n  /config_dump\n  /ready\n  /server_info\n  /stats/prometheus\n');
    });
    if (o.listenLocal) await o.listenLocal(admin, proxyPorts.admin);
    else await listenOn(admin, o.podIP, proxyPorts.admin);
    servers.push(admin);
  } catch (error) {
    await closeAll(servers);
    throw error;
  }
  return servers;
}

/**
 * The SDS secrets pilot-agent serves its Envoy (what `istioctl proxy-config secret` lists): `default`, the workload
 * certificate chain, and `ROOTCA`, the trust bundle.
 */
export function istioSecrets(cert: { certPem: string; rootPem: string }, received: Date): EnvoySecret[] {
  return [
    { name: 'default', kind: 'tls_certificate', pem: cert.certPem, lastUpdated: received, versionInfo: received.toISOString() },
    { name: 'ROOTCA', kind: 'validation_context', pem: cert.rootPem, lastUpdated: received, versionInfo: received.toISOString() },
  ];
}

/** The Envoy node of an Istio proxy: `<type>~<ip>~<pod>.<ns>~<ns>.svc.cluster.local`, cluster `<canonical>.<ns>`. */
export function istioNode(type: 'sidecar' | 'router', podIP: string, self: { pod: string; namespace: string; canonicalService: string }): { id: string; cluster: string } {
  return { id: `${type}~${podIP}~${self.pod}.${self.namespace}~${self.namespace}.svc.cluster.local`, cluster: `${self.canonicalService}.${self.namespace}` };
}

/** pilot-agent's log line format: `2026-05-20T10:00:00.000000Z\tinfo\tmessage`. */
export function agentLine(now: Date, level: string, message: string): string {
  return `${now.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z')}\t${level}\t${message}`;
}
