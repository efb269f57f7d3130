// The daemonset controller: one pinned pod per fitting node, recreated when deleted, counted in status.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { node } from '../flavors/nodes.ts';
import { unfitReason } from '../node/scheduler.ts';
import { DaemonSetController, pinnedNode } from './daemonset-controller.ts';
import { isOwnedBy, status } from './kube-objects.ts';
import { typeFor } from './resource-lookup.ts';
import { markPodRunning, storeWithNamespaces, waitForStore } from './testing/cluster-fixture.ts';

const nodeParams = { arch: 'amd64' as const, labels: {}, providerID: 'kind://x', osImage: 'x', containerRuntimeVersion: 'x', kernelVersion: 'x', capacity: { cpu: '2', memory: '1Ki', pods: '110', 'ephemeral-storage': '1Ki' } };

void describe('daemonset controller', () => {
  void it('runs one pod per node the template tolerates, pinned with matchFields, and reports readiness', async () => {
    const store = await storeWithNamespaces('cni');
    await store.create(typeFor(store, 'Node'), node({ ...nodeParams, name: 'a' }));
    await store.create(typeFor(store, 'Node'), node({ ...nodeParams, name: 'b', taints: [{ key: 'dedicated', effect: 'NoSchedule' }] }));
    const controller = new DaemonSetController(store).start();
    try {
      const ds = await store.create(typeFor(store, 'DaemonSet'), {
        apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'agent', namespace: 'cni' },
        spec: { selector: { matchLabels: { app: 'agent' } }, template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'agent', image: 'pause' }] } } },
      });
      const pods = () => store.list(typeFor(store, 'Pod'), { namespace: 'cni' }).items.filter((p) => isOwnedBy(p, ds));
      const [pod] = await waitForStore(store, 'one agent pod', () => (pods().length === 1 ? pods() : undefined));
      assert.equal(pinnedNode(pod!), 'a', 'the tainted node is left out');
      assert.equal(unfitReason(pod!, store.get(typeFor(store, 'Node'), undefined, 'b')!), "node(s) had untolerated taint {dedicated: }");
      await markPodRunning(store, pod!, '127.0.50.3');
      await waitForStore(store, 'numberReady 1', () => (status(store.get(typeFor(store, 'DaemonSet'), 'cni', 'agent')!)['numberReady'] === 1 ? true : undefined));
      await store.delete(typeFor(store, 'Pod'), 'cni', pod!.metadata.name!);
      await waitForStore(store, 'a replacement pod', () => (pods().some((p) => p.metadata.name !== pod!.metadata.name) ? true : undefined));
    } finally {
      controller.stop();
    }
  });
});
