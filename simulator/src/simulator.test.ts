/**
 * End to end through the kubeconfig: starts the whole simulator in-process (API server on port 0),
 * follows the OSM ingress guide with @kubernetes/client-node, and checks the IngressBackend is committed
 * and `GET /get` through the ingress address answers 200.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AppsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, NetworkingV1Api, VersionApi } from '@kubernetes/client-node';
import type { V1Deployment } from '@kubernetes/client-node';
import { startSimulator } from './simulator.ts';
import type { Simulator } from './simulator.ts';

/** Retries `probe` every 100 ms until it returns a value; fails after `timeoutMs` with the last observation. */
async function eventually<T>(description: string, timeoutMs: number, probe: () => Promise<{ value?: T; observed: string }>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let observed = 'nothing observed yet';
  for (;;) {
    try {
      const result = await probe();
      observed = result.observed;
      if (result.value !== undefined) return result.value;
    } catch (error) {
      observed = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs}ms waiting for ${description}; last seen: ${observed}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const httpbinDeployment: V1Deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'httpbin' },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: 'httpbin' } },
    template: {
      metadata: { labels: { app: 'httpbin' } },
      spec: {
        serviceAccountName: 'httpbin',
        nodeSelector: { 'kubernetes.io/arch': 'amd64', 'kubernetes.io/os': 'linux' },
        containers: [{ name: 'httpbin', image: 'kennethreitz/httpbin', imagePullPolicy: 'IfNotPresent', command: ['gunicorn', '-b', '0.0.0.0:14001', 'httpbin:app', '-k', 'gevent'], ports: [{ containerPort: 14001 }] }],
      },
    },
  },
};

void describe('simulator end to end (kind flavor)', () => {
  let sim: Simulator;
  let dir: string;
  let kc: KubeConfig;

  before(async () => {
    // A space in the path: the ready line must carry it intact (JSON, not key=value pairs).
    dir = mkdtempSync(join(tmpdir(), 'sim e2e-'));
    sim = await startSimulator({ flavor: 'kind', kubeconfig: join(dir, 'kubeconfig'), port: 0, readyTimeoutMs: 30_000 });
    kc = new KubeConfig();
    kc.loadFromFile(sim.kubeconfig);
  });

  after(async () => {
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  void it('commits the IngressBackend and serves GET /get through ingress-nginx with 200', async () => {
    assert.ok(sim.readyLine.startsWith('simulator ready {'), sim.readyLine);
    const announced = JSON.parse(sim.readyLine.slice('simulator ready '.length)) as Record<string, unknown>;
    assert.deepEqual(announced, { kubeconfig: join(dir, 'kubeconfig'), context: 'mesh-conformance-sim-kind', server: sim.server, flavor: 'kind', mesh: 'osm' });
    assert.match(sim.server, /^https:\/\/127\.0\.0\.1:\d+$/);
    const core = kc.makeApiClient(CoreV1Api);
    const apps = kc.makeApiClient(AppsV1Api);
    const networking = kc.makeApiClient(NetworkingV1Api);
    const custom = kc.makeApiClient(CustomObjectsApi);
    const namespace = 'httpbin';

    await core.createNamespace({ body: { metadata: { name: namespace, labels: { 'openservicemesh.io/monitored-by': 'osm' }, annotations: { 'openservicemesh.io/sidecar-injection': 'enabled' } } } });
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'httpbin' } } });
    await core.createNamespacedService({ namespace, body: { metadata: { name: 'httpbin', labels: { app: 'httpbin', service: 'httpbin' } }, spec: { ports: [{ name: 'http', port: 14001 }], selector: { app: 'httpbin' } } } });
    await apps.createNamespacedDeployment({ namespace, body: httpbinDeployment });
    await networking.createNamespacedIngress({
      namespace,
      body: { metadata: { name: 'httpbin' }, spec: { ingressClassName: 'nginx', rules: [{ http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'httpbin', port: { number: 14001 } } } }] } }] } },
    });
    await custom.createNamespacedCustomObject({
      group: 'policy.openservicemesh.io', version: 'v1alpha1', namespace, plural: 'ingressbackends',
      body: {
        apiVersion: 'policy.openservicemesh.io/v1alpha1', kind: 'IngressBackend', metadata: { name: 'httpbin' },
        spec: { backends: [{ name: 'httpbin', port: { number: 14001, protocol: 'http' } }], sources: [{ kind: 'Service', namespace: 'ingress-nginx', name: 'ingress-nginx-controller' }] },
      },
    });

    const pod = await eventually('the httpbin pod to be 2/2 Ready', 20_000, async () => {
      const pods = await core.listNamespacedPod({ namespace, labelSelector: 'app=httpbin' });
      const p = pods.items[0];
      const ready = p?.status?.containerStatuses?.filter((c) => c.ready).length ?? 0;
      return { value: ready === 2 ? p : undefined, observed: p ? `${p.metadata?.name} ${p.status?.phase} ${ready}/${p.spec?.containers.length}` : 'no pod' };
    });
    assert.deepEqual(pod?.spec?.containers.map((c) => c.name), ['httpbin', 'envoy']);
    assert.ok(pod?.metadata?.labels?.['osm-proxy-uuid']);

    await eventually('IngressBackend httpbin/httpbin to be committed', 20_000, async () => {
      const ib = await custom.getNamespacedCustomObject({ group: 'policy.openservicemesh.io', version: 'v1alpha1', namespace, plural: 'ingressbackends', name: 'httpbin' }) as { status?: { currentStatus?: string; reason?: string } };
      return { value: ib.status?.currentStatus === 'committed' ? true : undefined, observed: JSON.stringify(ib.status ?? {}) };
    });

    const address = await eventually('the Ingress to get an address', 20_000, async () => {
      const ing = await networking.readNamespacedIngress({ namespace, name: 'httpbin' });
      const entry = ing.status?.loadBalancer?.ingress?.[0];
      return { value: entry?.ip ?? entry?.hostname, observed: JSON.stringify(ing.status ?? {}) };
    });

    const status = await eventually(`GET http://${address}/get to answer 200`, 20_000, async () => {
      const res = await fetch(`http://${address}/get`, { signal: AbortSignal.timeout(3_000) });
      await res.arrayBuffer();
      return { value: res.status === 200 ? res.status : undefined, observed: `HTTP ${res.status}` };
    });
    assert.equal(status, 200);
  });

  void it('reports one Kubernetes version: /version and every node\'s kubelet (the kind flavor\'s, what kind-up creates)', async () => {
    const version = await kc.makeApiClient(VersionApi).getCode();
    assert.equal(version.gitVersion, 'v1.27.3');
    assert.deepEqual([version.major, version.minor], ['1', '27']);
    const nodes = await kc.makeApiClient(CoreV1Api).listNode();
    assert.deepEqual([...new Set(nodes.items.map((n) => n.status?.nodeInfo?.kubeletVersion))], ['v1.27.3']);
  });
});
