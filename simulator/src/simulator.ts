/**
 * Assembles one simulated cluster: the core (cluster-core.ts: the API server and what acts on it, ours or the
 * upstream one), the network and kubelets, the components its flavor declares (mesh control plane, ingress outside
 * the cluster, monitoring; see component.ts) and the flavor's objects. Use startSimulator() in-process (tests) or
 * through main.ts (a separate process). A flavor adds components by listing them; nothing here names one, and they
 * run unchanged on either core.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { InboundPolicySource } from './cluster/types.ts';
import { writeKubeconfig } from './api/kubeconfig.ts';
import { startEmbeddedCore } from './cluster-core.ts';
import type { ClusterCore, ControlPlaneName } from './cluster-core.ts';
import type { ComponentContext, MeshControlPlaneName, StartedComponent } from './component.ts';
import { faultsActingOnEmulatedMeshControlPlane, hooksFor } from './faults/index.ts';
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
import { defaultImageRegistry } from './node/images.ts';
import { quickTimings } from './node/timings.ts';
import type { NodeTimings } from './node/timings.ts';
import { closeConditionLog, openConditionLog, watchConditions } from './condition-log.ts';
import { formatReadyLine } from './ready-message.ts';
import type { ReadyMessage, ReadyOffers } from './ready-message.ts';
import { startUpstreamCore } from './upstream/upstream-core.ts';

export interface SimulatorOptions {
  /** The mesh (default osm). */
  mesh?: MeshName;
  /** The cluster shape (default kind); with `mesh`, it selects the registered flavor (flavors/names.ts). */
  flavor?: ClusterShape;
  /** Our API server (default) or the upstream Kubernetes control plane (cluster-core.ts). */
  controlPlane?: ControlPlaneName;
  /** Our mesh control plane (default) or the real one, where the flavor has one and the control plane is upstream (component.ts). */
  meshControlPlane?: MeshControlPlaneName;
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
  controlPlane: ControlPlaneName;
  meshControlPlane: MeshControlPlaneName;
  /** The exact ready line main.ts prints: `simulator ready <JSON of the ReadyMessage>`. */
  readyLine: string;
  /** Stops everything started, in reverse order (child processes included). */
  close(): Promise<void>;
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
  const meshControlPlane = opts.meshControlPlane ?? 'emulated';
  if (meshControlPlane === 'upstream') {
    if (!registered.realMeshControlPlane) throw new Error(`flavor ${registered.name} has no real mesh control plane to run; use the emulated one`);
    if (opts.controlPlane !== 'upstream') throw new Error('the real mesh control plane runs on the upstream Kubernetes control plane only: add --control-plane upstream');
    const refused = faultsActingOnEmulatedMeshControlPlane(opts.faults ?? []);
    if (refused.length > 0) throw new Error(`fault ${refused.join(', ')} acts on the emulated mesh control plane and cannot apply with the real one`);
  }
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
    const controlPlane = opts.controlPlane ?? 'embedded';
    // Pods have loopback addresses; on the upstream control plane, cluster addresses standing for them (network.ts).
    const network: LoopbackNetwork = await createNetwork({ podAddresses: controlPlane === 'upstream' ? 'cluster' : 'loopback' });
    cleanups.push(() => network.close());
    const coreOptions = {
      hooks, network, timings, log,
      gitVersion: flavor.kubernetesVersion ?? defaultKubernetesVersion,
      ...(opts.port !== undefined ? { port: opts.port } : {}),
      ...(opts.requestLog ? { requestLog: resolve(opts.requestLog) } : {}),
      ...(opts.token ? { token: opts.token } : {}),
    };
    const core: ClusterCore = controlPlane === 'upstream' ? await startUpstreamCore(coreOptions) : await startEmbeddedCore(coreOptions);
    cleanups.push(() => core.close());
    const { store } = core;
    if (opts.conditionLog) {
      openConditionLog(resolve(opts.conditionLog));
      cleanups.push(closeConditionLog);
      cleanups.push(watchConditions(store));
    }
    mkdirSync(dirname(kubeconfig), { recursive: true });
    const apiAccess = core.api;
    const images = defaultImageRegistry();

    // The flavor's components, in its order, before any pod exists (admission plugins, images, inbound policy).
    const ctx: ComponentContext = { store, network, hooks, timings, api: apiAccess, images, meshControlPlane, dir: dirname(kubeconfig), log };
    const started: StartedComponent[] = [];
    for (const component of flavor.components) {
      const running = await component.start(ctx).catch((error: unknown) => {
        throw new Error(`${component.name} failed to start: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      });
      started.push(running);
      cleanups.push(() => running.stop());
      log(`started ${component.name}`);
    }

    const kubelet: Kubelet = startKubelet({ store, network, hooks, policy: inboundPolicyOf(started), images, timings, apiServer: apiAccess, log });
    cleanups.push(() => kubelet.stop());
    await core.attach(kubelet);

    await installFlavor(store, flavor, hooks);
    log(`installed the ${flavor.name} flavor; waiting for the control-plane pods`);
    // The components' own start-up (a rejection fails at once, with its reason).
    await Promise.all([waitForWorkloads(store, flavor.awaited(hooks), opts.readyTimeoutMs ?? 60_000), ...started.flatMap((s) => (s.ready ? [s.ready] : []))]);
    if (scenario) {
      log(`installing scenario ${scenario.name}`);
      await scenario.install(store);
      await waitForWorkloads(store, scenario.awaited(), opts.readyTimeoutMs ?? 60_000);
    }

    writeKubeconfig(kubeconfig, { server: core.client.url, caPem: core.client.caPem, token: core.client.token, context });
    const offers: ReadyOffers = Object.assign({}, ...started.map((s) => s.offers ?? {})) as ReadyOffers;
    const ready = { kubeconfig, context, server: core.client.url, flavor: shape, mesh, ...(controlPlane === 'upstream' ? { controlPlane } : {}), ...(meshControlPlane === 'upstream' ? { meshControlPlane } : {}), ...offers };
    return { ...ready, controlPlane, meshControlPlane, readyLine: formatReadyLine(ready), close };
  } catch (error) {
    await close();
    throw error;
  }
}
