/**
 * A pod's outbound HTTP path. There is no cluster DNS and no kube-proxy: a process that calls a Service by name
 * (`svc`, `svc.ns`, `svc.ns.svc.cluster.local`) or by ClusterIP gets it resolved here, and a connection with no
 * sidecar in the way goes to one ready endpoint of the Service port, from the pod's own address, as kube-proxy's DNAT
 * would send it. With a sidecar that intercepts outbound traffic (network.setOutbound), the request is the
 * sidecar's to route (node/sidecar.ts for OSM's Envoy, mesh/istio/proxy/ for Istio's).
 */
import http from 'node:http';
import type { KubeObject, ObjectStore, OutboundRequest, OutboundResponse, SimNetwork } from '../cluster/types.ts';
import { resolveTargetPort } from '../controllers/endpoints-controller.ts';
import { arr, isPodReady, isTerminating, num, podIP, spec, str } from '../controllers/kube-objects.ts';
import { matchesMapSelector } from '../controllers/label-selector.ts';
import { nodeKinds } from './kinds.ts';

/** A Service a host name or ClusterIP names, with the port the request asked for. */
export interface ResolvedService {
  service: KubeObject;
  /** The Service port entry for the requested port. */
  port: Record<string, unknown> | undefined;
}

/** An Error with a Node-style `code`, as a socket failure carries it. */
export function networkError(code: 'ECONNREFUSED' | 'ECONNRESET' | 'ENOTFOUND' | 'ETIMEDOUT', message: string): Error {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}

/** The Service `host` names (cluster DNS forms or a ClusterIP), resolved from `namespace` for short names. */
export function resolveService(store: ObjectStore, host: string, namespace: string, port: number): ResolvedService | undefined {
  const kinds = nodeKinds(store);
  const bare = host.toLowerCase().replace(/\.$/, '');
  let service: KubeObject | undefined;
  if (/^\d+\.\d+\.\d+\.\d+$/.test(bare)) {
    service = store.list(kinds.service).items.find((s) => str(spec(s)['clusterIP']) === bare);
  } else {
    const parts = bare.split('.');
    const tail = parts.slice(2).join('.');
    if (parts.length > 2 && tail !== 'svc' && tail !== 'svc.cluster.local') return undefined;
    const ns = parts.length >= 2 ? parts[1]! : namespace;
    service = store.get(kinds.service, ns, parts[0]!);
  }
  if (!service) return undefined;
  return { service, port: arr(spec(service)['ports']).find((p) => num(p['port']) === port) };
}

/** The ready pods backing a Service port, with their address and the port they serve it on. */
export function readyBackends(store: ObjectStore, service: KubeObject, servicePort: Record<string, unknown>): { pod: KubeObject; ip: string; port: number }[] {
  const kinds = nodeKinds(store);
  const selector = spec(service)['selector'] as Record<string, string> | undefined;
  if (!selector || Object.keys(selector).length === 0) return [];
  const ep = kinds.endpoints ? store.get(kinds.endpoints, service.metadata.namespace, service.metadata.name ?? '') : undefined;
  const ready = new Set(arr(ep?.['subsets']).flatMap((s) => arr(s['addresses']).map((a) => str(a['ip']) ?? '')));
  return store.list(kinds.pod, { namespace: service.metadata.namespace }).items.flatMap((pod) => {
    const ip = podIP(pod);
    const port = resolveTargetPort(servicePort, pod);
    if (!ip || port === undefined || isTerminating(pod) || !isPodReady(pod) || !ready.has(ip) || !matchesMapSelector(selector, pod.metadata.labels)) return [];
    return [{ pod, ip, port }];
  });
}

/** Sends `req` over a real socket from `from` to `address:port` and collects the answer. */
export function sendHttp(req: Pick<OutboundRequest, 'method' | 'path' | 'headers' | 'from'>, address: string, port: number, timeoutMs = 10_000): Promise<OutboundResponse> {
  return new Promise((resolve, reject) => {
    const headers: http.OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !['connection', 'keep-alive', 'transfer-encoding'].includes(k)) headers[k] = v;
    const r = http.request({ host: address, port, method: req.method, path: req.path, headers, localAddress: req.from, agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: { ...res.headers }, body: Buffer.concat(chunks) }));
      res.on('error', (err: NodeJS.ErrnoException) => reject(networkError('ECONNRESET', err.message)));
    });
    r.on('timeout', () => r.destroy(networkError('ETIMEDOUT', `no answer from ${address}:${port} within ${timeoutMs} ms`)));
    r.on('error', (err: NodeJS.ErrnoException) => {
      const code = err.code === 'ECONNREFUSED' || err.code === 'ETIMEDOUT' ? err.code : 'ECONNRESET';
      reject(Object.assign(err, { code }));
    });
    r.end();
  });
}

/**
 * kube-proxy's path for a pod without an outbound sidecar: a ready endpoint of the Service port, picked at random.
 * `dial` maps the endpoint's cluster address to the one a socket reaches it on (SimNetwork.dialAddressOf: on the
 * upstream control plane pod IPs are the cluster's, not loopback addresses).
 */
export async function sendDirect(store: ObjectStore, req: OutboundRequest, dial: (clusterAddress: string) => string): Promise<OutboundResponse> {
  const resolved = resolveService(store, req.host, req.namespace, req.port);
  if (!resolved) throw networkError('ENOTFOUND', `lookup ${req.host}: no such host`);
  if (!resolved.port) throw networkError('ECONNREFUSED', `Service ${resolved.service.metadata.namespace}/${resolved.service.metadata.name} has no port ${req.port}`);
  const backends = readyBackends(store, resolved.service, resolved.port);
  const backend = backends[Math.floor(Math.random() * backends.length)];
  // No endpoint: kube-proxy's REJECT rule answers with ICMP port unreachable, i.e. connection refused.
  if (!backend) throw networkError('ECONNREFUSED', `Service ${resolved.service.metadata.namespace}/${resolved.service.metadata.name} has no ready endpoint`);
  return sendHttp(req, dial(backend.ip), backend.port);
}

/** Sends a pod's request the way its network path takes it: its sidecar's outbound listener, or kube-proxy. */
export async function sendFromPod(store: ObjectStore, network: SimNetwork, req: OutboundRequest): Promise<OutboundResponse> {
  const handler = network.outboundOf(req.from);
  if (handler === 'refused') throw networkError('ECONNREFUSED', `connect ECONNREFUSED (the sidecar's outbound listener is not up)`);
  return handler ? handler(req) : sendDirect(store, req, (a) => network.dialAddressOf(a));
}

/** Writes an outbound answer back to the client a container serves (hop-by-hop headers dropped, length recomputed). */
export function relayAnswer(res: http.ServerResponse, answer: OutboundResponse): void {
  const out: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(answer.headers)) if (v !== undefined && !['connection', 'keep-alive', 'transfer-encoding', 'content-length'].includes(k)) out[k] = v;
  out['content-length'] = answer.body.length;
  res.writeHead(answer.status, out);
  res.end(answer.body);
}
