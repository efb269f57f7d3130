/**
 * Ways to reach a Prometheus HTTP API: through the Kubernetes API server's service proxy (nothing exposed, the
 * kubeconfig's credentials), through a port-forward to its pod (the fallback when RBAC forbids `services/proxy`),
 * or at a URL the user gives (with an optional bearer token, e.g. Azure Monitor managed Prometheus).
 * Each endpoint says where it looks, so failures can name it.
 */
import http from 'node:http';
import https from 'node:https';
import { clientNode } from '../k8s/client-node.ts';
import type { KubeAccess } from '../k8s/kube-access.ts';
import { clientNodeConfig } from '../k8s/kube-access.ts';
import { readFileSync } from 'node:fs';
import { undici } from '../http/undici.ts';
import type { Dispatcher, ProxyAgent } from 'undici';
import { forwardPodPort } from '../k8s/port-forward.ts';
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
export function serviceProxyEndpoint(kc: KubeAccess, target: InClusterPrometheus): PrometheusEndpoint {
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
export async function portForwardEndpoint(kc: KubeAccess, target: InClusterPrometheus, opts: { timeoutMs: number }): Promise<PrometheusEndpoint> {
  const core = clientNodeConfig(kc).makeApiClient(clientNode().CoreV1Api);
  const pods = await withDeadline(core.listNamespacedPod({ namespace: target.namespace, labelSelector: target.podSelector }), opts.timeoutMs, `listing the pods ${target.podSelector} in ${target.namespace}`);
  const pod = pods.items.find((p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp);
  if (!pod?.metadata?.name) {
    const seen = pods.items.map((p) => `${p.metadata?.name ?? '?'} (${p.status?.phase ?? 'unknown'})`).join(', ') || 'none';
    throw new Error(`no Running pod matches ${target.podSelector} in namespace ${target.namespace} to port-forward to (pods: ${seen})`);
  }
  const podName = pod.metadata.name;
  const forward = await forwardPodPort(kc, target.namespace, podName, target.port);
  const urlEndpoint = prometheusUrlEndpoint(forward.url);
  return {
    where: `${forward.where} (the service proxy was forbidden)`,
    get: (path, o) => urlEndpoint.get(path, { ...o, timeoutMs: Math.min(o.timeoutMs, opts.timeoutMs) }),
    close: () => forward.close(),
  };
}

/** How requests to a Prometheus at a URL authenticate, and which CA they trust. */
export interface UrlAuth {
  /** A fixed bearer token. */
  token?: string | undefined;
  /** A file holding the bearer token, read before each request (a refreshed token is picked up). */
  tokenFile?: string | undefined;
  /** Gets a bearer token (Azure Monitor managed Prometheus: DefaultAzureCredential for its audience). */
  tokenProvider?: (() => Promise<string>) | undefined;
  /** PEM CA bundle to trust for an https URL. */
  caFile?: string | undefined;
}

const proxyAgents = new Map<string, ProxyAgent>();

/** One undici ProxyAgent per proxy URL (credentials in it become Proxy-Authorization). */
function proxyAgent(uri: string): ProxyAgent {
  let agent = proxyAgents.get(uri);
  if (!agent) {
    agent = new (undici().ProxyAgent)({ uri });
    proxyAgents.set(uri, agent);
  }
  return agent;
}

/**
 * A Prometheus-compatible API at a URL (its API root's parent, e.g. `https://prom.example:9090`), with a bearer token
 * (fixed, from a file or from a provider) and an extra CA when given. Credentials in the URL are used, never shown:
 * user info becomes Basic auth (unless a token is given), and query parameters (`?api_key=…`) go with every request;
 * `where` names the URL with them redacted. HTTPS_PROXY/NO_PROXY apply as kubectl applies them.
 */
export function prometheusUrlEndpoint(baseUrl: string, auth: UrlAuth = {}): PrometheusEndpoint {
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
  const ca = auth.caFile ? readFileSync(auth.caFile, 'utf8') : undefined;
  // undici alone ignores HTTPS_PROXY/NO_PROXY (harness/http/proxy.ts). An own dispatcher (a CA) is closed with the endpoint.
  const proxy = proxyForUrl(root);
  const owned: Dispatcher | undefined = ca ? (proxy ? new (undici().ProxyAgent)({ uri: proxy, requestTls: { ca } }) : new (undici().Agent)({ connect: { ca } })) : undefined;
  const dispatcher = owned ?? (proxy ? proxyAgent(proxy) : undefined);
  const how = auth.tokenProvider ? ' (with an Entra ID token)' : auth.token || auth.tokenFile ? ' (with a bearer token)' : '';
  return {
    where: `${where}${how}`,
    async get(path, opts) {
      const signal = opts.signal ? AbortSignal.any([opts.signal, AbortSignal.timeout(opts.timeoutMs)]) : AbortSignal.timeout(opts.timeoutMs);
      const token = auth.tokenProvider ? await auth.tokenProvider() : auth.token ?? (auth.tokenFile ? readFileSync(auth.tokenFile, 'utf8').trim() : undefined);
      const authorization = token ? `Bearer ${token}` : basic;
      const res = await undici().request(urlOf(path), {
        method: 'GET', signal, headersTimeout: opts.timeoutMs, bodyTimeout: opts.timeoutMs, ...(dispatcher ? { dispatcher } : {}),
        headers: { accept: 'application/json', ...(authorization ? { authorization } : {}) },
      });
      const retryAfter = res.headers['retry-after'];
      return { status: res.statusCode, body: await res.body.text(), retryAfter: typeof retryAfter === 'string' ? retryAfter : undefined };
    },
    close: async () => {
      await owned?.close();
    },
  };
}
