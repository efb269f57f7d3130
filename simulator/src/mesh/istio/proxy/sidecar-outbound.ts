/**
 * The Istio sidecar's outbound listener (15001, where istio-init redirects the pod's own connections): a request to a
 * Service in istiod's registry follows the VirtualServices for its host (the client's namespace, the Service's and the
 * root namespace; `gateways` unset or naming `mesh`; the first http route whose match holds; weighted destinations),
 * the DestinationRule subset of the chosen destination (its labels select the endpoints), then one ready endpoint
 * round robin, reached over Istio mTLS with the workload's certificate when auto mTLS or a DestinationRule asks for it
 * (mtls-policy.ts), with the metadata-exchange headers. Anything that is not a Service of the registry leaves through
 * the PassthroughCluster (outboundTrafficPolicy ALLOW_ANY, the default). Local replies: 503 `no healthy upstream`
 * (UH), 503 `upstream connect error ...` when the connection fails or the handshake does (UF, UC); `server: envoy`,
 * the outbound listener's default (istio.md §3c).
 */
import http from 'node:http';
import https from 'node:https';
import type { KubeObject, OutboundHandler, OutboundRequest, OutboundResponse } from '../../../cluster/types.ts';
import { arr, num, obj, spec, str } from '../../../controllers/kube-objects.ts';
import { matchesMapSelector } from '../../../controllers/label-selector.ts';
import { networkError, resolveService, sendDirect } from '../../../node/outbound.ts';
import type { WorkloadCertificate } from '../ca.ts';
import { destinationService, istioMatch, pickWeighted } from '../gateway-routes.ts';
import { clientUsesMtls, destinationRuleHostMatches, destinationRuleTlsMode, peerAuthenticationMode } from '../mtls-policy.ts';
import type { WorkloadInfo } from '../view.ts';
import { clientTlsOptions } from './mtls.ts';
import { peerHeaders } from './peer-metadata.ts';
import type { ProxyEnv } from './proxy-env.ts';

const fqdnOf = (svc: KubeObject): string => `${svc.metadata.name ?? ''}.${svc.metadata.namespace ?? 'default'}.svc.cluster.local`;

/** A VirtualService host entry (short names resolve in the VirtualService's namespace) against a Service FQDN. */
function vsHostMatches(host: string, vsNamespace: string, fqdn: string): boolean {
  if (host === '*') return true;
  const parts = host.split('.');
  const full = parts.length === 1 ? `${host}.${vsNamespace}.svc.cluster.local` : parts.length === 2 ? `${host}.svc.cluster.local` : host;
  if (full.startsWith('*.')) return fqdn.endsWith(full.slice(1));
  return full === fqdn;
}

function visibleTo(o: KubeObject, clientNamespace: string): boolean {
  const exportTo = (arr(spec(o)['exportTo']) as unknown[]).filter((x): x is string => typeof x === 'string');
  return exportTo.length === 0 || exportTo.includes('*') || (exportTo.includes('.') && o.metadata.namespace === clientNamespace) || exportTo.includes(clientNamespace);
}

/** The destination a request to `service` takes: the VirtualService's choice, or the Service itself. */
function routeDestination(env: ProxyEnv, self: WorkloadInfo, service: KubeObject, port: number, req: OutboundRequest): { service: KubeObject | undefined; fqdn: string; port: number; subset?: string } | { direct: number } {
  const { view } = env;
  const fqdn = fqdnOf(service);
  const root = view.meshSettings(env.revision).rootNamespace;
  const candidates = view.list('virtualService')
    .filter((vs) => [self.namespace, service.metadata.namespace, root].includes(vs.metadata.namespace) && visibleTo(vs, self.namespace))
    .filter((vs) => {
      const gateways = (arr(spec(vs)['gateways']) as unknown[]).filter((g): g is string => typeof g === 'string');
      return gateways.length === 0 || gateways.includes('mesh');
    })
    .filter((vs) => (arr(spec(vs)['hosts']) as unknown[]).some((h) => typeof h === 'string' && vsHostMatches(h, vs.metadata.namespace ?? 'default', fqdn)))
    .sort((a, b) => String(a.metadata.creationTimestamp ?? '').localeCompare(String(b.metadata.creationTimestamp ?? '')));
  const facts = { podPort: port, host: req.host, method: req.method, path: req.path, headers: req.headers };
  for (const vs of candidates) {
    for (const route of arr(spec(vs)['http'])) {
      const matches = arr(route['match']);
      if (matches.length > 0 && !matches.some((m) => istioMatch(m, facts, 'mesh'))) continue;
      const directStatus = num(obj(route['directResponse'])['status']);
      if (directStatus !== undefined) return { direct: directStatus };
      const dests = arr(route['route']).map((d) => ({ d, weight: num(d['weight']) ?? (arr(route['route']).length === 1 ? 100 : 0) }));
      const chosen = dests.length === 1 ? dests[0] : pickWeighted(dests);
      if (!chosen) return { direct: 500 };
      const destination = obj(chosen.d['destination']);
      const target = destinationService(view, str(destination['host']) ?? '', vs.metadata.namespace ?? 'default');
      const subset = str(destination['subset']);
      return { ...target, port: num(obj(destination['port'])['number']) ?? port, ...(subset ? { subset } : {}) };
    }
  }
  return { service, fqdn, port };
}

/** The labels of a DestinationRule subset for a Service (client namespace, the Service's, root), or undefined. */
function subsetLabels(env: ProxyEnv, self: WorkloadInfo, service: KubeObject, subset: string): Record<string, string> | undefined {
  const fqdn = fqdnOf(service);
  const root = env.view.meshSettings(env.revision).rootNamespace;
  for (const ns of [self.namespace, service.metadata.namespace, root]) {
    const rule = env.view.list('destinationRule').find((r) => r.metadata.namespace === ns && visibleTo(r, self.namespace) && destinationRuleHostMatches(r, fqdn));
    if (!rule) continue;
    const found = arr(spec(rule)['subsets']).find((s) => s['name'] === subset);
    return found ? (obj(found['labels']) as Record<string, string>) : undefined;
  }
  return undefined;
}

function localReply(status: number, body: string): OutboundResponse {
  return { status, headers: { 'content-length': String(Buffer.byteLength(body)), ...(body ? { 'content-type': 'text/plain' } : {}), date: new Date().toUTCString(), server: 'envoy' }, body: Buffer.from(body) };
}

function send(opts: https.RequestOptions, mtls: boolean, timeoutMs = 10_000): Promise<OutboundResponse> {
  return new Promise((resolve, reject) => {
    const lib = mtls ? https : http;
    const r = lib.request({ ...opts, agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: { ...res.headers }, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    r.on('timeout', () => r.destroy(networkError('ETIMEDOUT', 'upstream timeout')));
    r.on('error', reject);
    r.end();
  });
}

/** The outbound handler of one sidecar (its workload identity and certificate). */
/** `dial` maps an endpoint's cluster address to the one a socket reaches it on (SimNetwork.dialAddressOf). */
export function istioOutboundHandler(env: ProxyEnv, podIP: string, self: WorkloadInfo, cert: WorkloadCertificate, dial: (clusterAddress: string) => string): OutboundHandler {
  const roundRobin = new Map<string, number>();
  return async (req) => {
    const { view } = env;
    const resolved = resolveService(view.store, req.host, self.namespace, req.port);
    // Not a Service of the registry: PassthroughCluster (ALLOW_ANY), as sent.
    if (!resolved?.port) return sendDirect(view.store, req, dial);
    const dest = routeDestination(env, self, resolved.service, req.port, req);
    if ('direct' in dest) return localReply(dest.direct, '');
    if (!dest.service) return localReply(503, ''); // no cluster for the destination host (NC)
    const servicePort = arr(spec(dest.service)['ports']).find((p) => num(p['port']) === dest.port);
    let endpoints = servicePort ? view.readyEndpoints(dest.service, servicePort) : [];
    if (dest.subset) {
      const labels = subsetLabels(env, self, dest.service, dest.subset);
      // A subset no DestinationRule defines has no endpoints (istiod warns "subset not found").
      endpoints = labels ? endpoints.filter((e) => matchesMapSelector(labels, e.pod.metadata.labels)) : [];
    }
    if (endpoints.length === 0) return localReply(503, 'no healthy upstream');
    const key = `${dest.fqdn}:${dest.port}:${dest.subset ?? ''}`;
    const index = (roundRobin.get(key) ?? 0) % endpoints.length;
    roundRobin.set(key, index + 1);
    const endpoint = endpoints[index]!;
    const root = view.meshSettings(env.revision).rootNamespace;
    const mtls = clientUsesMtls({
      drMode: destinationRuleTlsMode(view.list('destinationRule'), self.namespace, dest.service, dest.port, root),
      destination: endpoint.pod,
      destinationMode: peerAuthenticationMode(view.list('peerAuthentication'), endpoint.pod, endpoint.port, root),
      autoMtls: view.meshSettings(env.revision).enableAutoMtls,
    });
    const headers: http.OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !['connection', 'keep-alive', 'transfer-encoding'].includes(k)) headers[k] = v;
    Object.assign(headers, peerHeaders('sidecar', podIP, self));
    headers['x-envoy-attempt-count'] = '1';
    const started = performance.now();
    try {
      const res = await send({ host: dial(endpoint.ip), port: endpoint.port, method: req.method, path: req.path, headers, localAddress: podIP, ...(mtls ? clientTlsOptions(cert) : {}) }, mtls);
      return { ...res, headers: { ...res.headers, 'x-envoy-upstream-service-time': String(Math.round(performance.now() - started)), server: 'envoy' } };
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const tlsFailure = e.code?.startsWith('ERR_SSL') || /certificate|SSL|TLS/i.test(e.message);
      return localReply(503, e.code === 'ECONNREFUSED'
        ? 'upstream connect error or disconnect/reset before headers. retried and the latest reset reason: remote connection failure, transport failure reason: delayed connect error: Connection refused'
        : tlsFailure
          ? `upstream connect error or disconnect/reset before headers. retried and the latest reset reason: remote connection failure, transport failure reason: TLS_error:|${e.message}`
          : 'upstream connect error or disconnect/reset before headers. retried and the latest reset reason: connection termination');
    }
  };
}
