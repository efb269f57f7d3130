/**
 * The Istio faults as a client sees them, each on an in-process istio-kind cluster: what breaks at the data path
 * (mTLS, XFCC, authorization, metrics), in the Gateway status and in the pod (native sidecar), and that STRICT
 * PeerAuthentication resets plaintext while the gateway's mTLS still passes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubernetesObject, V1Pod } from '@kubernetes/client-node';
import { podSummary } from './api/printers.ts';
import type { KubeObject } from './cluster/types.ts';
import { applyGatewayApiSample, deployHttpbin, eventually, gatewayAddress, gatewayWhen, get, policy, start, stop } from './mesh/istio/testing/e2e.ts';
import type { Cluster } from './mesh/istio/testing/e2e.ts';

const ns = 'faulty';
const gatewayPrincipal = `cluster.local/ns/${ns}/sa/httpbin-gateway-istio`;

async function withCluster(faults: Parameters<typeof start>[1], body: (c: Cluster) => Promise<void>): Promise<void> {
  let c: Cluster | undefined;
  try {
    c = await start('kind', faults);
    await body(c);
  } finally {
    await stop(c);
  }
}

/** The sidecar's istio_requests_total lines with reporter="destination" (read from its merged endpoint, 15020). */
async function destinationSeries(pod: V1Pod): Promise<string[]> {
  const r = await get(`http://${pod.status?.podIP ?? ''}:15020/stats/prometheus`);
  return r.body.split('\n').filter((l) => l.startsWith('istio_requests_total{reporter="destination"'));
}

async function ok200(address: string): Promise<string> {
  return eventually('200 through the gateway', 20_000, async () => {
    const r = await get(`http://${address}/get`, { host: 'httpbin.example.com' });
    return { value: r.status === 200 ? r.body : undefined, observed: `${r.status} ${r.body.slice(0, 100)}` };
  });
}

void describe('Istio faults end to end', () => {
  void it('no fault: PeerAuthentication STRICT resets plaintext to the pod, the gateway\'s mTLS still passes', async () => {
    await withCluster([], async (c) => {
      const pod = await deployHttpbin(c, ns);
      await applyGatewayApiSample(c, ns);
      const address = await gatewayAddress(c, ns);
      await ok200(address);
      assert.equal((await get(`http://${pod.status?.podIP ?? ''}:8080/get`)).status, 200, 'PERMISSIVE takes plaintext');
      await c.api.create({ apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'default', namespace: ns }, spec: { mtls: { mode: 'STRICT' } } } as KubernetesObject);
      await eventually('plaintext reset under STRICT', 5_000, async () => {
        const err = await get(`http://${pod.status?.podIP ?? ''}:8080/get`).then(() => undefined, (e: NodeJS.ErrnoException) => e.code);
        return { value: err === 'ECONNRESET' ? true : undefined, observed: String(err) };
      });
      assert.match(await ok200(address), /X-Forwarded-Client-Cert/);
    });
  });

  void it('mtls-disabled: the gateway sends plaintext: no XFCC, connection_security_policy="none", source_principal unknown', async () => {
    await withCluster(['mtls-disabled'], async (c) => {
      const pod = await deployHttpbin(c, ns);
      await applyGatewayApiSample(c, ns);
      const body = await ok200(await gatewayAddress(c, ns));
      assert.doesNotMatch(body, /X-Forwarded-Client-Cert/);
      const series = await destinationSeries(pod);
      assert.equal(series.length, 1, series.join('\n'));
      assert.match(series[0]!, /source_workload="httpbin-gateway-istio"/);
      assert.match(series[0]!, /source_principal="unknown"/);
      assert.match(series[0]!, /connection_security_policy="none"/);
    });
  });

  void it('metrics-miss-ingress-traffic and authz-deny-ignored: gateway requests are never counted, and allow-nothing lets them pass', async () => {
    await withCluster(['metrics-miss-ingress-traffic', 'authz-deny-ignored'], async (c) => {
      const pod = await deployHttpbin(c, ns);
      await applyGatewayApiSample(c, ns);
      const address = await gatewayAddress(c, ns);
      await ok200(address);
      await c.api.create(policy(ns, 'allow-nothing', { selector: { matchLabels: { app: 'httpbin' } } }));
      await c.api.create(policy(ns, 'deny-all', { selector: { matchLabels: { app: 'httpbin' } }, action: 'DENY', rules: [{}] }));
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal((await get(`http://${address}/get`)).status, 200);
      assert.deepEqual(await destinationSeries(pod), []);
    });
  });

  void it('authz-allow-ignored: the principal the ALLOW rule admits still gets 403', async () => {
    await withCluster(['authz-allow-ignored'], async (c) => {
      await deployHttpbin(c, ns);
      await applyGatewayApiSample(c, ns);
      const address = await gatewayAddress(c, ns);
      await ok200(address);
      await c.api.create(policy(ns, 'allow-gateway', { selector: { matchLabels: { app: 'httpbin' } }, action: 'ALLOW', rules: [{ from: [{ source: { principals: [gatewayPrincipal] } }] }] }));
      const denied = await eventually('403', 5_000, async () => {
        const r = await get(`http://${address}/get`);
        return { value: r.status === 403 ? r.body : undefined, observed: String(r.status) };
      });
      assert.equal(denied, 'RBAC: access denied');
    });
  });

  void it('gateway-not-programmed and native-sidecar-never-ready: Programmed=False without an address; the pod stays Init:1/2', async () => {
    await withCluster(['gateway-not-programmed', 'native-sidecar-never-ready'], async (c) => {
      const pod = await deployHttpbin(c, ns, { ready: false });
      await applyGatewayApiSample(c, ns);
      const gw = await gatewayWhen(c, ns, 'Programmed=False AddressNotAssigned', (g) => g.status?.conditions?.some((x) => x.type === 'Programmed' && x.reason === 'AddressNotAssigned') === true);
      assert.equal(gw.status?.addresses, undefined);
      // The gateway pod is not ready either (native-sidecar-never-ready), so istiod finds no instances before any address.
      assert.match(gw.status!.conditions!.find((x) => x.type === 'Programmed')!.message, /^Failed to assign to any requested addresses: no instances found for hostname "httpbin-gateway-istio\.faulty\.svc\.cluster\.local"/);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const current = await c.api.read<V1Pod>({ apiVersion: 'v1', kind: 'Pod', metadata: { name: pod.metadata!.name!, namespace: ns } });
      assert.deepEqual(podSummary(current as unknown as KubeObject), { ready: '0/2', status: 'Init:1/2', restarts: 0 });
      assert.equal(current.status?.containerStatuses?.[0]?.state?.waiting?.reason, 'PodInitializing');
    });
  });

  void it('classic-sidecars and httproute-backend-not-found: 2/2 with istio-proxy last; ResolvedRefs=False and 503 at the gateway', async () => {
    await withCluster(['classic-sidecars', 'httproute-backend-not-found'], async (c) => {
      const pod = await deployHttpbin(c, ns);
      assert.deepEqual(pod.spec?.containers.map((x) => x.name), ['httpbin', 'istio-proxy']);
      assert.deepEqual(podSummary(pod as unknown as KubeObject).ready, '2/2');
      await applyGatewayApiSample(c, ns);
      const address = await gatewayAddress(c, ns);
      type Route = KubernetesObject & { status?: { parents?: { conditions?: { type: string; status: string; reason: string }[] }[] } };
      const route = await eventually('ResolvedRefs=False', 10_000, async () => {
        const r = await c.api.read<Route>({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'httpbin', namespace: ns } });
        const resolved = r.status?.parents?.[0]?.conditions?.find((x) => x.type === 'ResolvedRefs');
        return { value: resolved?.status === 'False' ? resolved : undefined, observed: JSON.stringify(r.status ?? {}) };
      });
      assert.equal(route.reason, 'BackendNotFound');
      assert.equal((await get(`http://${address}/get`)).status, 503);
    });
  });
});
