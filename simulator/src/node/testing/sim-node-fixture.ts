/**
 * Test fixture for node/ and ingress/ tests: a fake store with two kind-like nodes, a claimed loopback network,
 * the scheduler and the kubelet, and a policy the test can switch. teardown() stops everything it started.
 */
import http from 'node:http';
import type { InboundPolicySource, KubeObject } from '../../cluster/types.ts';
import type { FaultName } from '../../faults/index.ts';
import { faultHooks } from '../../faults/testing/fault-hooks.ts';
import type { SimHooks } from '../../hooks.ts';
import { startKubelet } from '../kubelet.ts';
import type { Kubelet } from '../kubelet.ts';
import { createNetwork } from '../network.ts';
import type { LoopbackNetwork } from '../network.ts';
import { startScheduler } from '../scheduler.ts';
import type { Scheduler } from '../scheduler.ts';
import { zeroTimings } from '../timings.ts';
import type { NodeTimings } from '../timings.ts';
import { FakeStore, fakeTypes } from './fake-store.ts';

/** A policy the test edits: the set of (port, peer cluster address) pairs allowed, or a predicate. */
export class SwitchablePolicy implements InboundPolicySource {
  allow: (pod: KubeObject, port: number, peer: string) => boolean = () => false;
  readonly asked: { pod: string; port: number; peer: string }[] = [];
  inboundAllowed(pod: KubeObject, port: number, peer: string): boolean {
    this.asked.push({ pod: `${pod.metadata.namespace}/${pod.metadata.name}`, port, peer });
    return this.allow(pod, port, peer);
  }
}

export interface SimNodeFixture {
  store: FakeStore;
  network: LoopbackNetwork;
  policy: SwitchablePolicy;
  kubelet: Kubelet;
  scheduler: Scheduler;
  hooks: SimHooks;
  teardown(): Promise<void>;
}

export interface FixtureOptions {
  faults?: FaultName[];
  arch?: string;
  timings?: NodeTimings;
}

/** Starts the fixture with nodes `mesh-conformance-control-plane` (tainted) and `mesh-conformance-worker`. */
export async function startSimNodeFixture(opts: FixtureOptions = {}): Promise<SimNodeFixture> {
  const store = new FakeStore();
  const network = await createNetwork();
  const policy = new SwitchablePolicy();
  const hooks = faultHooks(...(opts.faults ?? []));
  const arch = opts.arch ?? 'amd64';
  const labels = (name: string): Record<string, string> => ({ 'kubernetes.io/arch': arch, 'kubernetes.io/os': 'linux', 'kubernetes.io/hostname': name });
  await store.create(fakeTypes.node, {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'mesh-conformance-control-plane', labels: { ...labels('mesh-conformance-control-plane'), 'node-role.kubernetes.io/control-plane': '' } },
    spec: { providerID: 'kind://docker/mesh-conformance/mesh-conformance-control-plane', taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] },
  });
  await store.create(fakeTypes.node, {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'mesh-conformance-worker', labels: { ...labels('mesh-conformance-worker'), 'ingress-ready': 'true' } },
    spec: { providerID: 'kind://docker/mesh-conformance/mesh-conformance-worker' },
  });
  const kubelet = startKubelet({ store, network, hooks, policy, timings: opts.timings ?? zeroTimings });
  const scheduler = startScheduler({ store });
  return {
    store,
    network,
    policy,
    kubelet,
    scheduler,
    hooks,
    teardown: async () => {
      scheduler.stop();
      await kubelet.stop();
      await network.close();
    },
  };
}

/** The httpbin sample's pod after injection: osm-init, httpbin and envoy. */
export function httpbinPod(name: string, opts: { sidecar?: boolean; scrape?: boolean } = {}): KubeObject {
  const sidecar = opts.sidecar ?? true;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'httpbin',
      labels: { app: 'httpbin', ...(sidecar ? { 'osm-proxy-uuid': '1b7e5d1c-0000-4000-8000-000000000001' } : {}) },
      annotations: opts.scrape === false ? {} : { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '15010', 'prometheus.io/path': '/stats/prometheus' },
    },
    spec: {
      serviceAccountName: 'httpbin',
      nodeSelector: { 'kubernetes.io/arch': 'amd64', 'kubernetes.io/os': 'linux' },
      ...(sidecar ? { initContainers: [{ name: 'osm-init', image: 'openservicemesh/init:v1.2.4' }] } : {}),
      containers: [
        { name: 'httpbin', image: 'kennethreitz/httpbin', command: ['gunicorn', '-b', '0.0.0.0:14001', 'httpbin:app', '-k', 'gevent'], ports: [{ containerPort: 14001, protocol: 'TCP' }] },
        ...(sidecar
          ? [{
              name: 'envoy',
              image: 'envoyproxy/envoy-distroless:v1.22.2',
              ports: [
                { name: 'proxy-admin', containerPort: 15000, protocol: 'TCP' },
                { name: 'proxy-inbound', containerPort: 15003, protocol: 'TCP' },
                { name: 'proxy-metrics', containerPort: 15010, protocol: 'TCP' },
              ],
            }]
          : []),
      ],
    },
  };
}

/** The httpbin Service of the sample. */
export function httpbinService(): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'httpbin', namespace: 'httpbin', labels: { app: 'httpbin', service: 'httpbin' } },
    spec: { selector: { app: 'httpbin' }, ports: [{ name: 'http', port: 14001, protocol: 'TCP', targetPort: 14001 }] },
  };
}

/** Pod phase Running and every container ready. */
export function podRunningReady(pod: KubeObject | undefined): boolean {
  const status = pod?.status as { phase?: string; containerStatuses?: { ready: boolean }[] } | undefined;
  return status?.phase === 'Running' && !!status.containerStatuses?.length && status.containerStatuses.every((c) => c.ready);
}

export interface SimpleResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One HTTP/1.1 request with no connection reuse; rejects with the socket error (ECONNRESET on a reset). */
export function request(url: string, opts: { localAddress?: string; headers?: Record<string, string>; timeoutMs?: number } = {}): Promise<SimpleResponse> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, localAddress: opts.localAddress, headers: opts.headers, timeout: opts.timeoutMs ?? 5_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`request to ${url} timed out`)));
    req.on('error', reject);
  });
}
