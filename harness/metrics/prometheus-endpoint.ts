/**
 * Ways to reach a Prometheus HTTP API: through the Kubernetes API server's service proxy (nothing exposed, the
 * kubeconfig's credentials), through a port-forward to its pod (the fallback when RBAC forbids `services/proxy`),
 * or at a URL the user gives (with an optional bearer token, e.g. Azure Monitor managed Prometheus).
 * Each endpoint says where it looks, so failures can name it.
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { CoreV1Api, PortForward } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import { ProxyAgent, request } from 'undici';
import { proxyForUrl } from '../http/proxy.ts';
import { redactUrl } from '../report/redact.ts';
import { withDeadline } from '../readiness/cluster-facts.ts';

/** One HTTP answer, body as text. */
export interface EndpointResponse {
  status: number;
  body: string;
  /** The Retry-After header of a throttled or unavailable answer. */
  retryAfter?: string | undefined;
}

/** A Prometheus HTTP API base. */
export interface PrometheusEndpoint {
  /** How requests get there, for messages: `the API server's service proxy to Service mesh-system/prometheus:9090`. */
  readonly where: string;
  /** GETs a path under the API root (`/api/v1/query?query=…`). Rejects on a transport failure. */
  get(path: string, opts: { timeoutMs: number; signal?: AbortSignal | undefined }): Promise<EndpointResponse>;
  close(): Promise<void>;
}

/** Where the in-cluster Prometheus runs: its Service and port, and the label selector of its pods. */
export interface InClusterPrometheus {
  namespace: string;
  service: string;
  port: number;
  podSelector: string;
  /** How to deploy it, for hints (the mesh's own install option). */
  installHint?: string;
}

/** Reads a Kubernetes Status message from an error body, if it is one. */
export function statusMessage(body: string): string | undefined {
  try {
    const s = JSON.parse(body) as { kind?: string; message?: string; reason?: string };
    if (s.kind === 'Status' && s.message) return `${s.reason ? `${s.reason}: ` : ''}${s.message}`;
  } catch {
    // not JSON
  }
  return undefined;
}

/** `GET <server>/api/v1/namespaces/<ns>/services/<svc>:<port>/proxy<path>` with the kubeconfig's credentials. */
export function serviceProxyEndpoint(kc: KubeConfig, target: InClusterPrometheus): PrometheusEndpoint {
  const server = kc.getCurrentCluster()?.server ?? '';
  const base = `/api/v1/namespaces/${encodeURIComponent(target.namespace)}/services/${encodeURIComponent(target.service)}:${target.port}/proxy`;
  return {
    where: `the API server's service proxy ${redactUrl(server)}${base} (Service ${target.namespace}/${target.service} port ${target.port})`,
    async get(path, opts) {
      const url = new URL(`${base}${path}`, server);
      const options: https.RequestOptions = { method: 'GET', headers: { accept: 'application/json' } };
      await kc.applyToHTTPSOptions(options);
      const lib = url.protocol === 'http:' ? http : https;
      return new Promise<EndpointResponse>((resolve, reject) => {
        const req = lib.request(url, { ...options, timeout: opts.timeoutMs, ...(opts.signal ? { signal: opts.signal } : {}) }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), retryAfter: typeof res.headers['retry-after'] === 'string' ? res.headers['retry-after'] : undefined }));
          res.on('error', reject);
        });
        req.on('timeout', () => req.destroy(new Error(`no answer within ${opts.timeoutMs} ms`)));
        req.on('error', reject);
        req.end();
      });
    },
    close: () => Promise.resolve(),
  };
}

/**
 * Forwards a local port to a running pod matching `podSelector` (client-node `PortForward`, WebSocket), as
 * `kubectl port-forward` and OSM's e2e do. Resolves once the local listener is up; the pod is picked then.
 */
export async function portForwardEndpoint(kc: KubeConfig, target: InClusterPrometheus, opts: { timeoutMs: number }): Promise<PrometheusEndpoint> {
  const core = kc.makeApiClient(CoreV1Api);
  const pods = await withDeadline(core.listNamespacedPod({ namespace: target.namespace, labelSelector: target.podSelector }), opts.timeoutMs, `listing the pods ${target.podSelector} in ${target.namespace}`);
  const pod = pods.items.find((p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp);
  if (!pod?.metadata?.name) {
    const seen = pods.items.map((p) => `${p.metadata?.name ?? '?'} (${p.status?.phase ?? 'unknown'})`).join(', ') || 'none';
    throw new Error(`no Running pod matches ${target.podSelector} in namespace ${target.namespace} to port-forward to (pods: ${seen})`);
  }
  const podName = pod.metadata.name;
  const forward = new PortForward(kc, true);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    forward.portForward(target.namespace, podName, [target.port], socket, null, socket).then((ws) => {
      const close = (): void => {
        const w = typeof ws === 'function' ? ws() : ws;
        w?.close();
      };
      socket.once('close', close);
    }, (err: unknown) => socket.destroy(err instanceof Error ? err : new Error(String(err))));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const localPort = (server.address() as AddressInfo).port;
  const urlEndpoint = prometheusUrlEndpoint(`http://127.0.0.1:${localPort}`);
  return {
    where: `a port-forward to pod ${target.namespace}/${podName} port ${target.port} (the service proxy was forbidden)`,
    get: (path, o) => urlEndpoint.get(path, { ...o, timeoutMs: Math.min(o.timeoutMs, opts.timeoutMs) }),
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

const proxyAgents = new Map<string, ProxyAgent>();

/** One undici ProxyAgent per proxy URL (credentials in it become Proxy-Authorization). */
function proxyAgent(uri: string): ProxyAgent {
  let agent = proxyAgents.get(uri);
  if (!agent) {
    agent = new ProxyAgent({ uri });
    proxyAgents.set(uri, agent);
  }
  return agent;
}

/**
 * A Prometheus-compatible API at a URL (its API root's parent, e.g. `https://prom.example:9090`), optional bearer
 * token. Credentials in the URL are used, never shown: user info becomes Basic auth (unless a token is given), and
 * query parameters (`?api_key=…`) go with every request; `where` names the URL with them redacted.
 */
export function prometheusUrlEndpoint(baseUrl: string, token?: string): PrometheusEndpoint {
  const parsed = new URL(baseUrl);
  const basic = parsed.username || parsed.password
    ? `Basic ${Buffer.from(`${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`).toString('base64')}`
    : undefined;
  const baseQuery = parsed.search.replace(/^\?/, '');
  const root = `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`;
  const urlOf = (path: string): string => {
    if (!baseQuery) return `${root}${path}`;
    return `${root}${path}${path.includes('?') ? '&' : '?'}${baseQuery}`;
  };
  const where = redactUrl(baseQuery ? baseUrl : baseUrl.replace(/\/+$/, ''));
  const authorization = token ? `Bearer ${token}` : basic;
  // HTTPS_PROXY/NO_PROXY as kubectl applies them (harness/http/proxy.ts); undici alone ignores them.
  const proxy = proxyForUrl(root);
  const dispatcher = proxy ? proxyAgent(proxy) : undefined;
  return {
    where: `${where}${token ? ' (with a bearer token)' : ''}`,
    async get(path, opts) {
      const signal = opts.signal ? AbortSignal.any([opts.signal, AbortSignal.timeout(opts.timeoutMs)]) : AbortSignal.timeout(opts.timeoutMs);
      const res = await request(urlOf(path), {
        method: 'GET', signal, headersTimeout: opts.timeoutMs, bodyTimeout: opts.timeoutMs, ...(dispatcher ? { dispatcher } : {}),
        headers: { accept: 'application/json', ...(authorization ? { authorization } : {}) },
      });
      const retryAfter = res.headers['retry-after'];
      return { status: res.statusCode, body: await res.body.text(), retryAfter: typeof retryAfter === 'string' ? retryAfter : undefined };
    },
    close: () => Promise.resolve(),
  };
}
