import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../../cluster/types.ts';
import { arr, obj } from '../../controllers/kube-objects.ts';
import { typeFor } from '../../controllers/resource-lookup.ts';
import { podManifest } from '../../controllers/testing/cluster-fixture.ts';
import { addMeshNamespace, startOsmFixture } from './testing/osm-fixture.ts';

void describe('injector admission plugin', () => {
  void it('adds osm-init, envoy, the bootstrap volume and Secret, the proxy label and metrics annotations', async () => {
    const fx = await startOsmFixture();
    try {
      await addMeshNamespace(fx.store, 'httpbin', { metrics: true });
      const pod = await fx.store.create(typeFor(fx.store, 'Pod'), podManifest('httpbin-1', 'httpbin', { app: 'httpbin' }, { spec: { serviceAccountName: 'httpbin' } }));
      const uuid = pod.metadata.labels?.['osm-proxy-uuid'];
      assert.ok(uuid, 'osm-proxy-uuid label');
      const spec = obj(pod['spec']);
      assert.deepEqual(arr(spec['containers']).map((c) => c['name']), ['app', 'envoy']);
      assert.deepEqual(arr(spec['initContainers']).map((c) => c['name']), ['osm-init']);
      const envoy = arr(spec['containers'])[1]!;
      assert.equal(envoy['image'], 'envoyproxy/envoy-distroless:v1.22.2');
      assert.deepEqual([envoy['command'], envoy['args']].flat(), ['envoy', '--log-level', 'error', '--config-path', '/etc/envoy/bootstrap.yaml', '--service-cluster', 'httpbin.httpbin']);
      assert.equal(obj(envoy['securityContext'])['runAsUser'], 1500);
      assert.deepEqual(arr(envoy['ports']).map((p) => [p['name'], p['containerPort']]), [['proxy-admin', 15000], ['proxy-inbound', 15003], ['proxy-metrics', 15010]]);
      assert.equal(envoy['readinessProbe'], undefined);
      const init = arr(spec['initContainers'])[0]!;
      assert.equal(init['image'], 'openservicemesh/init:v1.2.4');
      assert.deepEqual(obj(obj(init['securityContext'])['capabilities'])['add'], ['NET_ADMIN']);
      const volume = arr(spec['volumes']).find((v) => v['name'] === 'envoy-bootstrap-config-volume');
      assert.equal(obj(volume?.['secret'])['secretName'], `envoy-bootstrap-config-${uuid}`);
      assert.ok(fx.store.get(typeFor(fx.store, 'Secret'), 'httpbin', `envoy-bootstrap-config-${uuid}`), 'bootstrap Secret');
      assert.deepEqual(
        Object.fromEntries(Object.entries(pod.metadata.annotations ?? {}).filter(([k]) => k.startsWith('prometheus.io/'))),
        { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '15010', 'prometheus.io/path': '/stats/prometheus' },
      );
    } finally {
      fx.stop();
    }
  });

  void it('leaves pods alone in namespaces with injection disabled and without metrics', async () => {
    const fx = await startOsmFixture();
    try {
      await addMeshNamespace(fx.store, 'ingress-nginx', { injection: 'disabled' });
      const pod = await fx.store.create(typeFor(fx.store, 'Pod'), podManifest('nginx', 'ingress-nginx', { app: 'nginx' }));
      assert.deepEqual(arr(obj(pod['spec'])['containers']).map((c) => c['name']), ['app']);
      assert.equal(pod.metadata.labels?.['osm-proxy-uuid'], undefined);
    } finally {
      fx.stop();
    }
  });

  void it('fails pod creation on an invalid annotation value, naming the webhook', async () => {
    const fx = await startOsmFixture();
    try {
      await addMeshNamespace(fx.store, 'httpbin');
      await assert.rejects(
        fx.store.create(typeFor(fx.store, 'Pod'), podManifest('bad', 'httpbin', {}, { annotations: { 'openservicemesh.io/sidecar-injection': 'maybe' } })),
        (e: unknown) => e instanceof ApiError && e.message === 'admission webhook "osm-inject.k8s.io" denied the request: Invalid annotation value for key "openservicemesh.io/sidecar-injection": maybe',
      );
    } finally {
      fx.stop();
    }
  });

  void it('admits pods unchanged with fault sidecar-not-injected', async () => {
    const fx = await startOsmFixture({ faults: ['sidecar-not-injected'] });
    try {
      await addMeshNamespace(fx.store, 'httpbin');
      const pod = await fx.store.create(typeFor(fx.store, 'Pod'), podManifest('p', 'httpbin', {}));
      assert.deepEqual(arr(obj(pod['spec'])['containers']).map((c) => c['name']), ['app']);
    } finally {
      fx.stop();
    }
  });

  void it('does nothing before osm-injector serves (no webhook configuration yet)', async () => {
    const fx = await startOsmFixture({ upComponents: ['osm-controller'] });
    try {
      await addMeshNamespace(fx.store, 'httpbin');
      const pod = await fx.store.create(typeFor(fx.store, 'Pod'), podManifest('p', 'httpbin', {}));
      assert.deepEqual(arr(obj(pod['spec'])['containers']).map((c) => c['name']), ['app']);
    } finally {
      fx.stop();
    }
  });
});
