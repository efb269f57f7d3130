/**
 * The sidecar's side of Envoy's ext_authz filter: one Check per inbound request to the authorization service named in
 * the mesh's settings, over a real socket from the pod's address, bounded by the filter's timeout. The verdict is the
 * service's (allowed, denied) or an error (no such Service, no ready endpoint, refused, reset, too slow, an answer it
 * cannot read); the caller applies `failureModeAllow` (ext_authz.proto: on an error the request is rejected with
 * `status_on_error`, 403 Forbidden by default, unless failure_mode_allow is set). The wire format is the simulator's
 * (opa-envoy-container.ts), not gRPC.
 */
import http from 'node:http';
import type { ExternalAuthorizationSettings, ObjectStore } from '../cluster/types.ts';
import { readyBackends, resolveService } from '../node/outbound.ts';
import type { CheckAttributes } from './opa-envoy-container.ts';
import { checkPath, rpcCode } from './opa-envoy-container.ts';

export type ExtAuthzVerdict = { kind: 'allowed' } | { kind: 'denied' } | { kind: 'error'; reason: string };

/** `dial` maps an endpoint's cluster address to the one the pod's socket reaches it on (SimNetwork.dialAddressOf). */
export async function askExternalAuthorization(store: ObjectStore, from: string, namespace: string, settings: ExternalAuthorizationSettings, attrs: CheckAttributes, dial: (address: string) => string = (a) => a): Promise<ExtAuthzVerdict> {
  const target = `${settings.address}:${settings.port}`;
  const resolved = resolveService(store, settings.address, namespace, settings.port);
  if (!resolved) return { kind: 'error', reason: `${target}: no such host` };
  if (!resolved.port) return { kind: 'error', reason: `${target}: the Service has no port ${settings.port}` };
  const [backend] = readyBackends(store, resolved.service, resolved.port);
  if (!backend) return { kind: 'error', reason: `${target}: no ready endpoint` };
  const body = JSON.stringify({ attributes: { request: { http: attrs } } });
  return new Promise<ExtAuthzVerdict>((resolve) => {
    const req = http.request({
      host: dial(backend.ip), port: backend.port, method: 'POST', path: checkPath, localAddress: from, agent: false,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(deadline);
        try {
          const code = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { status?: { code?: number } }).status?.code;
          if (res.statusCode === 200 && code === rpcCode.ok) resolve({ kind: 'allowed' });
          else if (res.statusCode === 200 && code === rpcCode.permissionDenied) resolve({ kind: 'denied' });
          else resolve({ kind: 'error', reason: `${target} answered ${res.statusCode ?? 0} with status ${String(code)}` });
        } catch {
          resolve({ kind: 'error', reason: `${target} answered ${res.statusCode ?? 0} without a CheckResponse` });
        }
      });
      res.on('error', (err) => resolve({ kind: 'error', reason: `${target}: ${err.message}` }));
    });
    const deadline = setTimeout(() => {
      req.destroy();
      resolve({ kind: 'error', reason: `${target}: no answer within ${settings.timeoutMs}ms` });
    }, settings.timeoutMs);
    req.on('error', (err) => {
      clearTimeout(deadline);
      resolve({ kind: 'error', reason: `${target}: ${err.message}` });
    });
    req.end(body);
  });
}
