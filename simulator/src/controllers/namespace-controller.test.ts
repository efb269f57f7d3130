// The namespace controller: a Terminating namespace is emptied, then removed; finalizers hold it.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { KubeObject, ObjectStore } from '../cluster/types.ts';
import { NamespaceController } from './namespace-controller.ts';
import { GarbageCollector } from './garbage-collector.ts';
import { typeFor } from './resource-lookup.ts';
import { podManifest, storeWithNamespaces, waitForStore } from './testing/cluster-fixture.ts';

const cm = (name: string, extra: Partial<KubeObject['metadata']> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'app', ...extra }, data: { a: '1' } });

void describe('namespace controller', () => {
  let stop: (() => void)[] = [];
  afterEach(() => {
    for (const s of stop) s();
    stop = [];
  });

  const start = async (): Promise<ObjectStore> => {
    const store = await storeWithNamespaces('app');
    const controllers = [new NamespaceController(store).start(), new GarbageCollector(store).start()];
    stop.push(() => controllers.forEach((c) => c.stop()));
    return store;
  };
  /** What watches of namespaces, pods and configmaps from now on see. */
  const watchAll = (store: ObjectStore): string[] => {
    const seen: string[] = [];
    const from = store.currentResourceVersion();
    for (const kind of ['Namespace', 'Pod', 'ConfigMap'] as const) {
      stop.push(store.watch(typeFor(store, kind), { resourceVersion: from }, (type, o) => seen.push(`${type} ${o.kind} ${o.metadata.name}`)));
    }
    return seen;
  };

  void it('Terminating, contents deleted, then the namespace, all visible to watches', async () => {
    const store = await start();
    await store.create(typeFor(store, 'ConfigMap'), cm('c1'));
    await store.create(typeFor(store, 'Pod'), podManifest('p1', 'app', { app: 'p' }));
    const seen = watchAll(store);
    const terminating = await store.delete(typeFor(store, 'Namespace'), undefined, 'app');
    assert.equal((terminating.status as { phase: string }).phase, 'Terminating');
    await waitForStore(store, 'namespace app to be gone', () => (store.get(typeFor(store, 'Namespace'), undefined, 'app') ? undefined : true), { describe: () => seen.join(', ') });
    // Terminating, then the controller's conditions, then gone.
    assert.deepEqual(seen.filter((e) => e.includes('Namespace')), ['MODIFIED Namespace app', 'MODIFIED Namespace app', 'DELETED Namespace app']);
    assert.deepEqual(seen.filter((e) => !e.includes('Namespace')).sort(), ['DELETED ConfigMap c1', 'DELETED Pod p1']);
    assert.equal(store.list(typeFor(store, 'Pod')).items.length, 0);
  });

  void it('waits for objects held by finalizers, then finishes', async () => {
    const store = await start();
    const cms = typeFor(store, 'ConfigMap');
    await store.create(cms, cm('held', { finalizers: ['example.com/hold'] }));
    await store.delete(typeFor(store, 'Namespace'), undefined, 'app');
    await waitForStore(store, 'the held ConfigMap to be marked for deletion', () => (store.get(cms, 'app', 'held')?.metadata.deletionTimestamp ? true : undefined));
    assert.ok(store.get(typeFor(store, 'Namespace'), undefined, 'app'));
    await store.mutate(cms, 'app', 'held', (o) => { o.metadata.finalizers = []; });
    await waitForStore(store, 'namespace app to be gone', () => (store.get(typeFor(store, 'Namespace'), undefined, 'app') ? undefined : true));
  });

  void it('reports upstream\'s conditions while finalizers hold content, and syncs only after its grace delay', async () => {
    const store = await storeWithNamespaces('app');
    const controller = new NamespaceController(store, { delayMs: 100, requeueMs: 300 }).start();
    stop.push(() => controller.stop());
    const cms = typeFor(store, 'ConfigMap');
    const nsType = typeFor(store, 'Namespace');
    await store.create(cms, cm('held', { finalizers: ['example.com/hold'] }));
    await store.create(cms, cm('free'));
    const t0 = Date.now();
    await store.delete(nsType, undefined, 'app');
    const conditions = (): { type: string; status: string; reason: string; message: string }[] => ((store.get(nsType, undefined, 'app')?.status as { conditions?: [] } | undefined)?.conditions ?? []);
    await waitForStore(store, 'the namespace conditions', () => (conditions().length > 0 ? true : undefined));
    assert.ok(Date.now() - t0 >= 100, 'the sync waits for the grace delay');
    assert.deepEqual(conditions().map((c) => [c.type, c.status, c.reason, c.message]), [
      ['NamespaceDeletionDiscoveryFailure', 'False', 'ResourcesDiscovered', 'All resources successfully discovered'],
      ['NamespaceDeletionGroupVersionParsingFailure', 'False', 'ParsedGroupVersions', 'All legacy kube types successfully parsed'],
      ['NamespaceDeletionContentFailure', 'False', 'ContentDeleted', 'All content successfully deleted, may be waiting on finalization'],
      ['NamespaceContentRemaining', 'True', 'SomeResourcesRemain', 'Some resources are remaining: configmaps. has 1 resource instances'],
      ['NamespaceFinalizersRemaining', 'True', 'SomeFinalizersRemain', 'Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances'],
    ]);
    assert.equal(store.get(cms, 'app', 'free'), undefined);
    // Releasing the finalizer does not wake the controller: its own status write brought the namespace back after the
    // grace delay (or the requeue delay would have), and only then is it found empty.
    await store.mutate(cms, 'app', 'held', (o) => { o.metadata.finalizers = []; });
    const released = Date.now();
    await waitForStore(store, 'namespace app to be gone', () => (store.get(nsType, undefined, 'app') ? undefined : true));
    assert.ok(Date.now() - released >= 80, `gone ${Date.now() - released} ms after the finalizer went`);
  });

  void it('finishes a namespace that was already Terminating when it started', async () => {
    const store = await storeWithNamespaces('app');
    await store.create(typeFor(store, 'ConfigMap'), cm('c1'));
    await store.delete(typeFor(store, 'Namespace'), undefined, 'app');
    const controller = new NamespaceController(store).start();
    stop.push(() => controller.stop());
    await waitForStore(store, 'namespace app to be gone', () => (store.get(typeFor(store, 'Namespace'), undefined, 'app') ? undefined : true));
    assert.equal(store.get(typeFor(store, 'ConfigMap'), 'app', 'c1'), undefined);
  });
});
