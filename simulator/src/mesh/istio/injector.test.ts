// istiod's injector and its webhook configuration: which pods get the sidecar (istio.md §1.1, §1.2), in which form
// (§2.3), and exactly what is injected (§2.1, §2.2, §2.4).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../cluster/types.ts';
import { ApiError } from '../../cluster/types.ts';
import { arr, obj, spec } from '../../controllers/kube-objects.ts';
import { typeFor } from '../../controllers/resource-lookup.ts';
import { aksAddonLayout } from './constants.ts';
import { injectedVolumes } from './injector.ts';
import { namespaceWith, samplePod, startIstioFixture } from './testing/istio-fixture.ts';
import type { IstioFixture } from './testing/istio-fixture.ts';

async function createIn(fx: IstioFixture, ns: string, nsLabels: Record<string, string>, podLabels: Record<string, string> = {}, podSpec: Record<string, unknown> = {}): Promise<KubeObject> {
  if (!fx.view.namespace(ns)) await fx.store.create(typeFor(fx.store, 'Namespace'), namespaceWith(ns, nsLabels));
  return fx.store.create(typeFor(fx.store, 'Pod'), samplePod(ns, podLabels, podSpec));
}

const names = (list: unknown): string[] => arr(list).map((c) => String(c['name']));

void describe('Istio injector', () => {
  void it('publishes the revisioned MWC with the two rev entries and their selectors, no default entries', async () => {
    const fx = await startIstioFixture();
    try {
      const mwc = fx.store.get(typeFor(fx.store, 'MutatingWebhookConfiguration'), undefined, 'istio-sidecar-injector-asm-1-30')!;
      assert.equal(mwc.metadata.labels?.['istio.io/rev'], 'asm-1-30');
      assert.equal(mwc.metadata.labels?.['app'], 'sidecar-injector');
      const hooks = arr(mwc['webhooks']);
      assert.deepEqual(hooks.map((h) => h['name']), ['rev.namespace.sidecar-injector.istio.io', 'rev.object.sidecar-injector.istio.io']);
      assert.deepEqual(hooks[0]!['namespaceSelector'], { matchExpressions: [{ key: 'istio.io/rev', operator: 'In', values: ['asm-1-30'] }, { key: 'istio-injection', operator: 'DoesNotExist' }] });
      assert.deepEqual(hooks[1]!['objectSelector'], { matchExpressions: [{ key: 'sidecar.istio.io/inject', operator: 'NotIn', values: ['false'] }, { key: 'istio.io/rev', operator: 'In', values: ['asm-1-30'] }] });
      assert.deepEqual([hooks[0]!['failurePolicy'], obj(obj(hooks[0]!['clientConfig'])['service'])['name']], ['Fail', 'istiod-asm-1-30']);
      // istio-ca-root-cert everywhere but kube-public.
      const cms = fx.store.list(typeFor(fx.store, 'ConfigMap')).items.filter((c) => c.metadata.name === 'istio-ca-root-cert').map((c) => c.metadata.namespace).sort();
      assert.deepEqual(cms, ['istio-system', 'kube-system']);
    } finally {
      fx.stop();
    }
  });

  void it('injects a native sidecar for a namespace labelled istio.io/rev (kubelet v1.35), exactly as the template renders', async () => {
    const fx = await startIstioFixture();
    try {
      const pod = await createIn(fx, 'demo', { 'istio.io/rev': 'asm-1-30' });
      const s = spec(pod);
      assert.deepEqual(names(s['initContainers']), ['istio-init', 'istio-proxy']);
      assert.deepEqual(names(s['containers']), ['httpbin']);
      const proxy = arr(s['initContainers'])[1]!;
      assert.equal(proxy['restartPolicy'], 'Always');
      assert.equal(proxy['image'], 'registry.istio.io/release/proxyv2:1.30.3');
      assert.deepEqual(proxy['args'], ['proxy', 'sidecar', '--domain', '$(POD_NAMESPACE).svc.cluster.local', '--proxyLogLevel=warning', '--proxyComponentLogLevel=misc:error', '--log_output_level=default:info']);
      assert.deepEqual(proxy['ports'], [{ containerPort: 15090, name: 'http-envoy-prom', protocol: 'TCP' }]);
      assert.deepEqual(obj(obj(proxy['readinessProbe'])['httpGet']), { path: '/healthz/ready', port: 15021, scheme: 'HTTP' });
      assert.equal(obj(proxy['startupProbe'])['failureThreshold'], 600);
      const env: Record<string, unknown> = Object.fromEntries(arr(proxy['env']).map((e) => [String(e['name']), e['value']]));
      assert.equal(env['ISTIO_META_WORKLOAD_NAME'], 'httpbin');
      assert.equal(env['CA_ADDR'], 'istiod-asm-1-30.istio-system.svc:15012');
      assert.equal(env['ISTIO_META_POD_PORTS'], '[\n    {"containerPort":8080,"protocol":"TCP"}\n]');
      const init = arr(s['initContainers'])[0]!;
      assert.deepEqual(obj(obj(init['securityContext'])['capabilities'])['add'], ['NET_ADMIN', 'NET_RAW']);
      assert.deepEqual(pod.metadata.labels, { app: 'httpbin', version: 'v1', 'pod-template-hash': '6d87dbc9cc', 'security.istio.io/tlsMode': 'istio', 'service.istio.io/canonical-name': 'httpbin', 'service.istio.io/canonical-revision': 'v1' });
      const a = pod.metadata.annotations ?? {};
      assert.equal(a['sidecar.istio.io/status'], '{"initContainers":["istio-init","istio-proxy"],"containers":null,"volumes":["workload-socket","credential-socket","workload-certs","istio-envoy","istio-data","istio-podinfo","istio-token","istiod-ca-cert","istio-ca-crl"],"imagePullSecrets":null,"revision":"asm-1-30"}');
      assert.deepEqual([a['istio.io/rev'], a['kubectl.kubernetes.io/default-container'], a['prometheus.io/scrape'], a['prometheus.io/port'], a['prometheus.io/path']], ['asm-1-30', 'httpbin', 'true', '15020', '/stats/prometheus']);
      assert.deepEqual(names(s['volumes']), [...injectedVolumes]);
    } finally {
      fx.stop();
    }
  });

  void it('selects by the revision label only: istio-injection=enabled, opt-outs, hostNetwork and ignored namespaces get nothing', async () => {
    const fx = await startIstioFixture();
    try {
      const injected = (p: KubeObject): boolean => p.metadata.annotations?.['sidecar.istio.io/status'] !== undefined;
      assert.equal(injected(await createIn(fx, 'legacy', { 'istio-injection': 'enabled' })), false, 'no default revision or tag');
      assert.equal(injected(await createIn(fx, 'both', { 'istio-injection': 'enabled', 'istio.io/rev': 'asm-1-30' })), false, 'istio-injection takes precedence');
      assert.equal(injected(await createIn(fx, 'other', { 'istio.io/rev': 'asm-1-29' })), false);
      assert.equal(injected(await createIn(fx, 'plain', {})), false);
      assert.equal(injected(await createIn(fx, 'plain', {}, { 'istio.io/rev': 'asm-1-30' })), true, 'rev.object');
      assert.equal(injected(await createIn(fx, 'demo', { 'istio.io/rev': 'asm-1-30' }, { 'sidecar.istio.io/inject': 'false' })), false);
      assert.equal(injected(await createIn(fx, 'demo', { 'istio.io/rev': 'asm-1-30' }, {}, { hostNetwork: true })), false);
      assert.equal(injected(await createIn(fx, 'kube-system', { 'istio.io/rev': 'asm-1-30' })), false);
    } finally {
      fx.stop();
    }
  });

  void it('injects classic sidecars under ENABLE_NATIVE_SIDECARS=false (classic-sidecars) and with kubelets older than 1.33 (auto)', async () => {
    for (const fx of [await startIstioFixture({ faults: ['classic-sidecars'] }), await startIstioFixture({ kubeletVersion: 'v1.32.2' })]) {
      try {
        const pod = await createIn(fx, 'demo', { 'istio.io/rev': 'asm-1-30' });
        assert.deepEqual(names(spec(pod)['initContainers']), ['istio-init']);
        assert.deepEqual(names(spec(pod)['containers']), ['httpbin', 'istio-proxy']);
        assert.match(pod.metadata.annotations?.['sidecar.istio.io/status'] ?? '', /"initContainers":\["istio-init"\],"containers":\["istio-proxy"\]/);
      } finally {
        fx.stop();
      }
    }
  });

  void it('with CNI (AKS add-on) injects istio-validation and the CNI annotations; the MWC carries the namespace suffix', async () => {
    const fx = await startIstioFixture({ layout: aksAddonLayout() });
    try {
      assert.ok(fx.store.get(typeFor(fx.store, 'MutatingWebhookConfiguration'), undefined, 'istio-sidecar-injector-asm-1-30-aks-istio-system'));
      const pod = await createIn(fx, 'demo', { 'istio.io/rev': 'asm-1-30' });
      assert.deepEqual(names(spec(pod)['initContainers']), ['istio-validation', 'istio-proxy']);
      const validation = arr(spec(pod)['initContainers'])[0]!;
      assert.deepEqual((validation['args'] as string[]).slice(-2), ['--run-validation', '--skip-rule-apply']);
      assert.equal(pod.metadata.annotations?.['traffic.sidecar.istio.io/excludeInboundPorts'], '15020');
    } finally {
      fx.stop();
    }
  });

  void it('fails pod creation while istiod has no ready endpoint (failurePolicy: Fail)', async () => {
    const fx = await startIstioFixture();
    try {
      await fx.stopIstiod();
      await assert.rejects(createIn(fx, 'demo', { 'istio.io/rev': 'asm-1-30' }), (e: unknown) =>
        e instanceof ApiError && e.code === 500 && /failed calling webhook "rev.namespace.sidecar-injector.istio.io": .*no endpoints available for service "istiod-asm-1-30"/.test(e.message));
      assert.ok(await createIn(fx, 'plain', {}), 'pods no webhook selects are not affected');
    } finally {
      fx.stop();
    }
  });

  void it('faults: istio-injection-skipped admits pods unchanged; istio-revision-missing serves asm-1-29 under the asm-1-30 label', async () => {
    const skipped = await startIstioFixture({ faults: ['istio-injection-skipped'] });
    try {
      assert.deepEqual(names(spec(await createIn(skipped, 'demo', { 'istio.io/rev': 'asm-1-30' }))['containers']), ['httpbin']);
    } finally {
      skipped.stop();
    }
    const stale = await startIstioFixture({ faults: ['istio-revision-missing'] });
    try {
      const deploy = stale.store.get(typeFor(stale.store, 'Deployment'), 'istio-system', 'istiod-asm-1-30')!;
      assert.equal(deploy.metadata.labels?.['istio.io/rev'], 'asm-1-30');
      const mwcs = stale.store.list(typeFor(stale.store, 'MutatingWebhookConfiguration')).items.map((m) => m.metadata.name);
      assert.deepEqual(mwcs, ['istio-sidecar-injector-asm-1-29']);
      assert.equal((await createIn(stale, 'demo', { 'istio.io/rev': 'asm-1-30' })).metadata.annotations?.['sidecar.istio.io/status'], undefined);
      assert.equal((await createIn(stale, 'old', { 'istio.io/rev': 'asm-1-29' })).metadata.annotations?.['istio.io/rev'], 'asm-1-29');
    } finally {
      stale.stop();
    }
  });
});
