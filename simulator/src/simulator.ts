/**
 * Assembles one simulated cluster: the core (store, API server, kube-controller-manager, network, scheduler,
 * kubelets), the components its flavor declares (mesh control plane, ingress outside the cluster, monitoring; see
 * component.ts) and the flavor's objects. Use startSimulator() in-process (tests) or through main.ts (a separate
 * process). A flavor adds components by listing them; nothing here names one.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { InboundPolicySource, LogSource } from './cluster/types.ts';
import { createStore } from './cluster/store.ts';
import { startApiServer } from './api/server.ts';
import type { ApiServer } from './api/server.ts';
import { writeKubeconfig } from './api/kubeconfig.ts';
import type { ComponentContext, StartedComponent } from './component.ts';
import { startControllerManager } from './controllers/index.ts';
import type { ControllerManager } from './controllers/index.ts';
import { hooksFor } from './faults/index.ts';
import type { FaultName } from './faults/index.ts';
import { installFlavor, waitForWorkloads } from './flavors/bootstrap.ts';
import { flavorFor } from './flavors/index.ts';
import type { ClusterShape, MeshName } from './flavors/index.ts';
import { defaultKubernetesVersion } from './flavors/nodes.ts';
import { scenarioNamed, withScenario } from './scenarios/index.ts';
import type { ScenarioName } from './scenarios/index.ts';
import { createNetwork } from './node/network.ts';
import type { LoopbackNetwork } from './node/network.ts';
import { startKubelet } from './node/kubelet.ts';
import type { Kubelet } from './node/kubelet.ts';
import { startScheduler } from './node/scheduler.ts';
import type { Scheduler } from './node/scheduler.ts';
import { defaultImageRegistry } from './node/images.ts';
import { createPodPortForward, createPodProxy, createServiceProxy } from './node/api-proxy.ts';
import { quickTimings } from './node/timings.ts';
import type { NodeTimings } from './node/timings.ts';
import { closeConditionLog, openConditionLog, watchConditions } from './condition-log.ts';
import { formatReadyLine } from './ready-message.ts';
import type { ReadyMessage, ReadyOffers } from './ready-message.ts';

export interface SimulatorOptions {
  /** The mesh (default osm). */
  mesh?: MeshName;
  /** The cluster shape (default kind); with `mesh`, it selects the registered flavor (flavors/names.ts). */
  flavor?: ClusterShape;
  /** Where to write the kubeconfig; default reports/simulator/kubeconfig (relative to the cwd). */
  kubeconfig?: string;
  faults?: FaultName[];
  /** API server port; 0 (default) picks a free one. */
  port?: number;
  /** Mirror the API request log to this JSONL file. */
  requestLog?: string;
  /** The bearer token the API server accepts (default: a random one); the self-tests choose one to grep artifacts for it. */
  token?: string;
  /** Timestamp awaited conditions and modelled delays to this JSONL file (condition-log.ts). */
  conditionLog?: string;
  /** The modelled delays (node/timings.ts); default the quick preset. */
  timings?: NodeTimings;
  /** Bound on waiting for the control-plane pods (default 60 s). */
  readyTimeoutMs?: number;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
  /** A ready-made situation on top of the flavor (scenarios/). */
  scenario?: ScenarioName;
}

/** A running simulated cluster: what main.ts announces (ReadyMessage: kubeconfig, context, server, flavor, mesh, offers). */
export interface Simulator extends ReadyMessage {
  flavor: ClusterShape;
  mesh: MeshName;
  /** The exact ready line main.ts prints: `simulator ready <JSON of the ReadyMessage>`. */
  readyLine: string;
  /** Stops everything started, in reverse order (child processes included). */
  close(): Promise<void>;
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

/** 27 for `v1.27.3`. */
function minorVersionOf(gitVersion: string): number {
  return Number(/^v?\d+\.(\d+)/.exec(gitVersion)?.[1] ?? 0);
}

/** Without a mesh control plane nothing filters inbound traffic (there are no sidecars to ask either). */
const openInboundPolicy: InboundPolicySource = { inboundAllowed: () => true };

/** The inbound policy the started components offer sidecars: the mesh control plane's, at most one. */
function inboundPolicyOf(started: StartedComponent[]): InboundPolicySource {
  const offered = started.flatMap((s) => (s.inboundPolicy ? [s.inboundPolicy] : []));
  if (offered.length > 1) throw new Error(`${offered.length} components offer the sidecars' inbound policy; a flavor runs one mesh control plane`);
  return offered[0] ?? openInboundPolicy;
}

/** Starts a simulated cluster and resolves once its control-plane pods run and the kubeconfig is written. */
export async function startSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  const shape = opts.flavor ?? 'kind';
  const mesh = opts.mesh ?? 'osm';
  const scenario = opts.scenario ? scenarioNamed(opts.scenario) : undefined;
  const registered = flavorFor(mesh, shape);
  if (scenario && !scenario.flavors.includes(registered.name)) throw new Error(`scenario ${scenario.name} runs on flavor ${scenario.flavors.join(', ')}, not ${registered.name}`);
  const flavor = withScenario(registered, scenario);
  const hooks = hooksFor(opts.faults ?? [], { flavor: registered });
  const log = opts.log ?? (() => undefined);
  const kubeconfig = resolve(opts.kubeconfig ?? 'reports/simulator/kubeconfig');
  // `mesh-conformance-sim-kind` for OSM on kind, as always; `mesh-conformance-sim-istio-kind` for Istio.
  const context = `mesh-conformance-sim-${flavor.name}`;
  const timings = opts.timings ?? quickTimings;

  const cleanups: (() => Promise<void> | void)[] = [];
  const close = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (error) {
        log(`shutdown step failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  };

  try {
    const store = createStore(undefined, {
      accessReview: hooks.api.accessReview,
      ...(hooks.api.compactionWindowMs !== undefined ? { compactionWindowMs: hooks.api.compactionWindowMs } : {}),
    });
    for (const policy of hooks.cluster.admissionPolicies) store.addAdmissionPlugin(policy);
    if (opts.conditionLog) {
      openConditionLog(resolve(opts.conditionLog));
      cleanups.push(closeConditionLog);
      cleanups.push(watchConditions(store));
    }
    const lateKubelet = new LateKubelet();
    const api: ApiServer = await startApiServer({
      store, hooks: hooks.api, logs: lateKubelet,
      gitVersion: flavor.kubernetesVersion ?? defaultKubernetesVersion,
      serviceProxy: hooks.api.serviceProxy(createServiceProxy({ store })),
      podProxy: createPodProxy({ store }),
      // kube-apiserver 1.30+ accepts kubectl's SPDY-over-WebSocket port-forward (PortForwardWebsockets); older ones make
      // kubectl fall back to SPDY.
      podPortForward: createPodPortForward({ kubelet: lateKubelet, spdyOverWebSocket: minorVersionOf(flavor.kubernetesVersion ?? defaultKubernetesVersion) >= 30 }),
      ...(opts.port !== undefined ? { port: opts.port } : {}),
      ...(opts.requestLog ? { requestLogFile: resolve(opts.requestLog) } : {}),
      ...(opts.token ? { token: opts.token } : {}),
    });
    cleanups.push(() => api.close());
    log(`api server listening on ${api.url}`);

    const controllers: ControllerManager = startControllerManager(store, {
      suppressEndpoints: hooks.cluster.withholdEndpoints, caPem: api.caPem,
      namespaceDeletion: { delayMs: timings.namespaceDeletionDelayMs, requeueMs: timings.namespaceRequeueMs },
    });
    cleanups.push(() => controllers.stop());

    const network: LoopbackNetwork = await createNetwork();
    cleanups.push(() => network.close());
    mkdirSync(dirname(kubeconfig), { recursive: true });
    const apiAccess = { url: api.url, caPem: api.caPem, token: api.token };
    const images = defaultImageRegistry();

    // The flavor's components, in its order, before any pod exists (admission plugins, images, inbound policy).
    const ctx: ComponentContext = { store, network, hooks, timings, api: apiAccess, images, dir: dirname(kubeconfig), log };
    const started: StartedComponent[] = [];
    for (const component of flavor.components) {
      const running = await component.start(ctx).catch((error: unknown) => {
        throw new Error(`${component.name} failed to start: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      });
      started.push(running);
      cleanups.push(() => running.stop());
      log(`started ${component.name}`);
    }

    const scheduler: Scheduler = startScheduler({ store });
    cleanups.push(() => scheduler.stop());
    const kubelet: Kubelet = startKubelet({ store, network, hooks, policy: inboundPolicyOf(started), images, timings, apiServer: apiAccess });
    lateKubelet.target = kubelet;
    cleanups.push(() => kubelet.stop());

    await installFlavor(store, flavor, hooks);
    log(`installed the ${flavor.name} flavor; waiting for the control-plane pods`);
    await waitForWorkloads(store, flavor.awaited(hooks), opts.readyTimeoutMs ?? 60_000);
    if (scenario) {
      log(`installing scenario ${scenario.name}`);
      await scenario.install(store);
      await waitForWorkloads(store, scenario.awaited(), opts.readyTimeoutMs ?? 60_000);
    }

    writeKubeconfig(kubeconfig, { server: api.url, caPem: api.caPem, token: api.token, context });
    const offers: ReadyOffers = Object.assign({}, ...started.map((s) => s.offers ?? {})) as ReadyOffers;
    const ready = { kubeconfig, context, server: api.url, flavor: shape, mesh, ...offers };
    return { ...ready, readyLine: formatReadyLine(ready), close };
  } catch (error) {
    await close();
    throw error;
  }
}
