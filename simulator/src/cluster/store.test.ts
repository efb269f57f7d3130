import assert from 'node:assert/strict';
import { once } from 'node:events';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { createStore } from './store.ts';
import { ApiError } from './types.ts';
import type { KubeObject, ResourceType, WatchEventType } from './types.ts';

async function fixture(options: Parameters<typeof createStore>[1] = {}) {
  const store = createStore(undefined, options);
  const t = (group: string, version: string, plural: string): ResourceType => store.types.byPath(group, version, plural)!;
  const types = {
    ns: t('', 'v1', 'namespaces'), pods: t('', 'v1', 'pods'), cms: t('', 'v1', 'configmaps'),
    svcs: t('', 'v1', 'services'), deploys: t('apps', 'v1', 'deployments'), crds: t('apiextensions.k8s.io', 'v1', 'customresourcedefinitions'),
  };
  await store.create(types.ns, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'app' } });
  return { store, types };
}

const cm = (name: string, extra: Partial<KubeObject['metadata']> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'app', ...extra }, data: { a: '1' } });

/** Collects watch events and lets a test await the next one without sleeping. */
function recorder() {
  const events: { type: WatchEventType; obj: KubeObject }[] = [];
  const emitter = new EventEmitter();
  return {
    events,
    onEvent: (type: WatchEventType, obj: KubeObject) => {
      events.push({ type, obj });
      emitter.emit('event');
    },
    async waitFor(predicate: () => boolean): Promise<void> {
      while (!predicate()) await once(emitter, 'event');
    },
  };
}

void test('create assigns uid, timestamps, generation and a global resourceVersion', async () => {
  const { store, types } = await fixture();
  const a = await store.create(types.cms, cm('a'));
  const b = await store.create(types.cms, cm('b'));
  assert.match(a.metadata.uid!, /^[0-9a-f-]{36}$/);
  assert.ok(Number(b.metadata.resourceVersion) > Number(a.metadata.resourceVersion));
  assert.equal(store.currentResourceVersion(), b.metadata.resourceVersion);
  assert.match(a.metadata.creationTimestamp!, /Z$/);
  const generated = await store.create(types.cms, cm('', { generateName: 'gen-' }));
  assert.match(generated.metadata.name!, /^gen-[a-z0-9]{5}$/);
});

void test('namespaced create needs an existing, non-terminating namespace', async () => {
  const { store, types } = await fixture();
  await assert.rejects(store.create(types.cms, { ...cm('x'), metadata: { name: 'x', namespace: 'nope' } }), { code: 404, message: 'namespaces "nope" not found' });
  await store.create(types.cms, cm('keep', { finalizers: ['test/hold'] }));
  await store.delete(types.ns, undefined, 'app');
  await assert.rejects(store.create(types.cms, cm('late')), (err: ApiError) => err.code === 403 && err.reason === 'Forbidden' && /being terminated/.test(err.message));
});

void test('duplicate create is 409 AlreadyExists; stale update is 409 Conflict', async () => {
  const { store, types } = await fixture();
  const first = await store.create(types.cms, cm('a'));
  await assert.rejects(store.create(types.cms, cm('a')), { code: 409, reason: 'AlreadyExists', message: 'configmaps "a" already exists' });
  await store.update(types.cms, { ...first, data: { a: '2' } });
  await assert.rejects(store.update(types.cms, { ...first, data: { a: '3' } }), { code: 409, reason: 'Conflict' });
  const mutated = await store.mutate(types.cms, 'app', 'a', (o) => { (o.data as Record<string, string>).a = '4'; });
  assert.deepEqual(mutated.data, { a: '4' });
});

void test('generation moves with spec changes only; status goes through /status', async () => {
  const { store, types } = await fixture();
  const created = await store.create(types.deploys, {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'app' },
    spec: { selector: { matchLabels: { app: 'd' } }, template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } },
  });
  assert.equal((created.spec as { replicas: number }).replicas, 1);
  assert.equal(created.metadata.generation, 1);
  const labelled = await store.mutate(types.deploys, 'app', 'd', (o) => { o.metadata.labels = { x: 'y' }; });
  assert.equal(labelled.metadata.generation, 1);
  const ignored = await store.mutate(types.deploys, 'app', 'd', (o) => { o.status = { readyReplicas: 5 }; });
  assert.equal(ignored.status, undefined);
  const status = await store.mutate(types.deploys, 'app', 'd', (o) => { o.status = { readyReplicas: 1 }; }, { subresource: 'status' });
  assert.deepEqual(status.status, { readyReplicas: 1 });
  const scaled = await store.mutate(types.deploys, 'app', 'd', (o) => { (o.spec as { replicas: number }).replicas = 3; });
  assert.equal(scaled.metadata.generation, 2);
});

void test('service defaults: clusterIP from 10.96/16, TCP and targetPort', async () => {
  const { store, types } = await fixture();
  const svc = await store.create(types.svcs, { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'app' }, spec: { ports: [{ port: 14001 }] } });
  const spec = svc.spec as { clusterIP: string; ports: { protocol: string; targetPort: number }[] };
  assert.match(spec.clusterIP, /^10\.96\.\d+\.\d+$/);
  assert.deepEqual([spec.ports[0]!.protocol, spec.ports[0]!.targetPort], ['TCP', 14001]);
});

void test('admission: mutate before validate, denial in the words of kube-apiserver', async () => {
  const { store, types } = await fixture();
  const seen: string[] = [];
  store.addAdmissionPlugin({
    name: 'osm-validator.k8s.io',
    mutate: (req) => { seen.push(`mutate ${req.operation}`); req.object.metadata.labels = { injected: 'true' }; },
    validate: (req) => {
      seen.push(`validate ${req.operation}`);
      return req.object.metadata.name === 'bad' ? 'nope' : undefined;
    },
  });
  const ok = await store.create(types.cms, cm('good'));
  assert.deepEqual(ok.metadata.labels, { injected: 'true' });
  await assert.rejects(store.create(types.cms, cm('bad')), (err: ApiError) => {
    assert.equal(err.code, 400);
    assert.equal(err.message, 'admission webhook "osm-validator.k8s.io" denied the request: nope');
    return true;
  });
  assert.deepEqual(seen.slice(0, 2), ['mutate CREATE', 'validate CREATE']);
  assert.equal(store.get(types.cms, 'app', 'bad'), undefined);
});

void test('dry run stores nothing', async () => {
  const { store, types } = await fixture();
  const rv = store.currentResourceVersion();
  await store.create(types.cms, cm('dry'), { dryRun: true });
  assert.equal(store.get(types.cms, 'app', 'dry'), undefined);
  assert.equal(store.currentResourceVersion(), rv);
});

void test('finalizers hold deletion until they are removed', async () => {
  const { store, types } = await fixture();
  await store.create(types.cms, cm('f', { finalizers: ['example.com/hold'] }));
  const marked = await store.delete(types.cms, 'app', 'f');
  assert.ok(marked.metadata.deletionTimestamp);
  assert.ok(store.get(types.cms, 'app', 'f'));
  await store.mutate(types.cms, 'app', 'f', (o) => { o.metadata.finalizers = []; });
  assert.equal(store.get(types.cms, 'app', 'f'), undefined);
});

void test('watch replays from a resourceVersion, filters by selector, and 410s when too old', async () => {
  const { store, types } = await fixture({ historyCapacity: 5 });
  const a = await store.create(types.cms, cm('a', { labels: { app: 'x' } }));
  await store.create(types.cms, cm('b'));
  const rec = recorder();
  const stop = store.watch(types.cms, { namespace: 'app', resourceVersion: a.metadata.resourceVersion!, labelSelector: 'app=x' }, rec.onEvent);
  await store.mutate(types.cms, 'app', 'b', (o) => { o.metadata.labels = { app: 'x' }; });
  await store.mutate(types.cms, 'app', 'a', (o) => { o.metadata.labels = {}; });
  await rec.waitFor(() => rec.events.length >= 2);
  assert.deepEqual(rec.events.map((e) => `${e.type} ${e.obj.metadata.name}`), ['ADDED b', 'DELETED a']);
  stop();
  for (let i = 0; i < 6; i++) await store.create(types.cms, cm(`filler-${i}`));
  assert.throws(() => store.watch(types.cms, { resourceVersion: a.metadata.resourceVersion! }, () => undefined), { code: 410, reason: 'Expired' });
});

void test('a watch event is delivered synchronously with the write', async () => {
  const { store, types } = await fixture();
  let delivered = false;
  store.watch(types.cms, { resourceVersion: store.currentResourceVersion() }, () => { delivered = true; });
  const write = store.create(types.cms, cm('fast'));
  await write;
  assert.equal(delivered, true);
});

void test('deleting a Namespace marks it Terminating and leaves emptying it to the namespace controller', async () => {
  const { store, types } = await fixture();
  await store.create(types.cms, cm('c1'));
  const terminating = await store.delete(types.ns, undefined, 'app');
  assert.equal((terminating.status as { phase: string }).phase, 'Terminating');
  assert.ok(terminating.metadata.deletionTimestamp);
  // Without the controller nothing else happens, and an ordinary update does not finish the namespace either.
  await store.mutate(types.ns, undefined, 'app', (o) => { o.metadata.labels = { ...o.metadata.labels, touched: 'yes' }; });
  assert.ok(store.get(types.ns, undefined, 'app'));
  assert.ok(store.get(types.cms, 'app', 'c1'));
  // Removing the `kubernetes` spec finalizer (what the controller does through /finalize) removes it.
  await store.mutate(types.ns, undefined, 'app', (o) => { (o.spec as { finalizers: string[] }).finalizers = []; }, { subresource: 'finalize' });
  assert.equal(store.get(types.ns, undefined, 'app'), undefined);
});

void test('a Namespace without spec finalizers is removed at once', async () => {
  const { store, types } = await fixture();
  await store.create(types.ns, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bare' }, spec: { finalizers: [] } });
  await store.delete(types.ns, undefined, 'bare');
  assert.equal(store.get(types.ns, undefined, 'bare'), undefined);
});

void test('propagationPolicy Orphan marks the owner with the orphan finalizer for the garbage collector', async () => {
  const { store, types } = await fixture();
  await store.create(types.cms, cm('owner'));
  const marked = await store.delete(types.cms, 'app', 'owner', { propagationPolicy: 'Orphan' });
  assert.ok(marked.metadata.deletionTimestamp);
  assert.deepEqual(marked.metadata.finalizers, ['orphan']);
  await store.mutate(types.cms, 'app', 'owner', (o) => { o.metadata.finalizers = []; });
  assert.equal(store.get(types.cms, 'app', 'owner'), undefined);
});

void test('a CRD must mark exactly one version as the storage version (422, in kube-apiserver\'s words)', async () => {
  const { store, types } = await fixture();
  const crd = (versions: Record<string, unknown>[]): KubeObject => ({
    apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'configurations.dapr.io' },
    spec: { group: 'dapr.io', scope: 'Namespaced', names: { kind: 'Configuration', plural: 'configurations' }, versions },
  });
  for (const versions of [[{ name: 'v1alpha1', served: true, storage: false }], [{ name: 'v1', served: true, storage: true }, { name: 'v2', served: true, storage: true }]]) {
    await assert.rejects(store.create(types.crds, crd(versions)), (err: unknown) => err instanceof ApiError && err.code === 422 && /spec\.versions: Invalid value: .*: must have exactly one version marked as storage version$/.test(err.message));
  }
  await store.create(types.crds, crd([{ name: 'v1alpha1', served: true, storage: true }]));
});

void test('a CRD registers its served versions with printer columns, and deleting it unregisters them', async () => {
  const { store, types } = await fixture();
  await store.create(types.crds, {
    apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'ingressbackends.policy.openservicemesh.io' },
    spec: {
      group: 'policy.openservicemesh.io', scope: 'Namespaced',
      names: { kind: 'IngressBackend', plural: 'ingressbackends', singular: 'ingressbackend', shortNames: ['ingressbackend'] },
      versions: [{ name: 'v1alpha1', served: true, storage: true, subresources: { status: {} }, additionalPrinterColumns: [{ name: 'Status', type: 'string', jsonPath: '.status.currentStatus' }] }],
    },
  });
  const ib = store.types.byKind('IngressBackend', 'policy.openservicemesh.io/v1alpha1');
  assert.ok(ib);
  assert.deepEqual(ib.subresources, ['status']);
  assert.deepEqual(ib.printerColumns.map((c) => c.name), ['Name', 'Status']);
  const obj = await store.create(ib, { apiVersion: 'policy.openservicemesh.io/v1alpha1', kind: 'IngressBackend', metadata: { name: 'b', namespace: 'app' }, spec: {} });
  const withStatus = await store.mutate(ib, 'app', 'b', (o) => { o.status = { currentStatus: 'committed' }; }, { subresource: 'status' });
  assert.equal(ib.printerColumns[1]!.cell(withStatus), 'committed');
  assert.ok(obj.metadata.uid);
  await store.delete(types.crds, undefined, 'ingressbackends.policy.openservicemesh.io');
  assert.equal(store.types.byKind('IngressBackend'), undefined);
});

void test('onChange sees every committed change with the old object', async () => {
  const { store, types } = await fixture();
  const seen: string[] = [];
  store.onChange((e) => seen.push(`${e.type} ${e.resource.kind} ${e.object.metadata.name} ${e.oldObject ? 'old' : ''}`.trim()));
  await store.create(types.cms, cm('a'));
  await store.mutate(types.cms, 'app', 'a', (o) => { o.data = {}; });
  await store.delete(types.cms, 'app', 'a');
  assert.deepEqual(seen, ['ADDED ConfigMap a', 'MODIFIED ConfigMap a old', 'DELETED ConfigMap a old']);
  assert.ok(new ApiError(404, 'NotFound', 'x').toStatus());
});

void test('a SelfSubjectAccessReview with metadata is refused as kube-apiserver does; empty or zero metadata is answered', async () => {
  const { store } = await fixture();
  const ssar = store.types.byPath('authorization.k8s.io', 'v1', 'selfsubjectaccessreviews')!;
  const spec = { resourceAttributes: { verb: 'get', resource: 'pods' } };
  await assert.rejects(
    store.create(ssar, { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', metadata: { labels: { a: 'b' } }, spec }),
    (err: unknown) => err instanceof ApiError && err.code === 422 && /^\.authorization\.k8s\.io "" is invalid: metadata: Invalid value: .*must be empty$/.test(err.message),
  );
  const zero = { name: '', namespace: '', resourceVersion: '', generation: 0, creationTimestamp: '1970-01-01T00:00:00Z', managedFields: [{ manager: 'm' }] };
  for (const metadata of [{}, zero]) {
    const answer = await store.create(ssar, { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', metadata, spec });
    assert.equal((answer.status as { allowed?: boolean }).allowed, true);
  }
});
