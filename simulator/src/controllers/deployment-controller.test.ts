import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../cluster/types.ts';
import { DeploymentController, podTemplateHash } from './deployment-controller.ts';
import { arr, status } from './kube-objects.ts';
import { ReplicaSetController } from './replicaset-controller.ts';
import { typeFor } from './resource-lookup.ts';
import { markPodRunning, storeWithNamespaces, waitForStore } from './testing/cluster-fixture.ts';

function httpbinDeployment(replicas: number): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'httpbin', namespace: 'demo' },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'httpbin' } },
      template: { metadata: { labels: { app: 'httpbin' }, annotations: { note: 'x' } }, spec: { containers: [{ name: 'httpbin', image: 'kennethreitz/httpbin' }] } },
    },
  };
}

void describe('deployment and replicaset controllers', () => {
  void it('create a hashed ReplicaSet, its pods, and report readiness in Deployment status', async () => {
    const store = await storeWithNamespaces('demo');
    const deployments = new DeploymentController(store).start();
    const replicasets = new ReplicaSetController(store).start();
    try {
      const created = await store.create(typeFor(store, 'Deployment'), httpbinDeployment(2));
      const hash = podTemplateHash((created['spec'] as Record<string, unknown>)['template']);
      const rs = await waitForStore(store, 'ReplicaSet httpbin-<hash>', () => store.get(typeFor(store, 'ReplicaSet'), 'demo', `httpbin-${hash}`));
      assert.equal(rs.metadata.labels?.['pod-template-hash'], hash);
      assert.equal(rs.metadata.ownerReferences?.[0]?.uid, created.metadata.uid);
      assert.equal(rs.metadata.ownerReferences?.[0]?.controller, true);

      const pods = await waitForStore(store, 'two pods', () => {
        const items = store.list(typeFor(store, 'Pod'), { namespace: 'demo' }).items;
        return items.length === 2 ? items : undefined;
      });
      for (const pod of pods) {
        assert.match(pod.metadata.name ?? '', new RegExp(`^httpbin-${hash}-[bcdfghjklmnpqrstvwxz2456789]{5}$`));
        assert.equal(pod.metadata.ownerReferences?.[0]?.name, `httpbin-${hash}`);
        assert.equal(pod.metadata.labels?.['app'], 'httpbin');
        assert.equal(pod.metadata.annotations?.['note'], 'x');
      }
      await markPodRunning(store, pods[0]!, '127.0.10.1');
      await markPodRunning(store, pods[1]!, '127.0.10.2');
      const ready = await waitForStore(store, 'Deployment readyReplicas=2', () => {
        const d = store.get(typeFor(store, 'Deployment'), 'demo', 'httpbin')!;
        return status(d)['readyReplicas'] === 2 ? d : undefined;
      });
      const s = status(ready);
      assert.equal(s['replicas'], 2);
      assert.equal(s['updatedReplicas'], 2);
      assert.equal(s['availableReplicas'], 2);
      const conditions = arr(s['conditions']);
      assert.equal(conditions.find((c) => c['type'] === 'Available')?.['status'], 'True');
      assert.equal(conditions.find((c) => c['type'] === 'Progressing')?.['reason'], 'NewReplicaSetAvailable');
    } finally {
      deployments.stop();
      replicasets.stop();
    }
  });

  void it('recreates a deleted pod', async () => {
    const store = await storeWithNamespaces('demo');
    const deployments = new DeploymentController(store).start();
    const replicasets = new ReplicaSetController(store).start();
    try {
      await store.create(typeFor(store, 'Deployment'), httpbinDeployment(1));
      const first = await waitForStore(store, 'one pod', () => store.list(typeFor(store, 'Pod'), { namespace: 'demo' }).items[0]);
      await store.delete(typeFor(store, 'Pod'), 'demo', first.metadata.name ?? '');
      const replacement = await waitForStore(store, 'a replacement pod', () =>
        store.list(typeFor(store, 'Pod'), { namespace: 'demo' }).items.find((p) => p.metadata.name !== first.metadata.name));
      assert.notEqual(replacement.metadata.uid, first.metadata.uid);
    } finally {
      deployments.stop();
      replicasets.stop();
    }
  });
});
