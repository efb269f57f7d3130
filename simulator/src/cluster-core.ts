/**
 * The part of a simulated cluster that Kubernetes itself is: the API server, the store behind it and the controllers
 * and scheduler that act on it. startSimulator() starts one of two and builds the rest (network, the flavor's
 * components, kubelets) on whichever it got, through the same ObjectStore:
 * - embedded (this file): our own API server (api/) over an in-memory store, with our controller manager and scheduler;
 * - upstream (upstream/upstream-core.ts): etcd, kube-apiserver, kube-controller-manager and kube-scheduler built from
 *   the Go module proxy, with the components attached as real ones attach to a cluster.
 */
import type { ApiServer } from './api/server.ts';
import { startApiServer } from './api/server.ts';
import { createStore } from './cluster/store.ts';
import type { LogSource, ObjectStore, SimNetwork } from './cluster/types.ts';
import { startControllerManager } from './controllers/index.ts';
import type { SimHooks } from './hooks.ts';
import { createPodPortForward, createPodProxy, createServiceProxy } from './node/api-proxy.ts';
import type { ApiServerAccess } from './node/container.ts';
import type { Kubelet } from './node/kubelet.ts';
import { startScheduler } from './node/scheduler.ts';
import type { NodeTimings } from './node/timings.ts';

/** Which control plane runs the cluster (`sim --control-plane`). */
export const controlPlanes = ['embedded', 'upstream'] as const;
export type ControlPlaneName = (typeof controlPlanes)[number];

export function isControlPlaneName(value: string): value is ControlPlaneName {
  return (controlPlanes as readonly string[]).includes(value);
}

export interface ClusterCore {
  /** What every component reads and writes. */
  store: ObjectStore;
  /** The API server as components and pods reach it; its CA signs the webhook servers (caBundle). */
  api: ApiServerAccess;
  /** Where clients are sent (the kubeconfig). */
  client: ApiServerAccess;
  /** The Kubernetes version the API server reports. */
  kubernetesVersion: string;
  /** Once the flavor's components run: what still needs the kubelet (its logs and port-forward) or comes after them. */
  attach(kubelet: Kubelet): Promise<void> | void;
  close(): Promise<void>;
}

export interface CoreOptions {
  hooks: SimHooks;
  network: SimNetwork;
  timings: NodeTimings;
  /** The version the embedded API server reports (the flavor's). */
  gitVersion: string;
  port?: number;
  requestLog?: string;
  token?: string;
  log: (line: string) => void;
}

/** 27 for `v1.27.3`. */
function minorVersionOf(gitVersion: string): number {
  return Number(/^v?\d+\.(\d+)/.exec(gitVersion)?.[1] ?? 0);
}

/**
 * The kubelet's views (logs, pod endpoints for port-forward) for the API server, which starts first
 * because the controllers and the OSM control plane need its CA.
 */
class LateKubelet implements LogSource {
  target: Kubelet | undefined;
  logs(namespace: string, pod: string, container: string, opts?: { tailLines?: number; previous?: boolean }): string | undefined {
    return this.target?.logs.logs(namespace, pod, container, opts);
  }
  localEndpoint(...args: Parameters<Kubelet['localEndpoint']>): ReturnType<Kubelet['localEndpoint']> | undefined {
    return this.target?.localEndpoint(...args);
  }
}

/** Our own API server, store, controller manager and (once attached) scheduler. */
export async function startEmbeddedCore(opts: CoreOptions): Promise<ClusterCore> {
  const { hooks, timings } = opts;
  const store = createStore(undefined, {
    accessReview: hooks.api.accessReview,
    ...(hooks.api.compactionWindowMs !== undefined ? { compactionWindowMs: hooks.api.compactionWindowMs } : {}),
  });
  for (const policy of hooks.cluster.admissionPolicies) store.addAdmissionPlugin(policy);
  const lateKubelet = new LateKubelet();
  const api: ApiServer = await startApiServer({
    store, hooks: hooks.api, logs: lateKubelet,
    gitVersion: opts.gitVersion,
    serviceProxy: hooks.api.serviceProxy(createServiceProxy({ store })),
    podProxy: createPodProxy({ store }),
    // kube-apiserver 1.30+ accepts kubectl's SPDY-over-WebSocket port-forward (PortForwardWebsockets); older ones make
    // kubectl fall back to SPDY.
    podPortForward: createPodPortForward({ kubelet: lateKubelet, spdyOverWebSocket: minorVersionOf(opts.gitVersion) >= 30 }),
    ...(opts.port !== undefined ? { port: opts.port } : {}),
    ...(opts.requestLog ? { requestLogFile: opts.requestLog } : {}),
    ...(opts.token ? { token: opts.token } : {}),
  });
  opts.log(`api server listening on ${api.url}`);
  const controllers = startControllerManager(store, {
    suppressEndpoints: hooks.cluster.withholdEndpoints, caPem: api.caPem,
    namespaceDeletion: { delayMs: timings.namespaceDeletionDelayMs, requeueMs: timings.namespaceRequeueMs },
  });
  const access = { url: api.url, caPem: api.caPem, token: api.token };
  let scheduler: { stop(): void } | undefined;
  return {
    store, api: access, client: access, kubernetesVersion: opts.gitVersion,
    attach(kubelet) {
      lateKubelet.target = kubelet;
      scheduler = startScheduler({ store });
    },
    async close() {
      scheduler?.stop();
      controllers.stop();
      await api.close();
    },
  };
}
