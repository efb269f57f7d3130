/**
 * Whether an answer shows the request reached the workload over Istio mTLS: the inbound sidecar appends
 * `X-Forwarded-Client-Cert` with the peer's SPIFFE URI for an mTLS peer (APPEND_FORWARD, istio.md §3c), which an echo
 * app (httpbin `/get`, `/headers`, `/anything`) shows in its body. An echoed request without it came in plaintext; an
 * answer that echoes nothing says nothing.
 */
import type { MtlsEvidence } from '../../mesh-factory.ts';
import type { SeenResponse } from '../../mesh-profile.ts';

export function istioMtlsEvidence(res: Pick<SeenResponse, 'headers' | 'body'>): MtlsEvidence {
  let echoed: Record<string, unknown> | undefined;
  try {
    const parsed = JSON.parse(res.body) as { headers?: unknown };
    if (parsed.headers && typeof parsed.headers === 'object') echoed = parsed.headers as Record<string, unknown>;
  } catch {
    return 'unknown';
  }
  if (!echoed) return 'unknown';
  const xfcc = Object.entries(echoed).find(([k]) => k.toLowerCase() === 'x-forwarded-client-cert')?.[1];
  const value = Array.isArray(xfcc) ? xfcc.join(',') : typeof xfcc === 'string' ? xfcc : '';
  return /URI=spiffe:\/\//.test(value) ? 'mtls' : 'plaintext';
}
