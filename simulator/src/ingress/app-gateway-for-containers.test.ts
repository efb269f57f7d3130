/**
 * Application Gateway for Containers (aks flavor): the ALB controller's statuses (GatewayClass, ApplicationLoadBalancer,
 * Gateway with its frontend FQDN, HTTPRoute), the FQDN resolving through AGC's DNS server, and the data path reaching
 * the pod from the AGC subnet's address.
 */
import assert from 'node:assert/strict';
import { Resolver } from 'node:dns/promises';
import { after, before, describe, it } from 'node:test';
import type { KubeObject } from '../cluster/types.ts';
import { fakeTypes, type } from '../node/testing/fake-store.ts';
import { httpbinPod, httpbinService, podRunningReady, request, startSimNodeFixture } from '../node/testing/sim-node-fixture.ts';
import type { SimNodeFixture } from '../node/testing/sim-node-fixture.ts';
import { agcSubnetAddress, albAnnotations, startAgc, startAgcDns } from './app-gateway-for-containers.ts';
import { endpointsFor } from './testing/ingress-objects.ts';

const types = {
  gatewayClass: type('gateway.networking.k8s.io', 'v1', 'GatewayClass', 'gatewayclasses', false),
  gateway: type('gateway.networking.k8s.io', 'v1', 'Gateway', 'gateways', true),
  httpRoute: type('gateway.networking.k8s.io', 'v1', 'HTTPRoute', 'httproutes', true),
  alb: type('alb.networking.azure.io', 'v1', 'ApplicationLoadBalancer', 'applicationloadbalancers', true),
};
type Cond = { type: string; status: string; reason: string };
const conds = (o: KubeObject | undefined): Cond[] => ((o?.status as { conditions?: Cond[] } | undefined)?.conditions ?? []);
const holds = (o: KubeObject | undefined, t: string): boolean => conds(o).some((c) => c.type === t && c.status === 'True');

function gateway(name: string, alb: string): KubeObject {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway',
    metadata: { name, namespace: 'httpbin', annotations: { [albAnnotations.namespace]: 'alb-test-infra', [albAnnotations.name]: alb } },
    spec: { gatewayClassName: 'azure-alb-external', listeners: [{ name: 'http', port: 80, protocol: 'HTTP', hostname: 'httpbin.test', allowedRoutes: { namespaces: { from: 'Same' } } }] },
  };
}

async function resolve(server: string, name: string): Promise<string[]> {
  const r = new Resolver({ timeout: 1_000, tries: 1 });
  r.setServers([server]);
  return r.resolve4(name);
}

describe('Application Gateway for Containers (aks flavor)', () => {
  let fx: SimNodeFixture;
  let agc: Awaited<ReturnType<typeof startAgc>>;

  before(async () => {
    fx = await startSimNodeFixture();
    for (const t of Object.values(types)) fx.store.types.register(t);
    agc = await startAgc({ store: fx.store, network: fx.network, hooks: fx.hooks.ingress, frontendDelayMs: 50 });
    await fx.store.create(types.alb, { apiVersion: 'alb.networking.azure.io/v1', kind: 'ApplicationLoadBalancer', metadata: { name: 'alb-test', namespace: 'alb-test-infra' }, spec: { associations: ['subnet-alb'] } });
    await fx.store.create(fakeTypes.service, httpbinService());
    await fx.store.create(fakeTypes.pod, httpbinPod('httpbin-1'));
    const hb = await fx.store.waitFor(fakeTypes.pod, 'httpbin', 'httpbin-1', 'to be Running 2/2', podRunningReady, 20_000);
    await fx.store.create(fakeTypes.endpoints, endpointsFor('httpbin', 'httpbin', (hb!.status as { podIP: string }).podIP, 14001, 'http'));
  });

  after(async () => {
    await agc.stop();
    await fx.teardown();
  });

  it('accepts its GatewayClass and deploys the associated ApplicationLoadBalancer', async () => {
    await fx.store.waitFor(types.gatewayClass, undefined, 'azure-alb-external', 'to be Accepted', (c) => holds(c, 'Accepted'), 5_000);
    const alb = await fx.store.waitFor(types.alb, 'alb-test-infra', 'alb-test', 'to be deployed', (a) => holds(a, 'Deployment'), 5_000);
    assert.equal(conds(alb).find((c) => c.type === 'Deployment')?.reason, 'Ready');
  });

  it('leaves a Gateway bound to a missing ApplicationLoadBalancer not Accepted, without an address', async () => {
    await fx.store.create(types.gateway, gateway('orphan', 'no-such-alb'));
    const gw = await fx.store.waitFor(types.gateway, 'httpbin', 'orphan', 'to have conditions', (g) => conds(g).length > 0, 5_000);
    assert.deepEqual(conds(gw).map((c) => [c.type, c.status]), [['Accepted', 'False'], ['Programmed', 'False']]);
    assert.equal((gw?.status as { addresses?: unknown }).addresses, undefined);
  });

  it('programs a Gateway with a resolvable frontend FQDN and serves its HTTPRoute from the AGC subnet', async () => {
    await fx.store.create(types.gateway, gateway('httpbin', 'alb-test'));
    await fx.store.create(types.httpRoute, {
      apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'httpbin', namespace: 'httpbin' },
      spec: { parentRefs: [{ name: 'httpbin' }], rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [{ name: 'httpbin', port: 14001 }] }] },
    });
    const gw = await fx.store.waitFor(types.gateway, 'httpbin', 'httpbin', 'to be Programmed', (g) => holds(g, 'Programmed'), 5_000);
    const fqdn = (gw?.status as { addresses: { type: string; value: string }[] }).addresses[0]!;
    assert.equal(fqdn.type, 'Hostname');
    assert.match(fqdn.value, /^[0-9a-f]{16}\.fz\d\d\.alb\.azure\.com$/);
    const route = await fx.store.waitFor(types.httpRoute, 'httpbin', 'httpbin', 'to be Accepted', (r) => ((r?.status as { parents?: { conditions: Cond[] }[] } | undefined)?.parents ?? []).length > 0, 5_000);
    const parent = (route?.status as { parents: { controllerName: string; conditions: Cond[] }[] }).parents[0]!;
    assert.equal(parent.controllerName, 'alb.networking.azure.io/alb-controller');
    assert.deepEqual(parent.conditions.map((c) => [c.type, c.status]), [['ResolvedRefs', 'True'], ['Accepted', 'True'], ['Programmed', 'True']]);

    const [address] = await resolve(agc.dnsServer, fqdn.value);
    assert.equal(address, agc.address);
    fx.policy.allow = () => false;
    const refused = await request(`http://${address}:${agc.port}/get`, { headers: { host: 'httpbin.test' } });
    assert.equal(refused.status, 503, 'Envoy\'s answer for a reset upstream');
    assert.equal(fx.policy.asked.at(-1)?.peer, agcSubnetAddress);
    fx.policy.allow = (_pod, _port, peer) => peer.startsWith('10.');
    const res = await request(`http://${address}:${agc.port}/get`, { headers: { host: 'httpbin.test' } });
    assert.equal(res.status, 200, res.body);
  });
});

describe('AGC DNS', () => {
  it('answers NXDOMAIN for a name it does not know', async () => {
    const dns = await startAgcDns('127.0.0.1', (n) => (n === 'known.alb.azure.com' ? '127.0.0.9' : undefined));
    try {
      assert.deepEqual(await resolve(dns.server, 'known.alb.azure.com'), ['127.0.0.9']);
      await assert.rejects(resolve(dns.server, 'unknown.alb.azure.com'), (e: NodeJS.ErrnoException) => e.code === 'ENOTFOUND');
    } finally {
      await dns.close();
    }
  });
});
