/**
 * One GET through the API server's service proxy (`/api/v1/namespaces/<ns>/services/[https:]<svc>:<port>/proxy/…`)
 * with the kubeconfig's credentials: how `check` reaches an in-cluster HTTP endpoint (Vault's health, Flagger's
 * metrics server) without exposing anything. The API server does not pass the caller's credentials on.
 */
import http from 'node:http';
import https from 'node:https';
import type { KubeAccess } from './kube-access.ts';
import { errorText } from '../text.ts';
import { pauseBetweenAttempts } from '../wait/delay.ts';

export interface ServiceProxyTarget {
  namespace: string;
  service: string;
  /** Port number or name. */
  port: number | string;
  /** The proxy dials the endpoint over TLS (`https:<svc>:<port>`). */
  tls?: boolean;
}

/** `Service <ns>/<svc> port <port>`, for messages. */
export function describeServiceTarget(t: ServiceProxyTarget): string {
  return `Service ${t.namespace}/${t.service} port ${t.port}`;
}

/**
 * The status and body, or the transport error in one line. A reset, a 429 or a 503 that is not the service proxy's
 * own verdict (`no endpoints available`, `error trying to reach`) is the API server or the network failing for a moment: it is tried again,
 * with a growing pause, while the budget lasts; the last answer is returned.
 */
export async function serviceProxyGet(kc: KubeAccess, t: ServiceProxyTarget, path: string, timeoutMs: number): Promise<{ status: number; body: string } | { error: string }> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    const left = deadline - Date.now();
    const res = await serviceProxyGetOnce(kc, t, path, Math.max(left, 1));
    const transient = 'error' in res || res.status === 429 || (res.status === 503 && !/no endpoints available|error trying to reach|has no IP address/.test(res.body));
    const pause = Math.min(1_000, 100 * 2 ** attempt);
    if (!transient || Date.now() + pause >= deadline) return res;
    await pauseBetweenAttempts(pause);
  }
}

async function serviceProxyGetOnce(kc: KubeAccess, t: ServiceProxyTarget, path: string, timeoutMs: number): Promise<{ status: number; body: string } | { error: string }> {
  const server = kc.getCurrentCluster()?.server ?? '';
  const url = new URL(`/api/v1/namespaces/${encodeURIComponent(t.namespace)}/services/${t.tls ? 'https:' : ''}${encodeURIComponent(t.service)}:${t.port}/proxy${path}`, server);
  try {
    const options: https.RequestOptions = { method: 'GET', headers: { accept: 'application/json' } };
    await kc.applyToHTTPSOptions(options);
    const lib = url.protocol === 'http:' ? http : https;
    return await new Promise((resolve, reject) => {
      const req = lib.request(url, { ...options, timeout: timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end();
    });
  } catch (err) {
    return { error: errorText(err) };
  }
}

/**
 * A cluster Service named by an in-cluster URL (`http://prometheus.monitoring.svc:9090`, or `http://prometheus:9090` in a
 * default namespace), or undefined for a host outside the cluster.
 */
export function serviceOfUrl(url: string, defaultNamespace: string): ServiceProxyTarget & { path: string } | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  const m = /^([a-z0-9-]+)(?:\.([a-z0-9-]+)(?:\.svc(?:\.cluster\.local)?)?)?$/.exec(u.hostname);
  if (!m) return undefined;
  const port = u.port || (u.protocol === 'https:' ? '443' : '80');
  return { service: m[1] ?? '', namespace: m[2] ?? defaultNamespace, port, tls: u.protocol === 'https:', path: u.pathname.replace(/\/$/, '') };
}
