// The garbage collector: owner-reference cascades (background), references to a surviving owner, Orphan.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { KubeObject, ObjectStore } from '../cluster/types.ts';
import { GarbageCollector } from './garbage-collector.ts';
import { typeFor } from './resource-lookup.ts';
import { storeWithNamespaces, waitForStore } from './testing/cluster-fixture.ts';

const cm = (name: string, owners: KubeObject[] = []): KubeObject => ({
  apiVersion: 'v1', kind: 'ConfigMap',
  metadata: { name, namespace: 'app', ownerReferences: owners.map((o) => ({ apiVersion: 'v1', kind: 'ConfigMap', name: o.metadata.name!, uid: o.metadata.uid! })) },
  data: { a: '1' },
});

void describe('garbage collector', () => {
  let gc: GarbageCollector | undefined;
  afterEach(() => {
    gc?.stop();
    gc = undefined;
  });
  const start = async (): Promise<{ store: ObjectStore; create: (o: KubeObject) => Promise<KubeObject>; get: (name: string) => KubeObject | undefined }> => {
    const store = await storeWithNamespaces('app');
    const type = typeFor(store, 'ConfigMap');
    return { store, create: (o) => store.create(type, o), get: (name) => store.get(type, 'app', name) };
  };
  const gone = (store: ObjectStore, get: (name: string) => KubeObject | undefined, name: string): Promise<true> =>
    waitForStore(store, `ConfigMap ${name} to be garbage-collected`, () => (get(name) ? undefined : true));

  void it('deletes the dependents of a deleted owner, and theirs in turn', async () => {
    const { store, create, get } = await start();
    gc = new GarbageCollector(store).start();
    const owner = await create(cm('owner'));
    const child = await create(cm('child', [owner]));
    await create(cm('grandchild', [child]));
    await create(cm('bystander'));
    await store.delete(typeFor(store, 'ConfigMap'), 'app', 'owner');
    await gone(store, get, 'child');
    await gone(store, get, 'grandchild');
    assert.ok(get('bystander'));
  });

  void it('only drops the reference of a dependent that still has a live owner', async () => {
    const { store, create, get } = await start();
    gc = new GarbageCollector(store).start();
    const a = await create(cm('a'));
    const b = await create(cm('b'));
    await create(cm('shared', [a, b]));
    await store.delete(typeFor(store, 'ConfigMap'), 'app', 'a');
    const shared = await waitForStore(store, 'shared to lose its reference to a', () => {
      const o = get('shared');
      return o?.metadata.ownerReferences?.length === 1 ? o : undefined;
    });
    assert.equal(shared.metadata.ownerReferences?.[0]?.uid, b.metadata.uid);
  });

  void it('Orphan: the dependents lose the reference, then the owner goes', async () => {
    const { store, create, get } = await start();
    gc = new GarbageCollector(store).start();
    const owner = await create(cm('owner'));
    await create(cm('child', [owner]));
    const marked = await store.delete(typeFor(store, 'ConfigMap'), 'app', 'owner', { propagationPolicy: 'Orphan' });
    assert.deepEqual(marked.metadata.finalizers, ['orphan']);
    await gone(store, get, 'owner');
    assert.deepEqual(get('child')?.metadata.ownerReferences ?? [], []);
  });

  void it('knows the owners that existed before it started', async () => {
    const { store, create, get } = await start();
    const owner = await create(cm('owner'));
    await create(cm('child', [owner]));
    gc = new GarbageCollector(store).start();
    await store.delete(typeFor(store, 'ConfigMap'), 'app', 'owner');
    await gone(store, get, 'child');
  });
});
