/** Each node-side fault breaks exactly the behaviour it names. */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { KubeObject } from '../cluster/types.ts';
import type { FaultName } from '../faults/index.ts';
import { fakeTypes } from './testing/fake-store.ts';
import { httpbinPod, httpbinService, podRunningReady, request, startSimNodeFixture } from './testing/sim-node-fixture.ts';
import type { SimNodeFixture } from './testing/sim-node-fixture.ts';

type ContainerStatus = { name: string; ready: boolean; restartCount: number; state: { waiting?: { reason: string; message?: string }; running?: unknown }; lastState: { terminated?: { exitCode: number } } };
type Status = { phase: string; podIP?: string; containerStatuses?: ContainerStatus[]; initContainerStatuses?: ContainerStatus[] };
const statusOf = (pod: KubeObject | undefined): Status => (pod?.status ?? {}) as Status;
const container = (pod: KubeObject | undefined, name: string): ContainerStatus | undefined =>
  [...(statusOf(pod).initContainerStatuses ?? []), ...(statusOf(pod).containerStatuses ?? [])].find((c) => c.name === name);

describe('node faults', () => {
  let fx: SimNodeFixture | undefined;
  afterEach(async () => {
    await fx?.teardown();
    fx = undefined;
  });

  const start = async (fault: FaultName): Promise<SimNodeFixture> => {
    fx = await startSimNodeFixture({ faults: [fault] });
    await fx.store.create(fakeTypes.service, httpbinService());
    await fx.store.create(fakeTypes.pod, httpbinPod('httpbin-1'));
    return fx;
  };

  it('image-pull-error: httpbin goes ErrImagePull then ImagePullBackOff, the pod stays Pending', async () => {
    const f = await start('image-pull-error');
    const pod = await f.store.waitFor(fakeTypes.pod, 'httpbin', 'httpbin-1', 'to show ImagePullBackOff', (p) => container(p, 'httpbin')?.state.waiting?.reason === 'ImagePullBackOff');
    assert.equal(statusOf(pod).phase, 'Pending');
    assert.equal(container(pod, 'httpbin')?.state.waiting?.message, 'Back-off pulling image "kennethreitz/httpbin"');
    const messages = f.store.list(fakeTypes.event, { namespace: 'httpbin' }).items.map((e) => `${String(e.type)}/${String(e.reason)}: ${String(e.message)}`);
    assert.ok(messages.includes('Warning/Failed: Error: ErrImagePull'), messages.join('\n'));
    assert.ok(messages.includes('Normal/BackOff: Back-off pulling image "kennethreitz/httpbin"'), messages.join('\n'));
    assert.ok(messages.some((m) => m.startsWith('Warning/Failed: Failed to pull image "kennethreitz/httpbin": rpc error: code = NotFound')));
    // The other container still starts, as on a real node.
    await f.store.waitFor(fakeTypes.pod, 'httpbin', 'httpbin-1', 'to run envoy', (p) => !!container(p, 'envoy')?.state.running);
  });

  it('init-container-fails: osm-init exits 1 and restarts with back-off (Init:CrashLoopBackOff)', async () => {
    const f = await start('init-container-fails');
    const pod = await f.store.waitFor(fakeTypes.pod, 'httpbin', 'httpbin-1', 'to crash-loop osm-init', (p) => (container(p, 'osm-init')?.restartCount ?? 0) >= 1 && container(p, 'osm-init')?.state.waiting?.reason === 'CrashLoopBackOff');
    assert.equal(statusOf(pod).phase, 'Pending');
    assert.equal(container(pod, 'osm-init')?.lastState.terminated?.exitCode, 1);
    assert.match(container(pod, 'osm-init')!.state.waiting!.message!, /^back-off \d+ms restarting failed container=osm-init pod=httpbin-1_httpbin\(/);
    assert.equal(container(pod, 'httpbin')?.state.waiting?.reason, 'PodInitializing');
    const backoff = f.store.list(fakeTypes.event, { namespace: 'httpbin' }).items.find((e) => e.reason === 'BackOff');
    assert.match(String(backoff?.message), /^Back-off restarting failed container osm-init in pod httpbin-1_httpbin/);
    await f.store.waitFor(fakeTypes.pod, 'httpbin', 'httpbin-1', 'to restart osm-init again', (p) => (container(p, 'osm-init')?.restartCount ?? 0) >= 2);
  });

  it('sidecar-never-ready: envoy runs but is never ready, and refuses connections', async () => {
    const f = await start('sidecar-never-ready');
    const pod = await f.store.waitFor(fakeTypes.pod, 'httpbin', 'httpbin-1', 'to run both containers', (p) => !!container(p, 'envoy')?.state.running && !!container(p, 'httpbin')?.state.running, 30_000);
    assert.equal(statusOf(pod).phase, 'Running');
    assert.equal(container(pod, 'envoy')?.ready, false);
    assert.equal(container(pod, 'httpbin')?.ready, true);
    assert.equal(podRunningReady(pod), false);
    f.policy.allow = () => true;
    await assert.rejects(request(`http://${statusOf(pod).podIP}:14001/get`), (err: NodeJS.ErrnoException) => err.code === 'ECONNREFUSED');
  });

  it('metrics-not-scraped: no listener on 15010, admin still answers', async () => {
    const f = await start('metrics-not-scraped');
    const pod = await f.store.waitFor(fakeTypes.pod, 'httpbin', 'httpbin-1', 'to be Running 2/2', podRunningReady, 20_000);
    await assert.rejects(request(`http://${statusOf(pod).podIP}:15010/stats/prometheus`), (err: NodeJS.ErrnoException) => err.code === 'ECONNREFUSED');
    const admin = f.kubelet.localEndpoint('httpbin', 'httpbin-1', 15000);
    assert.ok(admin, 'the admin port has a pod-local endpoint');
    assert.equal((await request(`http://${admin.host}:${admin.port}/ready`)).status, 200);
  });

  it('app-503: the app answers 503 to everything, through the sidecar', async () => {
    const f = await start('app-503');
    const pod = await f.store.waitFor(fakeTypes.pod, 'httpbin', 'httpbin-1', 'to be Running 2/2', podRunningReady, 20_000);
    f.policy.allow = () => true;
    const res = await request(`http://${statusOf(pod).podIP}:14001/get`);
    assert.equal(res.status, 503);
    assert.ok(res.headers['x-envoy-upstream-service-time']);
  });
});
