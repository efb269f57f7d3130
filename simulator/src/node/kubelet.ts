/**
 * The kubelets of every simulated node, in one object: node status (an address from the pod network, Ready), and
 * one PodWorker per pod bound to a node, from binding to deletion. Containers are run by image (images.ts).
 */
import type { InboundPolicySource, KubeObject, LogSource, ObjectStore, SimNetwork, StoreEvent } from '../cluster/types.ts';
import type { SimHooks } from '../hooks.ts';
import { noHooks } from '../hooks.ts';
import { ContainerLogs } from './container-logs.ts';
import type { ApiServerAccess } from './container.ts';
import { EventRecorder } from '../cluster/event-recorder.ts';
import { defaultImageRegistry } from './images.ts';
import type { ImageRegistry } from './images.ts';
import { field, isType, keyOf, nodeKinds } from './kinds.ts';
import type { NodeKinds } from './kinds.ts';
import { PodWorker } from './pod-worker.ts';
import { quickTimings } from './timings.ts';
import type { NodeTimings } from './timings.ts';

export interface KubeletOptions {
  store: ObjectStore;
  network: SimNetwork;
  /** Extension points (src/hooks.ts) the pod workers and containers consult; default: none changes anything. */
  hooks?: SimHooks;
  policy: InboundPolicySource;
  clock?: () => Date;
  /** Modelled delays; defaults to quickTimings. */
  timings?: NodeTimings;
  /** The image catalogue; defaults to defaultImageRegistry() (register extra handlers on it before passing it). */
  images?: ImageRegistry;
  /** The API server as pods reach it (the in-cluster config a real pod gets). */
  apiServer?: ApiServerAccess;
  /** The kubelet's own log (a real kubelet's journal): status writes the API server refused. */
  log?: (line: string) => void;
}

export interface Kubelet {
  logs: LogSource;
  /** The loopback address of a node (its InternalIP), once the kubelet has seen the node. */
  nodeAddress(nodeName: string): string | undefined;
  /** Where port-forwarding to a pod's port connects (the app's own listener, not the sidecar), or undefined when the pod is not running here. */
  localEndpoint(namespace: string, pod: string, port: number): { host: string; port: number } | undefined;
  /** Stops every container of every pod (pods stay in the store) and stops watching. */
  stop(): Promise<void>;
}

/**
 * Starts the kubelets for all Nodes in the store (present and future). Use once per simulator instance,
 * after the store and network exist; pods are bound to nodes by the scheduler (scheduler.ts).
 */
export function startKubelet(opts: KubeletOptions): Kubelet {
  const { store, network, policy } = opts;
  const hooks = opts.hooks ?? noHooks;
  const clock = opts.clock ?? (() => new Date());
  const timings = opts.timings ?? quickTimings;
  const images = opts.images ?? defaultImageRegistry();
  const kinds: NodeKinds = nodeKinds(store);
  const logs = new ContainerLogs();
  const nodeAddresses = new Map<string, string>();
  const imageCaches = new Map<string, Set<string>>();
  const recorders = new Map<string, EventRecorder>();
  const workers = new Map<string, PodWorker>(); // ns/name -> worker
  const stopping = new Set<Promise<void>>();
  let stopped = false;

  const recorderFor = (nodeName: string): EventRecorder => {
    let recorder = recorders.get(nodeName);
    if (!recorder) {
      recorder = new EventRecorder(store, { component: 'kubelet', host: nodeName }, clock);
      recorders.set(nodeName, recorder);
    }
    return recorder;
  };

  const ensureNode = (node: KubeObject): void => {
    const name = node.metadata.name!;
    let address = nodeAddresses.get(name);
    if (!address) {
      address = network.allocate(`node:${name}`);
      nodeAddresses.set(name, address);
    }
    if (nodeStatusCurrent(node, address)) return;
    void store.mutate(kinds.node, undefined, name, (obj) => writeNodeStatus(obj, address, clock()), { subresource: 'status' }).catch(() => undefined);
  };

  const syncPod = (pod: KubeObject): void => {
    const key = keyOf(pod);
    const nodeName = field<string>(field(pod, 'spec'), 'nodeName');
    const existing = workers.get(key);
    if (existing && existing.uid !== pod.metadata.uid) {
      // Same name, new pod (a StatefulSet-style replacement): the old one is gone.
      terminate(key, false);
    }
    if (pod.metadata.deletionTimestamp) {
      if (workers.has(key)) terminate(key, true);
      else if (nodeName && nodeAddresses.has(nodeName)) void forceDelete(pod);
      return;
    }
    if (!nodeName || workers.has(key)) return;
    if (isTerminal(pod)) return;
    let hostIP = nodeAddresses.get(nodeName);
    if (!hostIP) {
      const node = store.get(kinds.node, undefined, nodeName);
      if (!node) return; // Bound to a node that does not exist: the pod stays Pending, as with a real lost node.
      ensureNode(node);
      hostIP = nodeAddresses.get(nodeName)!;
    }
    let imageCache = imageCaches.get(nodeName);
    if (!imageCache) {
      imageCache = new Set();
      imageCaches.set(nodeName, imageCache);
    }
    const worker = new PodWorker(pod, { store, kinds, network, hooks, policy, timings, images, logs, events: recorderFor(nodeName), clock, nodeName, hostIP, imageCache, ...(opts.log ? { log: opts.log } : {}), ...(opts.apiServer ? { apiServer: opts.apiServer } : {}) });
    workers.set(key, worker);
    worker.start();
  };

  const forceDelete = async (pod: KubeObject): Promise<void> => {
    const opts = { propagationPolicy: 'Background', gracePeriodSeconds: 0 };
    await store.delete(kinds.pod, pod.metadata.namespace, pod.metadata.name!, opts).catch(() => undefined);
  };

  const terminate = (key: string, removeObject: boolean): void => {
    const worker = workers.get(key);
    if (!worker) return;
    workers.delete(key);
    const done = worker.stop(removeObject).finally(() => stopping.delete(done));
    stopping.add(done);
  };

  const onChange = (event: StoreEvent): void => {
    if (stopped) return;
    if (isType(kinds.node, event.resource)) {
      if (event.type === 'DELETED') return;
      ensureNode(event.object);
      return;
    }
    if (!isType(kinds.pod, event.resource)) return;
    if (event.type === 'DELETED') {
      terminate(keyOf(event.object), false);
      return;
    }
    syncPod(event.object);
  };

  const unsubscribe = store.onChange(onChange);
  for (const node of store.list(kinds.node).items) ensureNode(node);
  for (const pod of store.list(kinds.pod).items) syncPod(pod);

  return {
    logs,
    nodeAddress: (nodeName) => nodeAddresses.get(nodeName),
    localEndpoint: (namespace, pod, port) => workers.get(`${namespace}/${pod}`)?.localEndpoint(port),
    stop: async () => {
      stopped = true;
      unsubscribe();
      for (const key of [...workers.keys()]) terminate(key, false);
      await Promise.allSettled([...stopping]);
      for (const address of nodeAddresses.values()) network.release(address);
    },
  };
}

function isTerminal(pod: KubeObject): boolean {
  const phase = field<string>(field(pod, 'status'), 'phase');
  return phase === 'Succeeded' || phase === 'Failed';
}

type NodeCondition = { type: string; status: string; reason?: string; message?: string; lastHeartbeatTime?: string; lastTransitionTime?: string };

function nodeStatusCurrent(node: KubeObject, address: string): boolean {
  const status = field<{ addresses?: { type: string; address: string }[]; conditions?: NodeCondition[] }>(node, 'status');
  const internal = status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
  const ready = status?.conditions?.find((c) => c.type === 'Ready');
  return internal === address && !!ready;
}

/**
 * What a kubelet posts about its node: its InternalIP is the node's loopback address (so hostPorts can be bound on
 * it), Ready=True unless something else already reported readiness, and defaults for the fields a flavor left out.
 */
function writeNodeStatus(node: KubeObject, address: string, now: Date): void {
  const ts = now.toISOString().replace(/\.\d+Z$/, 'Z');
  const status = ((node.status as Record<string, unknown> | undefined) ?? {});
  const hostname = node.metadata.name!;
  status.addresses = [{ type: 'InternalIP', address }, { type: 'Hostname', address: hostname }];
  const conditions = ((status.conditions as NodeCondition[] | undefined) ?? []).slice();
  const pressure = (type: string, reason: string, message: string): NodeCondition => ({ type, status: 'False', reason, message, lastHeartbeatTime: ts, lastTransitionTime: ts });
  const ensure = (c: NodeCondition): void => {
    if (!conditions.some((x) => x.type === c.type)) conditions.push(c);
  };
  ensure(pressure('MemoryPressure', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'));
  ensure(pressure('DiskPressure', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'));
  ensure(pressure('PIDPressure', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'));
  ensure({ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: ts, lastTransitionTime: ts });
  status.conditions = conditions;
  status.capacity ??= { cpu: '2', 'ephemeral-storage': '102400Mi', memory: '8148888Ki', pods: '110' };
  status.allocatable ??= { cpu: '2', 'ephemeral-storage': '102400Mi', memory: '8148888Ki', pods: '110' };
  const labels = node.metadata.labels ?? {};
  status.nodeInfo ??= {
    architecture: labels['kubernetes.io/arch'] ?? 'amd64',
    operatingSystem: labels['kubernetes.io/os'] ?? 'linux',
    osImage: 'Debian GNU/Linux 12 (bookworm)',
    kernelVersion: '6.1.0-simulated',
    containerRuntimeVersion: 'containerd://1.7.1',
    kubeletVersion: 'v1.27.3',
    kubeProxyVersion: 'v1.27.3',
    machineID: '',
    systemUUID: '',
    bootID: '',
  };
  status.daemonEndpoints ??= { kubeletEndpoint: { Port: 10250 } };
  node.status = status;
}
