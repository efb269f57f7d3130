/**
 * The OPA-Envoy container (openpolicyagent/opa:*-envoy): OPA with the plugin `envoy_ext_authz_grpc`, which serves
 * Envoy's external authorization API on `addr` (:9191 in deploy/opa/opa-envoy.yaml) and answers each Check with the
 * policy decision `envoy/authz/allow`. The policy is read once, at start, from the mounted ConfigMap (`opa-policy`),
 * so an edited policy takes a restart, as OSM's walkthrough says (`kubectl rollout restart deployment opa -n opa`).
 * Each decision is logged as OPA's console decision log does (`"result": true|false`).
 *
 * Not emulated (simulator/README.md): the wire protocol. Envoy speaks gRPC (HTTP/2, protobuf CheckRequest) to the
 * plugin; here the sidecar POSTs the CheckRequest's `attributes.request.http` as JSON over HTTP/1.1 to
 * `/envoy.service.auth.v3.Authorization/Check` and reads `{"status":{"code":0|7}}` (OK or PERMISSION_DENIED). Only
 * the Rego opa-policy.ts reads is evaluated.
 */
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { inProcessContainer, idleContainer } from '../node/container.ts';
import type { ContainerContext, RunningContainer } from '../node/container.ts';
import { listenOn } from '../node/network.ts';
import { decide, parsePolicy } from './opa-policy.ts';

export const checkPath = '/envoy.service.auth.v3.Authorization/Check';
/** google.rpc.Code values the plugin answers with. */
export const rpcCode = { ok: 0, permissionDenied: 7 } as const;

/** The request attributes the sidecar sends (CheckRequest.attributes.request.http, as JSON). */
export interface CheckAttributes {
  method: string;
  path: string;
  headers: Record<string, string>;
}

/** The policy text of the ConfigMap volume mounted at the policy's path (the first ConfigMap volume with a `.rego` key). */
function mountedPolicy(ctx: ContainerContext): string | undefined {
  const volumes = ((ctx.pod['spec'] as { volumes?: { configMap?: { name?: string } }[] } | undefined)?.volumes ?? []);
  const type = ctx.store.types.byKind('ConfigMap', 'v1');
  if (!type) return undefined;
  for (const v of volumes) {
    const name = v.configMap?.name;
    if (!name) continue;
    const cm = ctx.store.get(type, ctx.pod.metadata.namespace, name);
    const data = (cm?.['data'] ?? {}) as Record<string, string>;
    const rego = Object.entries(data).find(([k]) => k.endsWith('.rego'));
    if (rego) return rego[1];
  }
  return undefined;
}

export async function startOpaEnvoyContainer(ctx: ContainerContext): Promise<RunningContainer> {
  const log = (entry: Record<string, unknown>): void => ctx.log(JSON.stringify({ ...entry, time: ctx.clock().toISOString() }));
  const text = mountedPolicy(ctx);
  if (text === undefined) {
    // OPA refuses to start without the files it is told to load.
    log({ level: 'error', msg: 'error: stat /policy/policy.rego: no such file or directory' });
    return { ready: false, exited: Promise.resolve(1), stop: () => Promise.resolve() };
  }
  const policy = parsePolicy(text);
  log({ level: 'info', msg: 'Initializing server.', addrs: [':8181'], 'diagnostic-addrs': [':8282'] });
  if (ctx.hooks.mesh.extAuthzServerDown) {
    // The plugin never started its gRPC server: OPA's REST API runs, nothing listens on 9191.
    log({ level: 'error', msg: 'Failed to start gRPC server.', err: 'listen tcp :9191: bind: address already in use', plugin: 'envoy_ext_authz_grpc' });
    return idleContainer();
  }
  const plan = ctx.ports.find((p) => p.containerName === ctx.container.name && p.containerPort === 9191);
  const server = http.createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== checkPath) {
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let attrs: CheckAttributes;
      try {
        attrs = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { attributes: { request: { http: CheckAttributes } } }).attributes.request.http;
      } catch {
        res.writeHead(400).end();
        return;
      }
      const allowed = decide(policy, attrs.headers);
      log({ decision_id: randomUUID(), input: { attributes: { request: { http: { method: attrs.method, path: attrs.path } } } }, labels: { app: 'opa' }, msg: 'Decision Log', path: 'envoy/authz/allow', result: allowed, type: 'openpolicyagent.org/decision_logs' });
      const body = JSON.stringify({ status: { code: allowed ? rpcCode.ok : rpcCode.permissionDenied } });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
    });
  });
  await listenOn(server, ctx.podIP, plan?.listenPort ?? 9191);
  log({ level: 'info', msg: 'Starting gRPC server.', addr: ':9191', plugin: 'envoy_ext_authz_grpc' });
  return inProcessContainer(() => new Promise<void>((resolve) => server.close(() => resolve())));
}
