/** The AKS Application Gateway reaches the pod from 10.225.0.4 as the mesh sees it, with AppGW's error page on failure. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KubeObject } from '../cluster/types.ts';
import { fakeTypes } from '../node/testing/fake-store.ts';
import { httpbinPod, httpbinService, podRunningReady, request, startSimNodeFixture } from '../node/testing/sim-node-fixture.ts';
import type { SimNodeFixture } from '../node/testing/sim-node-fixture.ts';
import { appGatewayPrivateAddress, startAppGateway } from './app-gateway.ts';
import type { AppGateway } from './app-gateway.ts';
import { endpointsFor, httpbinIngress } from './testing/ingress-objects.ts';

type LbEntry = { ip: string; ports?: { port: number }[] };
const lbOf = (ingress: KubeObject | undefined): LbEntry | undefined =>
  (ingress?.status as { loadBalancer?: { ingress?: LbEntry[] } } | undefined)?.loadBalancer?.ingress?.[0];

describe('Application Gateway (aks flavor)', () => {
  let fx: SimNodeFixture;
  let gateway: AppGateway;
  let url: string;

  before(async () => {
    fx = await startSimNodeFixture();
    gateway = await startAppGateway({ store: fx.store, network: fx.network, hooks: fx.hooks.ingress });
    await fx.store.create(fakeTypes.service, httpbinService());
    await fx.store.create(fakeTypes.pod, httpbinPod('httpbin-1'));
    const hb = await fx.store.waitFor(fakeTypes.pod, 'httpbin', 'httpbin-1', 'to be Running 2/2', podRunningReady, 20_000);
    await fx.store.create(fakeTypes.endpoints, endpointsFor('httpbin', 'httpbin', (hb!.status as { podIP: string }).podIP, 14001, 'http'));
    await fx.store.create(fakeTypes.ingress, httpbinIngress({ 'kubernetes.io/ingress.class': 'azure/application-gateway' }));
    const ing = await fx.store.waitFor(fakeTypes.ingress, 'httpbin', 'httpbin', 'to have an address', (i) => !!lbOf(i), 5_000);
    const lb = lbOf(ing)!;
    assert.equal(lb.ip, gateway.address);
    url = `http://${lb.ip}:${lb.ports?.[0]?.port ?? 80}`;
  });

  after(async () => {
    await gateway.stop();
    await fx.teardown();
  });

  it('answers 502 Bad Gateway from AppGW while the mesh denies its private address', async () => {
    fx.policy.allow = () => false;
    const res = await request(`${url}/get`);
    assert.equal(res.status, 502);
    assert.match(res.body, /Microsoft-Azure-Application-Gateway\/v2/);
    assert.equal(fx.policy.asked.at(-1)?.peer, appGatewayPrivateAddress);
  });

  it('answers 200 through the sidecar once 10.0.0.0/8 is allowed', async () => {
    fx.policy.allow = (_pod, _port, peer) => peer.startsWith('10.');
    const res = await request(`${url}/get`);
    assert.equal(res.status, 200, res.body);
    assert.ok(res.headers['x-envoy-upstream-service-time']);
  });
});

describe('Application Gateway with the realistic programming delay', () => {
  let fx: SimNodeFixture;
  let gateway: AppGateway;

  before(async () => {
    fx = await startSimNodeFixture();
    fx.policy.allow = () => true;
    gateway = await startAppGateway({ store: fx.store, network: fx.network, hooks: fx.hooks.ingress, programMs: 400, probeIntervalMs: 300 });
    await fx.store.create(fakeTypes.service, httpbinService());
    await fx.store.create(fakeTypes.pod, httpbinPod('httpbin-1'));
    const hb = await fx.store.waitFor(fakeTypes.pod, 'httpbin', 'httpbin-1', 'to be Running 2/2', podRunningReady, 20_000);
    await fx.store.create(fakeTypes.endpoints, endpointsFor('httpbin', 'httpbin', (hb!.status as { podIP: string }).podIP, 14001, 'http'));
  });

  after(async () => {
    await gateway.stop();
    await fx.teardown();
  });

  it('publishes the address before the route exists, answering 502 from the default listener, then 200 once programmed and probed', async () => {
    await fx.store.create(fakeTypes.ingress, httpbinIngress({ 'kubernetes.io/ingress.class': 'azure/application-gateway' }));
    const ing = await fx.store.waitFor(fakeTypes.ingress, 'httpbin', 'httpbin', 'to have an address', (i) => !!lbOf(i), 5_000);
    const lb = lbOf(ing)!;
    const url = `http://${lb.ip}:${lb.ports?.[0]?.port ?? 80}/get`;
    const early = await request(url);
    assert.equal(early.status, 502, 'the address is out before the ARM update: the default listener answers');
    assert.match(early.body, /Microsoft-Azure-Application-Gateway\/v2/);
    assert.equal(fx.policy.asked.length, 0, 'nothing reached the mesh');
    const deadline = Date.now() + 10_000;
    let last = early.status;
    while (last !== 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      last = (await request(url)).status;
    }
    assert.equal(last, 200, 'programmed and probed within the modelled delays');
  });
});
