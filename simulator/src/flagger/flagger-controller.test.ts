import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventRecorder } from '../cluster/event-recorder.ts';
import type { KubeObject, ObjectStore } from '../cluster/types.ts';
import { storeWithNamespaces } from '../controllers/testing/cluster-fixture.ts';
import { typeFor } from '../controllers/resource-lookup.ts';
import { combineHooks } from '../hooks.ts';
import type { FaultHooks } from '../hooks.ts';
import { trafficSplitCrd } from '../flavors/smi-crds.ts';
import { canaryCrd } from './canary-crd.ts';
import { advance, analysisIntervalMs, parseGoDuration } from './flagger-controller.ts';

const ns = 'demo';

async function cluster(provider: string | undefined): Promise<ObjectStore> {
  const store = await storeWithNamespaces(ns, 'osm-system');
  const crds = typeFor(store, 'CustomResourceDefinition');
  for (const crd of [canaryCrd(), trafficSplitCrd()]) await store.create(crds, crd);
  const deployments = typeFor(store, 'Deployment');
  const flagger = await store.create(deployments, {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'flagger', namespace: 'osm-system' },
    spec: { replicas: 1, selector: { matchLabels: { app: 'flagger' } }, template: { metadata: { labels: { app: 'flagger' } }, spec: { containers: [{ name: 'flagger', image: 'ghcr.io/fluxcd/flagger:1.36.0', args: provider ? [`-mesh-provider=${provider}`] : [] }] } } },
  });
  await store.mutate(deployments, 'osm-system', flagger.metadata.name ?? '', (d) => { d['status'] = { readyReplicas: 1 }; }, { subresource: 'status' });
  await store.create(deployments, {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'httpbin', namespace: ns, labels: { run: 'x' } },
    spec: { replicas: 1, selector: { matchLabels: { app: 'httpbin' } }, template: { metadata: { labels: { app: 'httpbin', run: 'x' } }, spec: { containers: [{ name: 'httpbin', image: 'kennethreitz/httpbin' }] } } },
  });
  await store.create(typeFor(store, 'Service'), { apiVersion: 'v1', kind: 'Service', metadata: { name: 'httpbin', namespace: ns }, spec: { selector: { app: 'httpbin' }, ports: [{ name: 'http', port: 14001 }] } });
  const canaryType = store.types.byKind('Canary', 'flagger.app/v1beta1');
  assert.ok(canaryType);
  await store.create(canaryType, { apiVersion: 'flagger.app/v1beta1', kind: 'Canary', metadata: { name: 'httpbin', namespace: ns }, spec: { targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'httpbin' }, service: { port: 14001 }, analysis: { interval: '10s' } } });
  return store;
}

const canary = (store: ObjectStore): KubeObject => store.get(store.types.byKind('Canary', 'flagger.app/v1beta1')!, ns, 'httpbin')!;
const phase = (store: ObjectStore): unknown => (canary(store)['status'] as { phase?: string } | undefined)?.phase;
const warnings = (store: ObjectStore): string[] => store.list(typeFor(store, 'Event'), { namespace: ns }).items.filter((e) => e['type'] === 'Warning').map((e) => String(e['message']));
const hooks = (h: FaultHooks = {}) => combineHooks([h]).mesh;

async function markReady(store: ObjectStore, name: string): Promise<void> {
  await store.mutate(typeFor(store, 'Deployment'), ns, name, (d) => { d['status'] = { observedGeneration: d.metadata.generation ?? 1, replicas: 1, updatedReplicas: 1, availableReplicas: 1, readyReplicas: 1 }; }, { subresource: 'status' });
}

void describe('Flagger\'s Canary initialisation (simulated)', () => {
  void it('parses Go durations and applies Flagger\'s interval default and floor', () => {
    assert.equal(parseGoDuration('1m30s'), 90_000);
    assert.equal(parseGoDuration('10x'), undefined);
    assert.equal(analysisIntervalMs({}), 60_000);
    assert.equal(analysisIntervalMs({ analysis: { interval: '2s' } }), 10_000);
    assert.equal(analysisIntervalMs({ analysis: { interval: '30s' } }), 30_000);
  });

  void it('osm: primary first, a warning while it is not ready, then the target at 0, the apex Service on the primary, the TrafficSplit, Initialized', async () => {
    const store = await cluster('osm');
    const recorder = new EventRecorder(store, { component: 'flagger' });
    await advance(store, hooks(), recorder, ns, 'httpbin');
    assert.equal(phase(store), 'Initializing');
    const deployments = typeFor(store, 'Deployment');
    const primary = store.get(deployments, ns, 'httpbin-primary');
    assert.ok(primary, 'primary Deployment created');
    assert.deepEqual((primary['spec'] as { selector: unknown }).selector, { matchLabels: { app: 'httpbin-primary' } });
    assert.equal(primary.metadata.ownerReferences?.[0]?.kind, 'Canary');
    assert.match(warnings(store).join('\n'), /httpbin-primary\.demo not ready: waiting for rollout to finish/);
    assert.equal((store.get(deployments, ns, 'httpbin')!['spec'] as { replicas: number }).replicas, 1, 'target not scaled down before the primary is ready');

    await markReady(store, 'httpbin-primary');
    await advance(store, hooks(), recorder, ns, 'httpbin');
    assert.equal(phase(store), 'Initialized');
    const promoted = (canary(store)['status'] as { conditions: { type: string; status: string; reason: string }[] }).conditions[0];
    assert.deepEqual([promoted?.type, promoted?.status, promoted?.reason], ['Promoted', 'True', 'Initialized']);
    assert.equal((store.get(deployments, ns, 'httpbin')!['spec'] as { replicas: number }).replicas, 0);
    const services = typeFor(store, 'Service');
    assert.deepEqual((store.get(services, ns, 'httpbin')!['spec'] as { selector: unknown }).selector, { app: 'httpbin-primary' });
    assert.deepEqual((store.get(services, ns, 'httpbin-canary')!['spec'] as { selector: unknown }).selector, { app: 'httpbin' });
    const split = store.get(typeFor(store, 'TrafficSplit'), ns, 'httpbin');
    assert.deepEqual(split?.['spec'], { service: 'httpbin', backends: [{ service: 'httpbin-canary', weight: 0 }, { service: 'httpbin-primary', weight: 100 }] });
    const normal = store.list(typeFor(store, 'Event'), { namespace: ns }).items.filter((e) => e['type'] === 'Normal').map((e) => e['message']);
    assert.ok(normal.includes('Initialization done! httpbin.demo'));
  });

  void it('without -mesh-provider (istio) on a cluster without Istio\'s CRDs: a warning, the Canary stays Initializing', async () => {
    const store = await cluster(undefined);
    const recorder = new EventRecorder(store, { component: 'flagger' });
    await markReadyAfterCreate(store, recorder);
    assert.equal(phase(store), 'Initializing');
    assert.match(warnings(store).join('\n'), /DestinationRule httpbin-canary\.demo get query error: the server could not find the requested resource/);
  });

  void it('the faults: no action at all (stuck is the component\'s), or Initialized without the TrafficSplit', async () => {
    const store = await cluster('osm');
    const recorder = new EventRecorder(store, { component: 'flagger' });
    await advance(store, hooks({ mesh: { flaggerSkipsRouting: true } }), recorder, ns, 'httpbin');
    await markReady(store, 'httpbin-primary');
    await advance(store, hooks({ mesh: { flaggerSkipsRouting: true } }), recorder, ns, 'httpbin');
    assert.equal(phase(store), 'Initialized');
    assert.equal(store.get(typeFor(store, 'TrafficSplit'), ns, 'httpbin'), undefined);
  });
});

async function markReadyAfterCreate(store: ObjectStore, recorder: EventRecorder): Promise<void> {
  await advance(store, hooks(), recorder, ns, 'httpbin');
  await markReady(store, 'httpbin-primary');
  await advance(store, hooks(), recorder, ns, 'httpbin');
  await recorder.record({ involved: canary(store), type: 'Normal', reason: 'flush', message: 'flush' });
}
