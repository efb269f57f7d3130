/**
 * Helpers for end-to-end tests of the Istio flavors: an in-process simulator reached through its kubeconfig with
 * @kubernetes/client-node, the Istio httpbin sample, its Gateway API gateway, and plain HTTP requests.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';
import type { KubernetesObject, V1Pod } from '@kubernetes/client-node';
import type { FaultName } from '../../../faults/index.ts';
import { startSimulator } from '../../../simulator.ts';
import type { Simulator } from '../../../simulator.ts';

/** Retries `probe` until it returns a value; fails after `timeoutMs` with the last observation. */
export async function eventually<T>(description: string, timeoutMs: number, probe: () => Promise<{ value?: T; observed: string }>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let observed = 'nothing observed yet';
  for (;;) {
    try {
      const result = await probe();
      observed = result.observed;
      if (result.value !== undefined) return result.value;
    } catch (error) {
      observed = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs}ms waiting for ${description}; last seen: ${observed}`);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export function get(url: string, headers: Record<string, string> = {}, opts: https.RequestOptions = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const lib = url.startsWith('https:') ? https : http;
    const req = lib.get(url, { agent: false, headers, timeout: 5_000, ...opts }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
  });
}

/** The Istio httpbin sample (samples/httpbin/httpbin.yaml). */
export function httpbinSample(ns: string): KubernetesObject[] {
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'httpbin', namespace: ns } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'httpbin', namespace: ns, labels: { app: 'httpbin', service: 'httpbin' } }, spec: { ports: [{ name: 'http', port: 8000, targetPort: 8080 }], selector: { app: 'httpbin' } } } as KubernetesObject,
    {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'httpbin', namespace: ns },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'httpbin', version: 'v1' } },
        template: {
          metadata: { labels: { app: 'httpbin', version: 'v1' } },
          spec: { serviceAccountName: 'httpbin', containers: [{ image: 'docker.io/mccutchen/go-httpbin:v2.15.0', imagePullPolicy: 'IfNotPresent', name: 'httpbin', ports: [{ containerPort: 8080 }] }] },
        },
      },
    } as KubernetesObject,
  ];
}

export function policy(ns: string, name: string, spec: Record<string, unknown>): KubernetesObject {
  return { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name, namespace: ns }, spec } as KubernetesObject;
}

export interface Cluster {
  sim: Simulator;
  dir: string;
  kc: KubeConfig;
  api: KubernetesObjectApi;
}

export async function start(flavor: 'kind' | 'aks', faults: FaultName[] = []): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), `istio-${flavor}-e2e-`));
  const sim = await startSimulator({ mesh: 'istio', flavor, faults, kubeconfig: join(dir, 'kubeconfig'), port: 0, readyTimeoutMs: 60_000 });
  const kc = new KubeConfig();
  kc.loadFromFile(sim.kubeconfig);
  return { sim, dir, kc, api: KubernetesObjectApi.makeApiClient(kc) };
}

export async function stop(c: Cluster | undefined): Promise<void> {
  await c?.sim.close();
  if (c) rmSync(c.dir, { recursive: true, force: true });
}

/** The onboarding and the sample: returns the Ready injected pod. */
export async function deployHttpbin(c: Cluster, ns: string, opts: { ready?: boolean } = {}): Promise<V1Pod> {
  await c.api.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { 'istio.io/rev': 'asm-1-30' } } });
  for (const o of httpbinSample(ns)) await c.api.create(o);
  return eventually(opts.ready === false ? 'the httpbin pod' : 'httpbin 2/2 Ready', 30_000, async () => {
    const list = await c.api.list<V1Pod>('v1', 'Pod', ns);
    const pod = list.items.find((p) => p.metadata?.labels?.['app'] === 'httpbin');
    const ready = pod?.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True');
    return { value: (opts.ready === false ? pod?.status?.podIP : ready) ? pod : undefined, observed: JSON.stringify(pod?.status?.conditions ?? 'no pod') };
  });
}

export async function authzFlow(address: string, host: string, ns: string, c: Cluster, gatewayPrincipal: string): Promise<number> {
  let allowed = 0;
  const first = await eventually('200 through the gateway', 20_000, async () => {
    const r = await get(`http://${address}/get`, { host });
    return { value: r.status === 200 ? r : undefined, observed: `${r.status} ${r.body.slice(0, 120)}` };
  });
  allowed++;
  assert.equal(first.headers.server, 'istio-envoy');
  assert.match(String(first.headers['x-envoy-upstream-service-time']), /^\d+$/);

  await c.api.create(policy(ns, 'allow-nothing', { selector: { matchLabels: { app: 'httpbin' } } }));
  const denied = await eventually('403 under allow-nothing', 10_000, async () => {
    const r = await get(`http://${address}/get`, { host });
    if (r.status === 200) allowed++;
    return { value: r.status === 403 ? r : undefined, observed: String(r.status) };
  });
  assert.equal(denied.body, 'RBAC: access denied');
  assert.equal(denied.headers['content-type'], 'text/plain');
  assert.equal(denied.headers.server, 'istio-envoy');

  await c.api.create(policy(ns, 'allow-gateway', { selector: { matchLabels: { app: 'httpbin' } }, action: 'ALLOW', rules: [{ from: [{ source: { principals: [gatewayPrincipal] } }] }] }));
  const ok = await eventually('200 once the gateway principal is allowed', 10_000, async () => {
    const r = await get(`http://${address}/get`, { host });
    return { value: r.status === 200 ? r : undefined, observed: String(r.status) };
  });
  allowed++;
  const echoed = JSON.parse(ok.body) as { headers: Record<string, string[]> };
  const xfcc = echoed.headers['X-Forwarded-Client-Cert']?.[0] ?? '';
  assert.match(xfcc, new RegExp(`^By=spiffe://cluster\\.local/ns/${ns}/sa/httpbin;Hash=[0-9a-f]{64};Subject="";URI=spiffe://${gatewayPrincipal.replace(/\./g, '\\.')}$`));
  return allowed;
}

/** The Gateway API sample (samples/httpbin/gateway-api/httpbin-gateway.yaml) in `ns`. */
export async function applyGatewayApiSample(c: Cluster, ns: string): Promise<void> {
  await c.api.create({
    apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'httpbin-gateway', namespace: ns },
    spec: { gatewayClassName: 'istio', listeners: [{ name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'All' } } }] },
  } as KubernetesObject);
  await c.api.create({
    apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'httpbin', namespace: ns },
    spec: { parentRefs: [{ name: 'httpbin-gateway' }], rules: [{ backendRefs: [{ name: 'httpbin', port: 8000 }] }] },
  } as KubernetesObject);
}

export type GatewayObject = KubernetesObject & { status?: { addresses?: { type: string; value: string }[]; conditions?: { type: string; status: string; reason: string; message: string; observedGeneration: number }[] } };

/** Reads the sample Gateway until `accept` says it is what the test waits for. */
export function gatewayWhen(c: Cluster, ns: string, description: string, accept: (g: GatewayObject) => boolean): Promise<GatewayObject> {
  return eventually(description, 20_000, async () => {
    const g = await c.api.read<GatewayObject>({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'httpbin-gateway', namespace: ns } });
    return { value: accept(g) ? g : undefined, observed: JSON.stringify(g.status ?? {}) };
  });
}

/** The Programmed Gateway's address. */
export async function gatewayAddress(c: Cluster, ns: string): Promise<string> {
  const g = await gatewayWhen(c, ns, 'Gateway Programmed=True with an address', (x) => x.status?.conditions?.some((k) => k.type === 'Programmed' && k.status === 'True') === true && !!x.status?.addresses?.length);
  return g.status!.addresses![0]!.value;
}
