// The real istiod (istiod.ts) against the real kube-apiserver (control-plane.ts): Istio's own install rendered by
// istioctl from the same module, pilot-discovery as a host process, and what istiod then does through the API:
// its CA root in every namespace, the injector webhook's caBundle, and the real injection template applied to a pod
// created in a revision-labelled namespace. Skipped until `node scripts/upstream-build.mjs` has built both the
// Kubernetes binaries and pilot-discovery/istioctl.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Agent, request } from 'undici';
import type { KubeObject } from '../cluster/types.ts';
import { gatewayApiCrds } from '../flavors/gateway-api-crds.ts';
import { liveChildCount } from '../node/processes.ts';
import { startUpstreamControlPlane, upstreamBinariesPresent, upstreamBinDir } from './control-plane.ts';
import { pointWebhooksAt, renderIstioInstall, startUpstreamIstiod, upstreamIstioBinDir, upstreamIstiodPresent } from './istiod.ts';

const namespace = 'istio-system';
const revision = 'asm-1-30';
const hub = 'registry.istio.io/release';
const tag = '1.30.3';

/** Polls `get` until it returns a value, or fails naming what was awaited. */
async function until<T>(what: string, get: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await get();
      if (v !== undefined) return v;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms (last: ${last instanceof Error ? last.message : String(last)})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

type Container = { name: string; image?: string; args?: string[]; restartPolicy?: string };

/** The REST paths of the kinds the test writes (client-node's typed serializer would drop CRD schema keys such as x-kubernetes-int-or-string). */
const paths: Record<string, [prefix: string, plural: string, namespaced: boolean]> = {
  CustomResourceDefinition: ['/apis/apiextensions.k8s.io/v1', 'customresourcedefinitions', false],
  ClusterRole: ['/apis/rbac.authorization.k8s.io/v1', 'clusterroles', false],
  ClusterRoleBinding: ['/apis/rbac.authorization.k8s.io/v1', 'clusterrolebindings', false],
  Role: ['/apis/rbac.authorization.k8s.io/v1', 'roles', true],
  RoleBinding: ['/apis/rbac.authorization.k8s.io/v1', 'rolebindings', true],
  MutatingWebhookConfiguration: ['/apis/admissionregistration.k8s.io/v1', 'mutatingwebhookconfigurations', false],
  ValidatingWebhookConfiguration: ['/apis/admissionregistration.k8s.io/v1', 'validatingwebhookconfigurations', false],
  Namespace: ['/api/v1', 'namespaces', false],
  ConfigMap: ['/api/v1', 'configmaps', true],
  Secret: ['/api/v1', 'secrets', true],
  Service: ['/api/v1', 'services', true],
  ServiceAccount: ['/api/v1', 'serviceaccounts', true],
  Pod: ['/api/v1', 'pods', true],
  Deployment: ['/apis/apps/v1', 'deployments', true],
  GatewayClass: ['/apis/gateway.networking.k8s.io/v1', 'gatewayclasses', false],
  Gateway: ['/apis/gateway.networking.k8s.io/v1', 'gateways', true],
};

describe('upstream istiod', () => {
  it('renders Istio with istioctl, runs pilot-discovery against kube-apiserver, publishes its root and injects the real template (skipped where the upstream binaries or istiod are not built: npm run upstream:build)', async (t) => {
    if (!upstreamBinariesPresent() || !upstreamIstiodPresent()) {
      t.skip(`upstream binaries not built (${upstreamBinDir()}, ${upstreamIstioBinDir()}): run node scripts/upstream-build.mjs`);
      return;
    }
    const rendered = await renderIstioInstall({ namespace, revision, hub, tag });
    const kinds = new Set(rendered.map((o) => o.kind));
    for (const k of ['CustomResourceDefinition', 'ConfigMap', 'MutatingWebhookConfiguration', 'Deployment']) assert.ok(kinds.has(k), `istioctl renders a ${k}`);
    const injectorCm = rendered.find((o) => o.kind === 'ConfigMap' && o.metadata.name === `istio-sidecar-injector-${revision}`);
    assert.ok(injectorCm, 'the injector ConfigMap is rendered');
    const meshCm = rendered.find((o) => o.kind === 'ConfigMap' && o.metadata.name === `istio-${revision}`);
    const meshConfig = (meshCm as { data?: { mesh?: string } } | undefined)?.data?.mesh;
    assert.ok(meshConfig, 'the mesh ConfigMap is rendered');

    const cp = await startUpstreamControlPlane({ readyTimeoutMs: 90_000 });
    let istiod: Awaited<ReturnType<typeof startUpstreamIstiod>> | undefined;
    const dispatcher = new Agent({ connect: { ca: cp.caPem } });
    try {
      const call = async (method: 'GET' | 'POST', kind: string, ns: string | undefined, name?: string, body?: unknown): Promise<Record<string, unknown>> => {
        const [prefix, plural, namespaced] = paths[kind] ?? [];
        if (!prefix) throw new Error(`no path for ${kind}`);
        const url = `${cp.server}${prefix}${namespaced ? `/namespaces/${ns ?? 'default'}` : ''}/${plural}${name ? `/${name}` : ''}`;
        const res = await request(url, { method, dispatcher, headers: { authorization: `Bearer ${cp.token}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
        const json = (await res.body.json()) as Record<string, unknown>;
        if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${String(json.message)}`);
        return json;
      };
      const create = (o: KubeObject): Promise<Record<string, unknown>> => call('POST', o.kind, o.metadata.namespace, undefined, o);
      const read = (kind: string, ns: string | undefined, name: string): Promise<Record<string, unknown>> => call('GET', kind, ns, name);
      await create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
      // The chart's objects except istiod's own workload (it runs as a host process here).
      const skipped = new Set(['Deployment', 'PodDisruptionBudget', 'HorizontalPodAutoscaler', 'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']);
      // The Gateway API CRDs as the istio-kind flavor installs them (bundle v1.5.1), then Istio's.
      for (const o of gatewayApiCrds({ bundleVersion: 'v1.5.1' })) await create(o);
      for (const o of rendered.filter((x) => x.kind === 'CustomResourceDefinition')) await create(o);
      for (const o of rendered.filter((x) => x.kind !== 'CustomResourceDefinition' && !skipped.has(x.kind))) await create(o);

      istiod = await startUpstreamIstiod({ kubeconfig: cp.kubeconfig, namespace, revision, meshConfig, readyTimeoutMs: 120_000 });
      t.diagnostic(`istiod ready in ${istiod.startupMs} ms, RSS ${istiod.rssKb() ?? '?'} kB`);
      for (const o of pointWebhooksAt(rendered.filter((x) => x.kind === 'MutatingWebhookConfiguration'), istiod.httpsAddr)) await create(o);

      // istiod's namespace controller publishes its CA root in every namespace (istio.md §6).
      const root = await until('istio-ca-root-cert in default', async () => {
        const cm = await read('ConfigMap', 'default', 'istio-ca-root-cert') as { data?: Record<string, string> };
        return cm.data?.['root-cert.pem'];
      });
      assert.match(root, /^-----BEGIN CERTIFICATE-----/);
      const secret = await read('Secret', namespace, 'istio-ca-secret') as { data?: Record<string, string> };
      assert.equal(Buffer.from(secret.data?.['ca-cert.pem'] ?? '', 'base64').toString('utf8').trim(), root.trim(), 'the published root is the self-signed CA in istio-ca-secret');

      // Its webhook patcher writes that root into the injector configuration's caBundle.
      const mwcName = `istio-sidecar-injector-${revision}`;
      await until(`caBundle of ${mwcName}`, async () => {
        const mwc = await read('MutatingWebhookConfiguration', undefined, mwcName) as { webhooks?: { clientConfig?: { caBundle?: string } }[] };
        const bundles = (mwc.webhooks ?? []).map((w) => w.clientConfig?.caBundle ?? '');
        return bundles.length > 0 && bundles.every((b) => Buffer.from(b, 'base64').toString('utf8').trim() === root.trim()) ? true : undefined;
      });

      // A pod in a namespace labelled for the revision gets the real template through kube-apiserver's webhook call.
      await create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'injected', labels: { 'istio.io/rev': revision } } });
      await until('the default ServiceAccount of injected', () => read('ServiceAccount', 'injected', 'default').then(() => true));
      const pod = await create({
        apiVersion: 'v1', kind: 'Pod',
        metadata: { name: 'httpbin', namespace: 'injected', labels: { app: 'httpbin' } },
        spec: { containers: [{ name: 'httpbin', image: 'docker.io/kong/httpbin:0.2.3', ports: [{ containerPort: 8080 }] }] },
      }) as unknown as { metadata: { annotations?: Record<string, string> }; spec: { initContainers?: Container[]; containers: Container[] } };
      const all = [...(pod.spec.initContainers ?? []), ...pod.spec.containers];
      t.diagnostic(`injected: init [${(pod.spec.initContainers ?? []).map((c) => `${c.name}${c.restartPolicy ? `(${c.restartPolicy})` : ''}`).join(', ')}], containers [${pod.spec.containers.map((c) => c.name).join(', ')}]`);
      const init = all.find((c) => c.name === 'istio-init');
      const proxy = all.find((c) => c.name === 'istio-proxy');
      assert.ok(init, 'istio-init is injected (no CNI)');
      // ENABLE_NATIVE_SIDECARS unset (auto) on Kubernetes 1.35: istio-proxy is a native sidecar (an init container that restarts).
      assert.equal((pod.spec.initContainers ?? []).find((c) => c.name === 'istio-proxy')?.restartPolicy, 'Always', 'istio-proxy is a native sidecar');
      assert.ok(proxy, 'istio-proxy is injected');
      assert.equal(proxy.image, `${hub}/proxyv2:${tag}`);
      assert.deepEqual(proxy.args?.slice(0, 2), ['proxy', 'sidecar']);
      assert.ok(init.args?.includes('istio-iptables'), `istio-init runs istio-iptables: ${JSON.stringify(init.args)}`);
      assert.match(pod.metadata.annotations?.['sidecar.istio.io/status'] ?? '', /"initContainers":\["istio-init"/);

      // The Gateway API controller: istiod's GatewayClass, and for a Gateway in a namespace of its revision the
      // Deployment and Service of the kube-gateway template and the Gateway's status.
      type Conditions = { status?: { conditions?: { type: string; status: string; reason: string; message: string }[] } };
      const accepted = await until('GatewayClass istio Accepted', async () => {
        const cls = await read('GatewayClass', undefined, 'istio') as Conditions;
        return cls.status?.conditions?.find((c) => c.type === 'Accepted' && c.status === 'True');
      });
      t.diagnostic(`GatewayClass istio: Accepted ${accepted.reason}: ${accepted.message}`);
      await create({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'ingress', namespace: 'injected' }, spec: { gatewayClassName: 'istio', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] } });
      const deployment = await until('Deployment ingress-istio', () => read('Deployment', 'injected', 'ingress-istio')) as { spec: { template: { spec: { containers: Container[] } } } };
      const gwProxy = deployment.spec.template.spec.containers.find((c) => c.name === 'istio-proxy');
      assert.equal(gwProxy?.image, `${hub}/proxyv2:${tag}`, 'the gateway Deployment runs proxyv2');
      assert.deepEqual(gwProxy.args?.slice(0, 2), ['proxy', 'router']);
      await until('Service ingress-istio', () => read('Service', 'injected', 'ingress-istio'));
      const gwConditions = await until('Gateway ingress conditions', async () => {
        const gw = await read('Gateway', 'injected', 'ingress') as Conditions;
        const conds = gw.status?.conditions ?? [];
        return conds.some((c) => c.type === 'Programmed') ? conds : undefined;
      });
      t.diagnostic(`Gateway ingress: ${gwConditions.map((c) => `${c.type}=${c.status} ${c.reason}: ${c.message}`).join(' | ')}`);
      assert.equal(gwConditions.find((c) => c.type === 'Accepted')?.status, 'True');
      // No load balancer assigns the Service an address here, so it is not Programmed.
      assert.equal(gwConditions.find((c) => c.type === 'Programmed')?.status, 'False');
    } finally {
      await dispatcher.close();
      if (istiod) await istiod.stop();
      await cp.stop();
    }
    assert.equal(liveChildCount(), 0, 'no process is left');
  });
});
