/** The scheduler binds the sample pod by its nodeSelector, or reports why no node fits. */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { KubeObject } from '../cluster/types.ts';
import { unschedulableMessage } from './scheduler.ts';
import { fakeTypes } from './testing/fake-store.ts';
import { httpbinPod, startSimNodeFixture } from './testing/sim-node-fixture.ts';
import type { SimNodeFixture } from './testing/sim-node-fixture.ts';

type Condition = { type: string; status: string; reason?: string; message?: string };
const scheduledCondition = (pod: KubeObject | undefined): Condition | undefined =>
  ((pod?.status as { conditions?: Condition[] } | undefined)?.conditions ?? []).find((c) => c.type === 'PodScheduled');

describe('scheduler', () => {
  let fx: SimNodeFixture | undefined;
  afterEach(async () => {
    await fx?.teardown();
    fx = undefined;
  });

  it('leaves an amd64 pod Pending on arm64 nodes with the real condition and a FailedScheduling event', async () => {
    fx = await startSimNodeFixture({ arch: 'arm64' });
    await fx.store.create(fakeTypes.pod, httpbinPod('httpbin-1'));
    const pod = await fx.store.waitFor(fakeTypes.pod, 'httpbin', 'httpbin-1', 'to be unschedulable', (p) => scheduledCondition(p)?.status === 'False', 5_000);
    const condition = scheduledCondition(pod)!;
    assert.equal(condition.reason, 'Unschedulable');
    assert.equal(
      condition.message,
      "0/2 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.",
    );
    assert.equal((pod!.status as { phase: string }).phase, 'Pending');
    assert.equal((pod!.spec as { nodeName?: string }).nodeName, undefined);
    const event = fx.store.list(fakeTypes.event, { namespace: 'httpbin' }).items.find((e) => e.reason === 'FailedScheduling');
    assert.ok(event, 'a FailedScheduling event');
    assert.equal(event.type, 'Warning');
    assert.equal(event.message, condition.message);
    assert.equal(event.count, 1);
    assert.deepEqual(event.source, { component: 'default-scheduler' });
    assert.equal((event.involvedObject as { kind: string; name: string; uid: string }).uid, pod!.metadata.uid);
    assert.ok(event.firstTimestamp && event.lastTimestamp);
  });

  it('removes an unscheduled pod at once when it is deleted', async () => {
    fx = await startSimNodeFixture({ arch: 'arm64' });
    await fx.store.create(fakeTypes.pod, httpbinPod('httpbin-1'));
    await fx.store.waitFor(fakeTypes.pod, 'httpbin', 'httpbin-1', 'to be unschedulable', (p) => scheduledCondition(p)?.status === 'False', 5_000);
    await fx.store.delete(fakeTypes.pod, 'httpbin', 'httpbin-1');
    await fx.store.waitFor(fakeTypes.pod, 'httpbin', 'httpbin-1', 'to be removed', (p) => p === undefined, 5_000);
  });

  it('words the message like kube-scheduler', () => {
    assert.equal(unschedulableMessage(0, new Map()), 'no nodes available to schedule pods');
    assert.equal(
      unschedulableMessage(2, new Map([["node(s) didn't match Pod's node affinity/selector", 2]])),
      "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.",
    );
  });
});
