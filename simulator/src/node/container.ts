/**
 * The contract between the kubelet and a container implementation: what a container gets when it starts and
 * what it hands back. Implementations live in images.ts (by image), httpbin.ts, sidecar.ts and ingress/.
 */
import type net from 'node:net';
import type { InboundPolicySource, KubeObject, ObjectStore, SimNetwork } from '../cluster/types.ts';
import type { SimHooks } from '../hooks.ts';
import type { NodeTimings } from './timings.ts';

/** A container port as the pod declares it, and where the process really listens (see kubelet port layout). */
export interface PortPlan {
  containerName: string;
  name?: string;
  containerPort: number;
  hostPort?: number;
  /** Where the app binds: the containerPort, or a private port when a sidecar owns the containerPort. */
  listenPort: number;
}

export interface ContainerContext {
  pod: KubeObject;
  container: ContainerSpec;
  podIP: string;
  hostIP: string;
  nodeName: string;
  /** Every TCP port of the pod's app containers, with where each really listens. */
  ports: PortPlan[];
  store: ObjectStore;
  network: SimNetwork;
  /** Extension points (src/hooks.ts): what the node and the containers consult. */
  hooks: SimHooks;
  policy: InboundPolicySource;
  timings: NodeTimings;
  clock: () => Date;
  /** Appends to this container's log (`kubectl logs`). */
  log(line: string): void;
  /**
   * Binds `server` to `127.0.0.1:port` of the pod's network namespace: reachable from inside the pod only (the
   * kubelet's port-forward lands there), not from other pods. Without network namespaces it listens on a private
   * port of the pod IP that only the pod's local endpoints know. Absent in unit tests that build a context by hand.
   */
  listenLocal?: (server: net.Server, port: number) => Promise<void>;
  /**
   * How a pod reaches the cluster's API server (the in-cluster `kubernetes` Service and the mounted service-account
   * token, in a real pod): for clients such as Prometheus's Kubernetes service discovery. Absent in unit tests.
   */
  apiServer?: ApiServerAccess;
}

/** The API server as a pod sees it: its URL, the CA that signs its certificate and a bearer token. */
export interface ApiServerAccess {
  url: string;
  caPem: string;
  token: string;
}

/** A started container. */
export interface RunningContainer {
  /**
   * Whether the kubelet reports it ready once started (probes are not run: the container says when it would pass).
   * With `whenReady`, it starts unready and becomes ready when that resolves.
   */
  ready: boolean;
  /**
   * Resolves when the container's readiness (and startup) probe would first pass, for a container whose readiness
   * depends on something outside it (an Istio proxy waits for its first xDS config); never resolves if it never would.
   */
  whenReady?: Promise<void>;
  /** Resolves with the exit code when the process ends on its own (never resolves for servers until stop()). */
  exited: Promise<number>;
  /** Stops the process and releases its sockets; resolves when they are closed. */
  stop(): Promise<void>;
}

/** Starts a container. Resolves once the process is serving (or rejects when it could not start). */
export type ContainerStarter = (ctx: ContainerContext) => Promise<RunningContainer>;

export interface ContainerSpec {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  ports?: { name?: string; containerPort: number; hostPort?: number; protocol?: string }[];
  [field: string]: unknown;
}

/** A running container that does nothing until stopped (pause, control-plane images). */
/**
 * A container whose process is emulated in this Node process (the sidecar, the built-in httpbin, the
 * ingress controller): `shutdown` releases its sockets and timers, then the container exits with 0.
 */
export function inProcessContainer(shutdown: () => Promise<void>, ready = true): RunningContainer {
  let finish: (code: number) => void = () => {};
  const exited = new Promise<number>((resolve) => (finish = resolve));
  return {
    ready,
    exited,
    stop: async () => {
      await shutdown();
      finish(0);
    },
  };
}

/** A container that only has to run (pause, control-plane images): stopping it is a kill (137). */
export function idleContainer(ready = true): RunningContainer {
  let finish: (code: number) => void = () => {};
  const exited = new Promise<number>((resolve) => (finish = resolve));
  return {
    ready,
    exited,
    stop: () => {
      finish(137);
      return Promise.resolve();
    },
  };
}
