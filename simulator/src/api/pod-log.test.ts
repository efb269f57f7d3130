// The pods/log endpoint answers from the container's status when there is no log file (issue 4: a completed
// osm-init that wrote nothing was reported as "waiting to start: ContainerCreating"), and the request log
// names the object each create stored.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type { ApiException } from '@kubernetes/client-node';
import { startTestCluster } from './test-cluster.ts';
import type { TestCluster } from './test-cluster.ts';

let cluster: TestCluster;
let core: CoreV1Api;

before(async () => {
  // A runtime that has no log file for any container: every answer must come from the pod status.
  cluster = await startTestCluster({ logs: { logs: () => undefined } });
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfig);
  core = kc.makeApiClient(CoreV1Api);
  const pods = cluster.type('', 'v1', 'pods');
  await cluster.store.create(pods, {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' },
    spec: { initContainers: [{ name: 'osm-init', image: 'i' }], containers: [{ name: 'app', image: 'a' }, { name: 'envoy', image: 'e' }] },
  });
  // Like a kubelet: the status through the status subresource (a create starts with the API server's own status).
  await cluster.store.mutate(pods, 'default', 'p', (pod) => {
    pod.status = {
      phase: 'Running',
      initContainerStatuses: [{ name: 'osm-init', state: { terminated: { exitCode: 0, reason: 'Completed' } }, lastState: {}, ready: true, restartCount: 0, image: 'i', imageID: '' }],
      containerStatuses: [
        { name: 'app', state: { running: { startedAt: '2026-01-01T00:00:00Z' } }, lastState: { terminated: { exitCode: 1, reason: 'Error' } }, ready: true, restartCount: 1, image: 'a', imageID: '' },
        { name: 'envoy', state: { waiting: { reason: 'PodInitializing' } }, lastState: {}, ready: false, restartCount: 0, image: 'e', imageID: '' },
      ],
    };
  }, { subresource: 'status' });
});
after(async () => {
  await cluster.close();
});

async function logError(container: string, previous = false): Promise<string> {
  try {
    await core.readNamespacedPodLog({ name: 'p', namespace: 'default', container, previous });
  } catch (err) {
    return String((err as ApiException<string>).body);
  }
  return 'no error';
}

void test('a terminated (Completed) init container that wrote nothing has an empty log, not "waiting to start"', async () => {
  assert.equal(await core.readNamespacedPodLog({ name: 'p', namespace: 'default', container: 'osm-init' }), '');
});

void test('a running container without a log file has an empty log; its previous run one too', async () => {
  assert.equal(await core.readNamespacedPodLog({ name: 'p', namespace: 'default', container: 'app' }), '');
  assert.equal(await core.readNamespacedPodLog({ name: 'p', namespace: 'default', container: 'app', previous: true }), '');
});

void test('a waiting container is "waiting to start" with its own waiting reason', async () => {
  assert.match(await logError('envoy'), /container \\"envoy\\" in pod \\"p\\" is waiting to start: PodInitializing/);
  assert.match(await logError('osm-init', true), /previous terminated container \\"osm-init\\" in pod \\"p\\" not found/);
});

void test('the request log names the object a POST created (generateName included)', async () => {
  const created = await core.createNamespace({ body: { metadata: { generateName: 'gen-' } } });
  const entry = cluster.server.requestLog.entries().find((e) => e.method === 'POST' && e.path.startsWith('/api/v1/namespaces'));
  assert.equal(entry?.status, 201);
  assert.equal(entry?.created, created.metadata?.name);
});
