/** The kubelet runs the injected httpbin pod 2/2, and its sidecar serves the app only to peers the policy allows. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KubeObject } from '../cluster/types.ts';
import { liveChildCount } from './processes.ts';
import { fakeTypes } from './testing/fake-store.ts';
import { httpbinPod, httpbinService, podRunningReady, request, startSimNodeFixture } from './testing/sim-node-fixture.ts';
import type { SimNodeFixture } from './testing/sim-node-fixture.ts';

type Status = {
  phase: string;
  podIP: string;
  hostIP: string;
  conditions: { type: string; status: string }[];
  containerStatuses: { name: string; ready: boolean; state: Record<string, unknown> }[];
  initContainerStatuses: { name: string; state: { terminated?: { exitCode: number; reason: string } } }[];
};

describe('kubelet with the envoy sidecar', () => {
  let fx: SimNodeFixture;
  let pod: KubeObject;
  let status: Status;

  before(async () => {
    fx = await startSimNodeFixture();
    await fx.store.create(fakeTypes.service, httpbinService());
    await fx.store.create(fakeTypes.pod, httpbinPod('httpbin-1'));
    pod = (await fx.store.waitFor(fakeTypes.pod, 'httpbin', 'httpbin-1', 'to be Running 2/2', podRunningReady, 20_000))!;
    status = pod.status as Status;
  });

  after(async () => {
    await fx.teardown();
  });

  it('schedules to the untainted worker and reports a realistic status', () => {
    assert.equal((pod.spec as { nodeName: string }).nodeName, 'mesh-conformance-worker');
    assert.match(status.podIP, /^127\.\d+\.\d+\.\d+$/);
    assert.equal(status.hostIP, fx.kubelet.nodeAddress('mesh-conformance-worker'));
    assert.deepEqual(status.containerStatuses.map((c) => [c.name, c.ready, Object.keys(c.state)[0]]), [['httpbin', true, 'running'], ['envoy', true, 'running']]);
    assert.deepEqual(status.initContainerStatuses.map((c) => [c.name, c.state.terminated?.reason, c.state.terminated?.exitCode]), [['osm-init', 'Completed', 0]]);
    assert.deepEqual(status.conditions.map((c) => `${c.type}=${c.status}`), ['Initialized=True', 'Ready=True', 'ContainersReady=True', 'PodScheduled=True']);
    const reasons = fx.store.list(fakeTypes.event, { namespace: 'httpbin' }).items.map((e) => e.reason);
    for (const reason of ['Scheduled', 'Pulling', 'Pulled', 'Created', 'Started']) assert.ok(reasons.includes(reason), `missing ${reason} event in ${reasons.join(',')}`);
  });

  it('resets connections from peers the policy denies', async () => {
    fx.policy.allow = () => false;
    const peer = fx.network.allocate('test-client');
    await assert.rejects(request(`http://${status.podIP}:14001/get`, { localAddress: peer }), (err: NodeJS.ErrnoException) => err.code === 'ECONNRESET');
    assert.deepEqual(fx.policy.asked.at(-1), { pod: 'httpbin/httpbin-1', port: 14001, peer });
  });

  it('proxies allowed peers to httpbin and adds x-envoy-upstream-service-time', async () => {
    const peer = fx.network.allocate('test-client');
    fx.policy.allow = (_pod, port, from) => port === 14001 && from === peer;
    const res = await request(`http://${status.podIP}:14001/get?probe=1`, { localAddress: peer, headers: { 'x-test': 'yes' } });
    assert.equal(res.status, 200, res.body);
    assert.match(String(res.headers['x-envoy-upstream-service-time']), /^\d+$/);
    assert.equal(res.headers.server, 'envoy');
    const body = JSON.parse(res.body) as { args: Record<string, string>; headers: Record<string, string>; url: string };
    assert.deepEqual(body.args, { probe: '1' });
    assert.equal(body.headers['X-Test'], 'yes');
    assert.match(body.url, /\/get\?probe=1$/);
  });

  it('serves Prometheus metrics on 15010 that count the request', async () => {
    const res = await request(`http://${status.podIP}:15010/stats/prometheus`);
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /version=0\.0\.4/);
    assert.match(res.body, /^# TYPE envoy_server_live gauge$/m);
    assert.match(res.body, /^envoy_server_live 1$/m);
    assert.match(res.body, /^envoy_cluster_upstream_rq_xx\{envoy_response_code_class="2",envoy_cluster_name="httpbin\/httpbin\|14001\|local"\} 1$/m);
    assert.match(res.body, /^envoy_cluster_upstream_rq\{envoy_response_code="200",envoy_cluster_name="httpbin\/httpbin\|14001\|local"\} 1$/m);
    assert.match(res.body, /^envoy_cluster_upstream_rq_total\{envoy_cluster_name="httpbin\/httpbin\|14001\|local"\} 1$/m);
    // The admin port is bound to the pod's localhost: not on the pod IP, reachable where a port-forward lands.
    await assert.rejects(request(`http://${status.podIP}:15000/ready`, { timeoutMs: 1_000 }), (err: NodeJS.ErrnoException) => err.code === 'ECONNREFUSED');
    const local = fx.kubelet.localEndpoint('httpbin', 'httpbin-1', 15000);
    assert.ok(local && local.port !== 15000, 'the admin port has a pod-local endpoint');
    const admin = await request(`http://${local.host}:${local.port}/ready`);
    assert.equal(admin.body, 'LIVE\n');
  });

  it('counts each scrape under envoy-metrics-cluster, as OSM routes its Prometheus listener: a 2xx counter over every cluster grows without traffic', async () => {
    const first = await request(`http://${status.podIP}:15010/stats/prometheus`);
    const count = (body: string) => Number(/^envoy_cluster_upstream_rq_xx\{envoy_response_code_class="2",envoy_cluster_name="envoy-metrics-cluster"\} (\d+)$/m.exec(body)?.[1]);
    const second = await request(`http://${status.podIP}:15010/stats/prometheus`);
    assert.equal(count(second.body), count(first.body) + 1, 'the previous scrape is counted; the one being answered is not yet');
    assert.match(second.body, /^envoy_cluster_upstream_rq_xx\{envoy_response_code_class="2",envoy_cluster_name="httpbin\/httpbin\|14001\|local"\} 1$/m, 'the local cluster only counts the app\'s requests');
  });

  it('keeps container logs: envoy access log and httpbin lines', () => {
    const envoy = fx.kubelet.logs.logs('httpbin', 'httpbin-1', 'envoy') ?? '';
    assert.match(envoy, /initializing epoch 0/);
    assert.match(envoy, /"response_code":200/);
    const httpbin = fx.kubelet.logs.logs('httpbin', 'httpbin-1', 'httpbin') ?? '';
    assert.match(httpbin, /GET \/get\?probe=1 HTTP\/1\.1" 200/);
    assert.equal(fx.kubelet.logs.logs('httpbin', 'httpbin-1', 'envoy', { tailLines: 1 })?.split('\n').length, 2);
  });

  it('honours deletion: stops the containers, frees the address and removes the pod', async () => {
    await fx.store.delete(fakeTypes.pod, 'httpbin', 'httpbin-1');
    await fx.store.waitFor(fakeTypes.pod, 'httpbin', 'httpbin-1', 'to be removed', (p) => p === undefined, 10_000);
    await assert.rejects(request(`http://${status.podIP}:15000/ready`, { timeoutMs: 1_000 }), (err: NodeJS.ErrnoException) => err.code === 'ECONNREFUSED');
    assert.equal(fx.network.purposeOf(status.podIP), undefined);
    assert.equal(liveChildCount(), 0);
  });
});
