import type { AttemptResult } from '../wait/consecutive.ts';
import type { HttpClient } from './http-client.ts';
import { describeResponse } from './http-client.ts';

/** Header Envoy adds to responses it proxied to an upstream: proof a request went through the sidecar. */
export const envoyUpstreamHeader = 'x-envoy-upstream-service-time';

/** One attempt expecting `GET path` to answer `status` (e.g. 502 before the IngressBackend exists). */
export function expectStatus(http: HttpClient, url: string, status: number, requestTimeoutMs: number, host?: string) {
  return async (signal: AbortSignal): Promise<AttemptResult> => {
    const res = await http.send('GET', url, { timeoutMs: requestTimeoutMs, signal, host });
    return { ok: res.status === status, observed: describeResponse('GET', url, res) };
  };
}

/**
 * One attempt of `curl -sI <url>` plus a GET: both must answer 200 and carry `x-envoy-upstream-service-time`,
 * showing the request reached the app through its sidecar.
 */
export function expectOkThroughSidecar(http: HttpClient, url: string, requestTimeoutMs: number, host?: string) {
  return async (signal: AbortSignal): Promise<AttemptResult> => {
    const seen: string[] = [];
    for (const method of ['HEAD', 'GET'] as const) {
      const res = await http.send(method, url, { timeoutMs: requestTimeoutMs, signal, host });
      const viaEnvoy = res.headers[envoyUpstreamHeader] !== undefined;
      seen.push(`${describeResponse(method, url, res)}${viaEnvoy ? '' : `, ${envoyUpstreamHeader} missing`}`);
      if (res.status !== 200 || !viaEnvoy) return { ok: false, observed: seen.join('; ') };
    }
    return { ok: true, observed: seen.join('; ') };
  };
}
