import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject, ObjectStore } from '../cluster/types.ts';
import { JobController } from './job-controller.ts';
import { arr, status } from './kube-objects.ts';
import { typeFor } from './resource-lookup.ts';
import { storeWithNamespaces, waitForStore } from './testing/cluster-fixture.ts';

const jobType = (store: ObjectStore) => {
  const t = store.types.byKind('Job', 'batch/v1');
  assert.ok(t, 'the store serves batch/v1 Jobs');
  return t;
};

function job(spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'conformance', namespace: 'demo' },
    spec: { backoffLimit: 0, ...spec, template: { metadata: { labels: { app: 'c' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'ghcr.io/x/mesh-conformance:1' }] } } },
  };
}

/** What the kubelet reports when the pod's only container exits. */
async function finishPod(store: ObjectStore, pod: KubeObject, exitCode: number): Promise<void> {
  await store.mutate(typeFor(store, 'Pod'), pod.metadata.namespace, pod.metadata.name ?? '', (p) => {
    p['status'] = { phase: exitCode === 0 ? 'Succeeded' : 'Failed', containerStatuses: [{ name: 'c', state: { terminated: { exitCode } } }] };
  }, { subresource: 'status' });
}

const conditions = (j: KubeObject | undefined): string[] => arr(status(j ?? ({ metadata: {} } as KubeObject))['conditions']).map((c) => `${String(c['type'])}=${String(c['status'])}`);
const pods = (store: ObjectStore): KubeObject[] => store.list(typeFor(store, 'Pod'), { namespace: 'demo' }).items;

void describe('job controller', () => {
  void it('runs one labelled, owned pod and completes the Job when it succeeds', async () => {
    const store = await storeWithNamespaces('demo');
    const c = new JobController(store).start();
    try {
      const created = await store.create(jobType(store), job());
      const [pod] = await waitForStore(store, 'the Job\'s pod', () => (pods(store).length ? pods(store) : undefined));
      assert.equal(pod?.metadata.labels?.['job-name'], 'conformance');
      assert.equal(pod?.metadata.labels?.['batch.kubernetes.io/controller-uid'], created.metadata.uid);
      assert.equal(pod?.metadata.ownerReferences?.[0]?.kind, 'Job');
      await waitForStore(store, 'status.active 1', () => (status(store.get(jobType(store), 'demo', 'conformance')!)['active'] === 1 ? true : undefined));
      await finishPod(store, pod, 0);
      const done = await waitForStore(store, 'Job Complete', () => { const j = store.get(jobType(store), 'demo', 'conformance'); return conditions(j).includes('Complete=True') ? j : undefined; });
      assert.deepEqual(conditions(done), ['SuccessCriteriaMet=True', 'Complete=True']);
      assert.equal(status(done)['succeeded'], 1);
      assert.ok(typeof status(done)['completionTime'] === 'string');
      assert.equal(pods(store).length, 1, 'no second pod after success');
    } finally {
      c.stop();
    }
  });

  void it('fails the Job past its backoffLimit, replacing failed pods until then', async () => {
    const store = await storeWithNamespaces('demo');
    const c = new JobController(store).start();
    try {
      await store.create(jobType(store), job({ backoffLimit: 1 }));
      const [first] = await waitForStore(store, 'the first pod', () => (pods(store).length ? pods(store) : undefined));
      await finishPod(store, first!, 1);
      const second = await waitForStore(store, 'a replacement pod', () => pods(store).find((p) => p.metadata.name !== first?.metadata.name));
      await finishPod(store, second, 1);
      const failed = await waitForStore(store, 'Job Failed', () => { const j = store.get(jobType(store), 'demo', 'conformance'); return conditions(j).includes('Failed=True') ? j : undefined; });
      assert.deepEqual(conditions(failed), ['FailureTarget=True', 'Failed=True']);
      assert.equal(arr(status(failed)['conditions'])[1]?.['reason'], 'BackoffLimitExceeded');
      assert.equal(status(failed)['failed'], 2);
      assert.equal(pods(store).length, 2);
    } finally {
      c.stop();
    }
  });

  void it('fails the Job when activeDeadlineSeconds passes, deleting its running pod', async () => {
    const store = await storeWithNamespaces('demo');
    const c = new JobController(store).start();
    try {
      await store.create(jobType(store), job({ activeDeadlineSeconds: 1 }));
      const failed = await waitForStore(store, 'Job Failed by its deadline', () => { const j = store.get(jobType(store), 'demo', 'conformance'); return conditions(j).includes('Failed=True') ? j : undefined; }, { timeoutMs: 4_000 });
      assert.equal(arr(status(failed)['conditions'])[1]?.['reason'], 'DeadlineExceeded');
      await waitForStore(store, 'the pod deleted', () => (pods(store).every((p) => p.metadata.deletionTimestamp) ? true : undefined));
    } finally {
      c.stop();
    }
  });
});
