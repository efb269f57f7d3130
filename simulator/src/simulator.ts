/**
 * Assembles one simulated cluster: store, API server, kube-controller-manager, OSM control plane,
 * scheduler, kubelets and network, the flavor's objects (and, on aks, the Application Gateway outside
 * the cluster). Use startSimulator() in-process (tests) or through main.ts (a separate process).
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { LogSource } from './cluster/types.ts';
import { createStore } from './cluster/store.ts';
import { startApiServer } from './api/server.ts';
import type { ApiServer } from './api/server.ts';
import { writeKubeconfig } from './api/kubeconfig.ts';
import { startControllerManager } from './controllers/index.ts';
import type { ControllerManager } from './controllers/index.ts';
import { hooksFor } from './faults/index.ts';
import type { FaultName } from './faults/index.ts';
import { installFlavor, waitForWorkloads } from './flavors/bootstrap.ts';
import { flavors } from './flavors/index.ts';
import type { FlavorName } from './flavors/index.ts';
import { agicImage } from './flavors/aks.ts';
import { startOsmControlPlane } from './mesh/osm/control-plane.ts';
import type { OsmControlPlane } from './mesh/osm/control-plane.ts';
import { createNetwork } from './node/network.ts';
import type { LoopbackNetwork } from './node/network.ts';
import { startKubelet } from './node/kubelet.ts';
import type { Kubelet } from './node/kubelet.ts';
import { startScheduler } from './node/scheduler.ts';
import type { Scheduler } from './node/scheduler.ts';
import { defaultImageRegistry, imageRepository } from './node/images.ts';
import { idleContainer } from './node/container.ts';
import { createPodPortForward, createPodProxy, createServiceProxy } from './node/api-proxy.ts';
import { startAppGateway } from './ingress/app-gateway.ts';
import { startAzureMonitor } from './azure/azure-monitor.ts';
import type { AzureMonitor } from './azure/azure-monitor.ts';
import { aksClusterResourceId } from './flavors/aks.ts';
import { quickTimings } from './node/timings.ts';
import type { NodeTimings } from './node/timings.ts';
import { closeConditionLog, openConditionLog, watchConditions } from './condition-log.ts';
import type { AppGateway } from './ingress/app-gateway.ts';

export interface SimulatorOptions {
  flavor?: FlavorName;
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
}

export interface Simulator {
  flavor: FlavorName;
  /** Absolute path of the kubeconfig written. */
  kubeconfig: string;
  context: string;
  server: string;
  /** The aks flavor's Application Gateway address (`http://<address>:<port>`), if any. */
  appGateway?: { address: string; port: number };
  /** The aks flavor's Azure Monitor: Log Analytics query endpoint, workspace, bearer-token and CA files. */
  azureMonitor?: { endpoint: string; workspaceId: string; tokenFile: string; caFile: string };
  /** The exact ready line main.ts prints. */
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

/** Starts a simulated cluster and resolves once its control-plane pods run and the kubeconfig is written. */
export async function startSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  const flavorName = opts.flavor ?? 'kind';
  const flavor = flavors[flavorName];
  const hooks = hooksFor(opts.faults ?? [], { flavor });
  const log = opts.log ?? (() => undefined);
  const kubeconfig = resolve(opts.kubeconfig ?? 'reports/simulator/kubeconfig');
  const context = `mesh-conformance-sim-${flavorName}`;
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
    const store = createStore(undefined, { accessReview: hooks.api.accessReview });
    if (opts.conditionLog) {
      openConditionLog(resolve(opts.conditionLog));
      cleanups.push(closeConditionLog);
      cleanups.push(watchConditions(store));
    }
    const lateKubelet = new LateKubelet();
    const api: ApiServer = await startApiServer({
      store, hooks: hooks.api, logs: lateKubelet,
      serviceProxy: hooks.api.serviceProxy(createServiceProxy({ store })),
      podProxy: createPodProxy({ store }),
      podPortForward: createPodPortForward({ kubelet: lateKubelet }),
      ...(opts.port !== undefined ? { port: opts.port } : {}),
      ...(opts.requestLog ? { requestLogFile: resolve(opts.requestLog) } : {}),
      ...(opts.token ? { token: opts.token } : {}),
    });
    cleanups.push(() => api.close());
    log(`api server listening on ${api.url}`);

    const controllers: ControllerManager = startControllerManager(store, { suppressEndpoints: hooks.cluster.withholdEndpoints, caPem: api.caPem });
    cleanups.push(() => controllers.stop());

    const osm: OsmControlPlane = startOsmControlPlane({ store, hooks: hooks.mesh, layout: flavor.layout, caPem: api.caPem, statusDelayMs: timings.ingressBackendStatusMs });
    cleanups.push(() => osm.stop());

    const network: LoopbackNetwork = await createNetwork();
    cleanups.push(() => network.close());
    const scheduler: Scheduler = startScheduler({ store });
    cleanups.push(() => scheduler.stop());
    const images = defaultImageRegistry();
    // The AGIC pod only has to run: the Application Gateway it would program is emulated outside the cluster.
    images.register({ kind: 'agic', matches: (repo) => repo === imageRepository(agicImage), start: () => Promise.resolve(idleContainer()) });
    mkdirSync(dirname(kubeconfig), { recursive: true });
    const kubelet: Kubelet = startKubelet({ store, network, hooks, policy: osm.policy, images, timings, apiServer: { url: api.url, caPem: api.caPem, token: api.token } });
    lateKubelet.target = kubelet;
    cleanups.push(() => kubelet.stop());

    await installFlavor(store, flavor, hooks);
    let appGateway: AppGateway | undefined;
    let azureMonitor: AzureMonitor | undefined;
    if (flavorName === 'aks') {
      appGateway = await startAppGateway({ store, network, hooks: hooks.ingress, addressDelayMs: timings.ingressAddressMs });
      cleanups.push(() => appGateway?.stop());
      azureMonitor = await startAzureMonitor({ store, timings, dir: dirname(kubeconfig), clusterResourceId: aksClusterResourceId, log });
      cleanups.push(() => azureMonitor?.stop());
    }
    log(`installed the ${flavorName} flavor; waiting for the control-plane pods`);
    await waitForWorkloads(store, flavor.awaited(hooks), opts.readyTimeoutMs ?? 60_000);

    writeKubeconfig(kubeconfig, { server: api.url, caPem: api.caPem, token: api.token, context });
    return {
      flavor: flavorName,
      kubeconfig,
      context,
      server: api.url,
      ...(appGateway ? { appGateway: { address: appGateway.address, port: appGateway.port } } : {}),
      ...(azureMonitor ? { azureMonitor: { endpoint: azureMonitor.endpoint, workspaceId: azureMonitor.workspaceId, tokenFile: azureMonitor.tokenFile, caFile: azureMonitor.caFile } } : {}),
      readyLine: `simulator ready kubeconfig=${kubeconfig} context=${context} server=${api.url} flavor=${flavorName}`
        + (azureMonitor ? ` log-analytics=${azureMonitor.endpoint} workspace=${azureMonitor.workspaceId} azure-token-file=${azureMonitor.tokenFile} azure-ca-file=${azureMonitor.caFile}` : ''),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
