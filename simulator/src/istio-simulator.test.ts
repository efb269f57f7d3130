/**
 * End to end through the kubeconfig, for both Istio flavors in-process: the Istio httpbin task (istio.md §9) with
 * @kubernetes/client-node. istio-kind: a namespace labelled istio.io/rev=asm-1-30, the httpbin sample (2/2, istio-proxy
 * native), the Gateway API gateway and route, 200 at the Gateway's address, 403 `RBAC: access denied` under an
 * allow-nothing policy, 200 with the gateway's XFCC once its principal is allowed, and the Prometheus addon counting
 * istio_requests_total{reporter="destination",connection_security_policy="mutual_tls"}. istio-aks: the same through the
 * add-on's ingress gateway (Istio Gateway + VirtualService) and managed Prometheus with its bearer token.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';
import type { KubernetesObject, V1Pod } from '@kubernetes/client-node';
import { startSimulator } from './simulator.ts';
import type { Simulator } from './simulator.ts';

async function eventually<T>(description: string, timeoutMs: number, probe: () => Promise<{ value?: T; observed: string }>): Promise<T> {
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

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function get(url: string, headers: Record<string, string> = {}, opts: https.RequestOptions = {}): Promise<Answer> {
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
function httpbinSample(ns: string): KubernetesObject[] {
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

function policy(ns: string, name: string, spec: Record<string, unknown>): KubernetesObject {
  return { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name, namespace: ns }, spec } as KubernetesObject;
}

interface Cluster {
  sim: Simulator;
  dir: string;
  kc: KubeConfig;
  api: KubernetesObjectApi;
}

async function start(flavor: 'kind' | 'aks'): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), `istio-${flavor}-e2e-`));
  const sim = await startSimulator({ mesh: 'istio', flavor, kubeconfig: join(dir, 'kubeconfig'), port: 0, readyTimeoutMs: 60_000 });
  const kc = new KubeConfig();
  kc.loadFromFile(sim.kubeconfig);
  return { sim, dir, kc, api: KubernetesObjectApi.makeApiClient(kc) };
}

async function stop(c: Cluster | undefined): Promise<void> {
  await c?.sim.close();
  if (c) rmSync(c.dir, { recursive: true, force: true });
}

/** The onboarding and the sample: returns the Ready injected pod. */
async function deployHttpbin(c: Cluster, ns: string): Promise<V1Pod> {
  await c.api.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { 'istio.io/rev': 'asm-1-30' } } });
  for (const o of httpbinSample(ns)) await c.api.create(o);
  return eventually('httpbin 2/2 Ready', 30_000, async () => {
    const list = await c.api.list<V1Pod>('v1', 'Pod', ns);
    const pod = list.items.find((p) => p.metadata?.labels?.['app'] === 'httpbin');
    const ready = pod?.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True');
    return { value: ready ? pod : undefined, observed: JSON.stringify(pod?.status?.conditions ?? 'no pod') };
  });
}

async function authzFlow(address: string, host: string, ns: string, c: Cluster, gatewayPrincipal: string): Promise<number> {
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

type PromResult = { status: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };

void describe('simulated Istio end to end', () => {
  void it('istio-kind: the httpbin task through the Gateway API gateway, authorization, XFCC and the Prometheus addon', async () => {
    let c: Cluster | undefined;
    try {
      c = await start('kind');
      const cluster = c;
      assert.deepEqual([c.sim.mesh, c.sim.flavor, c.sim.context], ['istio', 'kind', 'mesh-conformance-sim-istio-kind']);
      const ns = 'httpbin-e2e';
      const pod = await deployHttpbin(c, ns);
      const init = pod.spec?.initContainers ?? [];
      assert.deepEqual(init.map((x) => [x.name, x.restartPolicy ?? '']), [['istio-init', ''], ['istio-proxy', 'Always']]);
      assert.deepEqual(pod.spec?.containers.map((x) => x.name), ['httpbin']);
      assert.equal(init[1]?.image, 'registry.istio.io/release/proxyv2:1.30.3');
      const proxyStatus = pod.status?.initContainerStatuses?.find((s) => s.name === 'istio-proxy');
      assert.deepEqual([proxyStatus?.ready, proxyStatus?.started], [true, true]);

      await c.api.create({
        apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'httpbin-gateway', namespace: ns },
        spec: { gatewayClassName: 'istio', listeners: [{ name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'All' } } }] },
      } as KubernetesObject);
      await c.api.create({
        apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'httpbin', namespace: ns },
        spec: { parentRefs: [{ name: 'httpbin-gateway' }], rules: [{ backendRefs: [{ name: 'httpbin', port: 8000 }] }] },
      } as KubernetesObject);
      type Gw = KubernetesObject & { status?: { addresses?: { type: string; value: string }[]; conditions?: { type: string; status: string; reason: string; observedGeneration: number }[] } };
      const gw = await eventually('Gateway Programmed=True with an address', 20_000, async () => {
        const g = await cluster.api.read<Gw>({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'httpbin-gateway', namespace: ns } });
        const programmed = g.status?.conditions?.find((x) => x.type === 'Programmed');
        return { value: programmed?.status === 'True' && g.status?.addresses?.length ? g : undefined, observed: JSON.stringify(g.status ?? {}) };
      });
      assert.deepEqual(gw.status?.conditions?.map((x) => [x.type, x.status, x.reason, x.observedGeneration]), [['Accepted', 'True', 'Accepted', 1], ['Programmed', 'True', 'Programmed', 1]]);
      assert.equal(gw.status?.addresses?.[0]?.type, 'IPAddress');

      const allowed = await authzFlow(gw.status!.addresses![0]!.value, 'httpbin.example.com', ns, c, `cluster.local/ns/${ns}/sa/httpbin-gateway-istio`);

      const query = encodeURIComponent('istio_requests_total{reporter="destination",destination_workload="httpbin",connection_security_policy="mutual_tls",response_code="200"}');
      const opts: https.RequestOptions = {};
      await c.kc.applyToHTTPSOptions(opts);
      const series = await eventually('the Prometheus addon counting the mTLS requests', 30_000, async () => {
        const r = await get(`${cluster.sim.server}/api/v1/namespaces/istio-system/services/prometheus:9090/proxy/api/v1/query?query=${query}`, {}, opts);
        const result = (JSON.parse(r.body) as PromResult).data.result;
        const total = result.reduce((n, s) => n + Number(s.value[1]), 0);
        return { value: total >= allowed ? result : undefined, observed: `${r.status} total=${total} of ${allowed}` };
      });
      assert.equal(series[0]?.metric['namespace'], ns);
      assert.match(series[0]?.metric['pod'] ?? '', /^httpbin-/);
      assert.equal(series[0]?.metric['source_workload'], 'httpbin-gateway-istio');
      assert.equal(series[0]?.metric['source_principal'], `spiffe://cluster.local/ns/${ns}/sa/httpbin-gateway-istio`);
    } finally {
      await stop(c);
    }
  });

  void it('istio-aks: the same through the add-on ingress gateway (Gateway + VirtualService) and managed Prometheus', async () => {
    let c: Cluster | undefined;
    try {
      c = await start('aks');
      const cluster = c;
      const mp = c.sim.managedPrometheus!;
      assert.ok(mp, 'the ready message offers managed Prometheus');
      assert.equal(mp.cluster, 'mesh-conformance');
      const ns = 'httpbin-aks';
      const pod = await deployHttpbin(c, ns);
      assert.deepEqual(pod.spec?.initContainers?.map((x) => x.name), ['istio-validation', 'istio-proxy']);
      assert.equal(pod.spec?.initContainers?.[1]?.image, 'mcr.microsoft.com/oss/istio/proxyv2:1.30.3-distroless');

      await c.api.create({
        apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name: 'httpbin-gateway', namespace: ns },
        spec: { selector: { istio: 'aks-istio-ingressgateway-external' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }] },
      } as KubernetesObject);
      await c.api.create({
        apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'httpbin', namespace: ns },
        spec: { hosts: ['*'], gateways: ['httpbin-gateway'], http: [{ route: [{ destination: { host: 'httpbin', port: { number: 8000 } } }] }] },
      } as KubernetesObject);
      type Svc = KubernetesObject & { status?: { loadBalancer?: { ingress?: { ip: string }[] } } };
      const address = await eventually('the ingress gateway Service address', 10_000, async () => {
        const s = await cluster.api.read<Svc>({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'aks-istio-ingressgateway-external', namespace: 'aks-istio-ingress' } });
        return { value: s.status?.loadBalancer?.ingress?.[0]?.ip, observed: JSON.stringify(s.status ?? {}) };
      });
      const allowed = await authzFlow(address, 'httpbin.example.com', ns, c, 'cluster.local/ns/aks-istio-ingress/sa/aks-istio-ingressgateway-external');

      const token = readFileSync(mp.tokenFile, 'utf8');
      const ca = readFileSync(mp.caFile);
      const q = (expr: string, auth = true) => get(`${mp.endpoint}/api/v1/query?query=${encodeURIComponent(expr)}`, auth ? { authorization: `Bearer ${token}` } : {}, { ca });
      assert.equal((await q('up', false)).status, 401);
      assert.equal((await q('{job="kubernetes-pods"}')).status, 400);
      assert.equal((await get(`${mp.endpoint}/api/v1/targets`, { authorization: `Bearer ${token}` }, { ca })).status, 404);
      const series = await eventually('managed Prometheus counting the mTLS requests', 30_000, async () => {
        const r = await q('sum by (cluster, namespace) (istio_requests_total{reporter="destination",destination_workload="httpbin",connection_security_policy="mutual_tls",response_code="200"})');
        const result = (JSON.parse(r.body) as PromResult).data.result;
        return { value: Number(result[0]?.value[1] ?? 0) >= allowed ? result : undefined, observed: `${r.status} ${r.body.slice(0, 200)}` };
      });
      assert.deepEqual(series[0]?.metric, { cluster: 'mesh-conformance', namespace: ns });
    } finally {
      await stop(c);
    }
  });
});
