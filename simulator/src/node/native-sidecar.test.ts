// Native sidecars (init containers with restartPolicy: Always): they start among the init containers, hold the
// next one back until their startup probe passes, keep running, and count in READY, as the kubelet and kubectl do.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../cluster/types.ts';
import { podSummary } from '../api/printers.ts';
import { inProcessContainer } from './container.ts';
import { defaultImageRegistry } from './images.ts';
import { startKubelet } from './kubelet.ts';
import { createNetwork } from './network.ts';
import { startScheduler } from './scheduler.ts';
import { FakeStore, fakeTypes } from './testing/fake-store.ts';
import { zeroTimings } from './timings.ts';

function nativePod(startupProbe: boolean): KubeObject {
  return {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'app', namespace: 'default', labels: { app: 'app' } },
    spec: {
      initContainers: [
        { name: 'osm-init', image: 'openservicemesh/init:v1.2.4' },
        { name: 'proxy', image: 'example/test-proxy:1', restartPolicy: 'Always', ...(startupProbe ? { startupProbe: { httpGet: { path: '/healthz/ready', port: 15021 } } } : {}) },
      ],
      containers: [{ name: 'httpbin', image: 'kennethreitz/httpbin', ports: [{ containerPort: 8080 }] }],
    },
  };
}

void describe('native sidecars', () => {
  void it('hold the app back until started, then count in READY (2/2) and in the Ready condition', async () => {
    const store = new FakeStore();
    await store.create(fakeTypes.node, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', labels: { 'kubernetes.io/os': 'linux' } }, spec: {} });
    const network = await createNetwork();
    let becomeReady: () => void = () => undefined;
    const whenReady = new Promise<void>((resolve) => (becomeReady = resolve));
    const images = defaultImageRegistry().register({
      kind: 'test-proxy', matches: (repo) => repo === 'example/test-proxy', interceptsInbound: () => true,
      start: () => Promise.resolve({ ...inProcessContainer(() => Promise.resolve()), ready: false, whenReady }),
    });
    const kubelet = startKubelet({ store, network, policy: { inboundAllowed: () => true }, timings: zeroTimings, images });
    const scheduler = startScheduler({ store });
    try {
      await store.create(fakeTypes.pod, nativePod(true));
      const waiting = (await store.waitFor(fakeTypes.pod, 'default', 'app', 'the proxy running, not started', (p) => {
        const proxy = ((p?.status as { initContainerStatuses?: { name: string; state: { running?: unknown } }[] } | undefined)?.initContainerStatuses ?? []).find((c) => c.name === 'proxy');
        return proxy?.state.running !== undefined;
      }, 10_000))!;
      assert.deepEqual(podSummary(waiting), { ready: '0/2', status: 'Init:1/2', restarts: 0 });
      const statuses = (waiting.status as { containerStatuses: { state: { waiting?: { reason: string } } }[] }).containerStatuses;
      assert.equal(statuses[0]?.state.waiting?.reason, 'PodInitializing', 'the app has not started');

      becomeReady();
      const running = (await store.waitFor(fakeTypes.pod, 'default', 'app', 'Ready', (p) =>
        ((p?.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'), 20_000))!;
      assert.deepEqual(podSummary(running), { ready: '2/2', status: 'Running', restarts: 0 });
      const proxy = (running.status as { initContainerStatuses: { name: string; ready: boolean; started: boolean }[] }).initContainerStatuses.find((c) => c.name === 'proxy');
      assert.deepEqual([proxy?.ready, proxy?.started], [true, true]);
    } finally {
      scheduler.stop();
      await kubelet.stop();
      await network.close();
    }
  });
});
