/** The API server's proxy and port-forward subresources reach pods on the simulated network. */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import type { ProxyTarget } from '../api/server.ts';
import { endpointsFor } from '../ingress/testing/ingress-objects.ts';
import { createPodPortForward, createPodProxy, createServiceProxy } from './api-proxy.ts';
import { fakeTypes } from './testing/fake-store.ts';
import { httpbinPod, httpbinService, podRunningReady, request, startSimNodeFixture } from './testing/sim-node-fixture.ts';
import type { SimNodeFixture } from './testing/sim-node-fixture.ts';

describe('API server proxy and port-forward handlers', () => {
  let fx: SimNodeFixture;
  let server: http.Server;
  let base: string;

  before(async () => {
    fx = await startSimNodeFixture();
    await fx.store.create(fakeTypes.service, httpbinService());
    await fx.store.create(fakeTypes.pod, httpbinPod('httpbin-1'));
    const pod = await fx.store.waitFor(fakeTypes.pod, 'httpbin', 'httpbin-1', 'to be Running 2/2', podRunningReady, 20_000);
    await fx.store.create(fakeTypes.endpoints, endpointsFor('httpbin', 'httpbin', (pod!.status as { podIP: string }).podIP, 14001, 'http'));
    const serviceProxy = createServiceProxy({ store: fx.store });
    const podProxy = createPodProxy({ store: fx.store });
    const portForward = createPodPortForward({ kubelet: fx.kubelet });
    // A stand-in for the API server's routing: /<kind>/<ns>/<name[:port]>/<path>.
    const targetOf = (url: string): ProxyTarget => {
      const [, kind, namespace, nameAndPort, ...rest] = url.split('?')[0]!.split('/');
      const [name, port] = nameAndPort!.split(':');
      return { kind: kind as 'service' | 'pod', namespace: namespace!, name: name!, ...(port ? { port } : {}), path: `/${rest.join('/')}` };
    };
    server = http.createServer((req, res) => {
      const target = targetOf(req.url ?? '/');
      (target.kind === 'service' ? serviceProxy : podProxy)(req, res, target);
    });
    server.on('upgrade', (req, socket, head) => portForward(req, socket, head, targetOf(req.url ?? '/')));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await fx.teardown();
  });

  it('service proxy goes through the sidecar like any peer', async () => {
    fx.policy.allow = () => true;
    const ok = await request(`${base}/service/httpbin/httpbin:http/get`);
    assert.equal(ok.status, 200, ok.body);
    assert.ok(ok.headers['x-envoy-upstream-service-time']);
    fx.policy.allow = () => false;
    const denied = await request(`${base}/service/httpbin/httpbin:http/get`);
    assert.equal(denied.status, 503);
    assert.match(denied.body, /error trying to reach service: read tcp .*connection reset by peer/);
  });

  it('pod proxy answers a Status when the port is closed', async () => {
    const res = await request(`${base}/pod/httpbin/httpbin-1:9/get`);
    assert.equal(res.status, 503);
    assert.match(res.body, /connect: connection refused/);
  });

  it('port-forward over v4.channel.k8s.io reaches the app directly, as localhost traffic does', async () => {
    fx.policy.allow = () => false;
    const ws = new WebSocket(`${base.replace('http', 'ws')}/pod/httpbin/httpbin-1/portforward?ports=14001`, ['v4.channel.k8s.io']);
    const received: Buffer[] = [];
    const response = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no response through port-forward within 5 s')), 5_000);
      ws.on('message', (raw: Buffer) => {
        if (raw[0] !== 0 || raw.length <= 3) return; // first frame per channel carries only the port
        received.push(raw.subarray(1));
        const text = Buffer.concat(received).toString('utf8');
        if (text.includes('"url"')) {
          clearTimeout(timer);
          resolve(text);
        }
      });
      ws.on('error', reject);
    });
    await new Promise<void>((resolve, reject) => ws.once('open', () => resolve()).once('error', reject));
    ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('GET /get HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n')]));
    const text = await response;
    assert.match(text, /^HTTP\/1\.[01] 200/);
    assert.doesNotMatch(text, /x-envoy-upstream-service-time/i);
    ws.close();
  });
  it('as the kubelet, port-forward reads the ports under the name kube-apiserver passes them on (`port`)', async () => {
    const kubeletSide = createPodPortForward({ kubelet: fx.kubelet, queryParameter: 'port' });
    const kubelet = http.createServer();
    kubelet.on('upgrade', (req, socket, head) => kubeletSide(req, socket, head, { kind: 'pod', namespace: 'httpbin', name: 'httpbin-1', path: '' }));
    await new Promise<void>((resolve) => kubelet.listen(0, '127.0.0.1', resolve));
    const url = `ws://127.0.0.1:${(kubelet.address() as AddressInfo).port}/portForward/httpbin/httpbin-1`;
    const open = (query: string) => new Promise<string>((resolve) => {
      const ws = new WebSocket(`${url}?${query}`, ['v4.channel.k8s.io']);
      ws.once('open', () => {
        ws.close();
        resolve('open');
      });
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve(`${res.statusCode} ${body}`));
      });
    });
    try {
      assert.match(await open('ports=14001'), /^400 .*query parameter \\"port\\" is required/);
      assert.equal(await open('port=14001'), 'open');
    } finally {
      kubelet.closeAllConnections();
      await new Promise<void>((resolve) => kubelet.close(() => resolve()));
    }
  });
});
