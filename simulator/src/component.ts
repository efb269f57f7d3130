/**
 * The contract between startSimulator and what a flavor adds to the core cluster (store, API server, controller
 * manager, network, scheduler, kubelets): a mesh control plane, an ingress data path outside the cluster, a
 * monitoring service. A flavor lists its components (Flavor.components); startSimulator starts them in that order,
 * after the core and before the kubelets and the flavor's objects (so admission plugins are in place before the
 * first pod), and stops them in reverse. Adding one: a SimComponent next to what it starts, listed by its flavor.
 */
import type { InboundPolicySource, ObjectStore, SimNetwork } from './cluster/types.ts';
import type { SimHooks } from './hooks.ts';
import type { ApiServerAccess } from './node/container.ts';
import type { ImageRegistry } from './node/images.ts';
import type { NodeTimings } from './node/timings.ts';
import type { ReadyOffers } from './ready-message.ts';

/**
 * Whose mesh control plane runs: our emulation (default) or the real one where it is built and can run (Istio's
 * istiod on the upstream Kubernetes control plane: `sim --istiod upstream`, MESH_SIM_ISTIOD=upstream).
 */
export const meshControlPlanes = ['emulated', 'upstream'] as const;
export type MeshControlPlaneName = (typeof meshControlPlanes)[number];

export function isMeshControlPlaneName(value: string): value is MeshControlPlaneName {
  return (meshControlPlanes as readonly string[]).includes(value);
}

/** What a component gets from the simulator instance it joins. */
export interface ComponentContext {
  store: ObjectStore;
  network: SimNetwork;
  /** The extension points the active faults set (src/hooks.ts). */
  hooks: SimHooks;
  timings: NodeTimings;
  /** The API server: URL, the CA that signs it (webhook caBundles), a bearer token. */
  api: ApiServerAccess;
  /** The node's image catalogue: a component registers the images its pods run before the kubelets start. */
  images: ImageRegistry;
  /** Our mesh control plane or the real one (a component without a real one only ever gets `emulated`). */
  meshControlPlane: MeshControlPlaneName;
  /** A directory for files clients need (tokens, CAs), beside the kubeconfig. */
  dir: string;
  /** Progress lines. */
  log(line: string): void;
}

/** A started component. */
export interface StartedComponent {
  /** What sidecars ask about each inbound connection (a mesh control plane's xDS); at most one component offers it. */
  inboundPolicy?: InboundPolicySource;
  /**
   * What it still has to finish once the flavor's objects exist before the cluster counts as ready (the real istiod:
   * its CA, its webhook patch, its GatewayClass); a rejection fails the start with its message.
   */
  ready?: Promise<void>;
  /** What it offers clients, merged into the ready message. */
  offers?: ReadyOffers;
  stop(): Promise<void> | void;
}

export interface SimComponent {
  /** For progress and error messages. */
  name: string;
  start(ctx: ComponentContext): Promise<StartedComponent>;
}
