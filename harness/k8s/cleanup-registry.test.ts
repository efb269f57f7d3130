import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubernetesObject } from '@kubernetes/client-node';
import { CleanupRegistry } from './cleanup-registry.ts';
import type { KubeClient } from './kube-client.ts';
import type { ObjectRef } from './resources.ts';
import { runLabelKeys } from './run-labels.ts';

const key = (r: ObjectRef): string => `${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}`;

/** A cluster of a few objects, with the calls the registry makes to it. */
function cluster(objects: Record<string, string | undefined>): { client: KubeClient; calls: string[] } {
  const calls: string[] = [];
  const client = {
    read: (ref: ObjectRef): Promise<KubernetesObject | undefined> => {
      calls.push(`read ${key(ref)}`);
      if (!(key(ref) in objects)) return Promise.resolve(undefined);
      const runId = objects[key(ref)];
      const labels: Record<string, string> = runId ? { [runLabelKeys.runId]: runId } : {};
      return Promise.resolve({ metadata: { name: ref.name, labels } });
    },
    delete: (ref: ObjectRef): Promise<boolean> => {
      calls.push(`delete ${key(ref)}`);
      return Promise.resolve(true);
    },
  };
  return { client: client as unknown as KubeClient, calls };
}

const ns: ObjectRef = { apiVersion: 'v1', kind: 'Namespace', name: 'mesh-conformance-abc' };
const deployment: ObjectRef = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns.name, name: 'httpbin' };
const secretElsewhere: ObjectRef = { apiVersion: 'v1', kind: 'Secret', namespace: 'ingress-nginx', name: 'client-cert' };

describe('CleanupRegistry.deleteAll', () => {
  it('leaves the objects of a namespace the run created to that namespace\'s deletion, and deletes the others one by one, newest first', async () => {
    const { client, calls } = cluster({ [key(ns)]: 'run-1', [key(deployment)]: 'run-1', [key(secretElsewhere)]: 'run-1' });
    const registry = new CleanupRegistry(client, 'run-1');
    for (const ref of [ns, deployment, secretElsewhere]) registry.register(ref);
    const report = await registry.deleteAll({ budgetMs: 1000 });
    assert.deepEqual(calls, [`read ${key(ns)}`, `read ${key(secretElsewhere)}`, `delete ${key(secretElsewhere)}`, `delete ${key(ns)}`]);
    assert.deepEqual(report.withNamespace, ['Deployment mesh-conformance-abc/httpbin']);
    assert.equal(report.deleted.length, 2);
    assert.deepEqual(registry.objects, []);
  });

  it('deletes the objects one by one when their namespace is not the run\'s (another run id): it refuses that namespace', async () => {
    const { client, calls } = cluster({ [key(ns)]: 'run-0', [key(deployment)]: 'run-1' });
    const registry = new CleanupRegistry(client, 'run-1');
    for (const ref of [ns, deployment]) registry.register(ref);
    const report = await registry.deleteAll({ budgetMs: 1000 });
    assert.deepEqual(calls, [`read ${key(ns)}`, `read ${key(deployment)}`, `delete ${key(deployment)}`]);
    assert.deepEqual(report.withNamespace, []);
    assert.equal(report.refused.length, 1);
    assert.match(report.refused[0] ?? '', /^Namespace mesh-conformance-abc \(label mesh-conformance\.io\/run-id=run-0, this run is run-1\)$/);
  });

  it('counts a namespace already gone, and deletes what it held one by one', async () => {
    const { client, calls } = cluster({ [key(deployment)]: 'run-1' });
    const registry = new CleanupRegistry(client, 'run-1');
    for (const ref of [ns, deployment]) registry.register(ref);
    const report = await registry.deleteAll({ budgetMs: 1000 });
    assert.deepEqual(calls, [`read ${key(ns)}`, `read ${key(deployment)}`, `delete ${key(deployment)}`]);
    assert.deepEqual(report.alreadyGone, [`Namespace ${ns.name}`]);
  });
});
