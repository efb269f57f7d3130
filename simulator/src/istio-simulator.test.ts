/**
 * End to end through the kubeconfig, for both Istio flavors in-process: the Istio httpbin task (istio.md §9) with
 * @kubernetes/client-node. istio-kind: a namespace labelled istio.io/rev=asm-1-30, the httpbin sample (2/2, istio-proxy
 * native), the Gateway API gateway and route, 200 at the Gateway's address, 403 `RBAC: access denied` under an
 * allow-nothing policy, 200 with the gateway's XFCC once its principal is allowed, and the Prometheus addon counting
 * istio_requests_total{reporter="destination",connection_security_policy="mutual_tls"}. istio-aks: the same through the
 * add-on's ingress gateway (Istio Gateway + VirtualService) and managed Prometheus with its bearer token.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type https from 'node:https';
import { describe, it } from 'node:test';
import type { KubernetesObject } from '@kubernetes/client-node';
import { applyGatewayApiSample, authzFlow, deployHttpbin, eventually, gatewayWhen, get, start, stop } from './mesh/istio/testing/e2e.ts';
import type { Cluster } from './mesh/istio/testing/e2e.ts';

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

      await applyGatewayApiSample(c, ns);
      const gw = await gatewayWhen(c, ns, 'Gateway Programmed=True with an address', (g) => g.status?.conditions?.some((x) => x.type === 'Programmed' && x.status === 'True') === true && !!g.status?.addresses?.length);
      assert.deepEqual(gw.status?.conditions?.map((x) => [x.type, x.status, x.reason, x.observedGeneration]), [['Accepted', 'True', 'Accepted', 1], ['Programmed', 'True', 'Programmed', 1]]);
      assert.equal(gw.status?.addresses?.[0]?.type, 'IPAddress');

      const allowed = await authzFlow(gw.status.addresses[0].value, 'httpbin.example.com', ns, c, `cluster.local/ns/${ns}/sa/httpbin-gateway-istio`);

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
