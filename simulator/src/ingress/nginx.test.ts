/** ingress-nginx routes the httpbin Ingress through the sidecar: 502 while the mesh denies it, 200 once it allows it. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KubeObject } from '../cluster/types.ts';
import { endpointsFor, httpbinIngress, nginxControllerPod } from './testing/ingress-objects.ts';
import { backendTlsOf } from './nginx.ts';
import { fakeTypes } from '../node/testing/fake-store.ts';
import { httpbinPod, httpbinService, podRunningReady, request, startSimNodeFixture } from '../node/testing/sim-node-fixture.ts';
import type { SimNodeFixture } from '../node/testing/sim-node-fixture.ts';

type LbEntry = { ip: string; ports?: { port: number; protocol: string }[] };
const lbOf = (ingress: KubeObject | undefined): LbEntry | undefined =>
  (ingress?.status as { loadBalancer?: { ingress?: LbEntry[] } } | undefined)?.loadBalancer?.ingress?.[0];

describe('ingress-nginx controller', () => {
  let fx: SimNodeFixture;
  let httpbinIP: string;
  let nginxIP: string;
  let url: string;

  before(async () => {
    fx = await startSimNodeFixture();
    await fx.store.create(fakeTypes.service, httpbinService());
    await fx.store.create(fakeTypes.pod, httpbinPod('httpbin-1'));
    await fx.store.create(fakeTypes.pod, nginxControllerPod());
    const hb = await fx.store.waitFor(fakeTypes.pod, 'httpbin', 'httpbin-1', 'to be Running 2/2', podRunningReady, 20_000);
    const ng = await fx.store.waitFor(fakeTypes.pod, 'ingress-nginx', 'ingress-nginx-controller-5c8d66c76d-abcde', 'to be Running', podRunningReady, 20_000);
    httpbinIP = (hb!.status as { podIP: string }).podIP;
    nginxIP = (ng!.status as { podIP: string }).podIP;
    await fx.store.create(fakeTypes.endpoints, endpointsFor('httpbin', 'httpbin', httpbinIP, 14001, 'http'));
    await fx.store.create(fakeTypes.ingress, httpbinIngress({}, 'nginx'));
    const ing = await fx.store.waitFor(fakeTypes.ingress, 'httpbin', 'httpbin', 'to have an address', (i) => !!lbOf(i), 5_000);
    const lb = lbOf(ing)!;
    url = `http://${lb.ip}:${lb.ports?.[0]?.port ?? 80}`;
  });

  after(async () => {
    await fx.teardown();
  });

  it('publishes the node address it listens on', () => {
    assert.match(url, new RegExp(`^http://${fx.kubelet.nodeAddress('mesh-conformance-worker')!.replace(/\./g, '\\.')}:\\d+$`));
  });

  it('answers 502 while the sidecar denies the controller', async () => {
    fx.policy.allow = () => false;
    const res = await request(`${url}/status/200`);
    assert.equal(res.status, 502);
    assert.match(res.body, /<center><h1>502 Bad Gateway<\/h1><\/center>\r\n<hr><center>nginx<\/center>/);
    assert.equal(fx.policy.asked.at(-1)?.peer, nginxIP, 'the sidecar must see the controller pod as the source');
  });

  it('answers 200 through the sidecar once the controller is allowed', async () => {
    fx.policy.allow = (_pod, port, peer) => port === 14001 && peer === nginxIP;
    for (let i = 0; i < 5; i++) {
      const res = await request(`${url}/get`);
      assert.equal(res.status, 200, res.body);
      assert.ok(res.headers['x-envoy-upstream-service-time'], 'response must carry x-envoy-upstream-service-time');
    }
    const logs = fx.kubelet.logs.logs('ingress-nginx', 'ingress-nginx-controller-5c8d66c76d-abcde', 'controller') ?? '';
    assert.match(logs, /"GET \/get HTTP\/1\.1" 200 .*\[httpbin-httpbin-14001\]/);
  });

  it('answers 404 without a rule and 503 without endpoints', async () => {
    await fx.store.create(fakeTypes.service, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'empty', namespace: 'httpbin' }, spec: { selector: { app: 'none' }, ports: [{ port: 80 }] } });
    await fx.store.create(fakeTypes.ingress, {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'empty', namespace: 'httpbin' },
      spec: { ingressClassName: 'nginx', rules: [{ host: 'empty.example', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'empty', port: { number: 80 } } } }] } }] },
    });
    assert.equal((await request(`${url}/`, { headers: { host: 'empty.example' } })).status, 503);
    await fx.store.delete(fakeTypes.ingress, 'httpbin', 'httpbin');
    assert.equal((await request(`${url}/get`)).status, 404);
  });
});

describe('ingress-nginx with the ingress-no-address fault', () => {
  let fx: SimNodeFixture;
  after(async () => {
    await fx.teardown();
  });

  it('never publishes an address', async () => {
    fx = await startSimNodeFixture({ faults: ['ingress-no-address'] });
    await fx.store.create(fakeTypes.ingress, httpbinIngress({}, 'nginx'));
    await fx.store.create(fakeTypes.pod, nginxControllerPod());
    await fx.store.waitFor(fakeTypes.pod, 'ingress-nginx', 'ingress-nginx-controller-5c8d66c76d-abcde', 'to be Running', podRunningReady, 20_000);
    assert.equal(lbOf(fx.store.get(fakeTypes.ingress, 'httpbin', 'httpbin')), undefined);
  });
});

void describe('ingress-nginx backend TLS annotations', () => {
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  const secret: KubeObject = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'client', namespace: 'ns' }, data: { 'tls.crt': b64('CERT'), 'tls.key': b64('KEY'), 'ca.crt': b64('CA') } };
  const lookup = (ns: string, name: string): KubeObject | undefined => (ns === 'ns' && name === 'client' ? secret : undefined);
  const ingress = (annotations: Record<string, string>): KubeObject => ({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'i', namespace: 'ns', annotations }, spec: {} });
  const a = (name: string): string => `nginx.ingress.kubernetes.io/${name}`;

  void it('speaks plain HTTP without backend-protocol HTTPS', () => {
    assert.equal(backendTlsOf(ingress({}), lookup), undefined);
    assert.equal(backendTlsOf(ingress({ [a('proxy-ssl-secret')]: 'ns/client' }), lookup), undefined);
  });
  void it('presents the Secret\'s certificate and verifies the backend by proxy_ssl_name (annotation or OSM\'s configuration-snippet)', () => {
    assert.deepEqual(backendTlsOf(ingress({ [a('backend-protocol')]: 'HTTPS', [a('proxy-ssl-secret')]: 'ns/client', [a('proxy-ssl-verify')]: 'on', [a('proxy-ssl-name')]: 'httpbin.ns.cluster.local' }), lookup),
      { certPem: 'CERT', keyPem: 'KEY', caPem: 'CA', serverName: 'httpbin.ns.cluster.local', verify: true });
    assert.deepEqual(backendTlsOf(ingress({ [a('backend-protocol')]: 'HTTPS', [a('proxy-ssl-secret')]: 'ns/client', [a('configuration-snippet')]: 'proxy_ssl_name "httpbin.ns.cluster.local";' }), lookup),
      { certPem: 'CERT', keyPem: 'KEY', caPem: 'CA', serverName: 'httpbin.ns.cluster.local', verify: false });
  });
  void it('has no client certificate when the Secret is missing', () => {
    assert.deepEqual(backendTlsOf(ingress({ [a('backend-protocol')]: 'HTTPS', [a('proxy-ssl-secret')]: 'ns/missing', [a('proxy-ssl-verify')]: 'on' }), lookup), { verify: false });
  });
});
