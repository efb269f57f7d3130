/**
 * The Azure Application Gateway of the aks flavor, modelled outside the cluster (the AGIC pod only exists): it serves
 * Ingresses annotated `kubernetes.io/ingress.class: azure/application-gateway` on its own "public" address, port 80
 * (a free port when 80 cannot be bound), and reaches pods from a loopback address that the mesh sees as the
 * gateway's private address 10.225.0.4, which the IngressBackend's IPRange 10.0.0.0/8 source admits.
 */
import type { KubeObject, ObjectStore, SimNetwork } from '../cluster/types.ts';
import type { SimComponent } from '../component.ts';
import type { IngressHooks } from '../hooks.ts';
import { noHooks } from '../hooks.ts';
import { idleContainer } from '../node/container.ts';
import { imageRepository } from '../node/images.ts';
import { nodeKinds } from '../node/kinds.ts';
import { htmlErrorPage, startIngressProxy } from './ingress-proxy.ts';
import { publishIngressStatus } from './publish-status.ts';
import { recordDelay } from '../condition-log.ts';
import { ingressClassOf } from './routing.ts';

/** The gateway's private frontend address in the AKS VNet, as the mesh sees it. */
export const appGatewayPrivateAddress = '10.225.0.4';
const appGatewayClass = 'azure/application-gateway';
const serverToken = 'Microsoft-Azure-Application-Gateway/v2';

export interface AppGateway {
  /** The "public" address clients dial, and the port really bound. */
  address: string;
  port: number;
  stop(): Promise<void>;
}

/** Starts the gateway for the aks flavor; use once per simulator instance, stop() on shutdown. */
export async function startAppGateway(opts: {
  store: ObjectStore;
  network: SimNetwork;
  hooks?: IngressHooks;
  addressDelayMs?: number;
  /** timings.ts `appGatewayProgramMs` and `appGatewayProbeIntervalMs`; 0 for both: the gateway follows the Ingresses at once. */
  programMs?: number;
  probeIntervalMs?: number;
}): Promise<AppGateway> {
  const { store, network } = opts;
  const hooks = opts.hooks ?? noHooks.ingress;
  const kinds = nodeKinds(store);
  const matches = (ingress: KubeObject): boolean => {
    const cls = ingressClassOf(ingress);
    return cls === appGatewayClass || cls === 'azure-application-gateway';
  };
  const live = (): KubeObject[] => (kinds.ingress ? store.list(kinds.ingress).items.filter((i) => matches(i) && !i.metadata.deletionTimestamp) : []);
  const programming = (opts.programMs ?? 0) > 0 || (opts.probeIntervalMs ?? 0) > 0
    ? programmedConfiguration({ store, live, programMs: opts.programMs ?? 0, probeIntervalMs: opts.probeIntervalMs ?? 0 })
    : undefined;
  const publicAddress = network.allocate('appgw:public');
  const sourceAddress = network.allocate('appgw:backend-source');
  network.mapVirtual(sourceAddress, appGatewayPrivateAddress);
  try {
    const proxy = await startIngressProxy({
      store,
      kinds,
      ingresses: programming ? programming.ingresses : live,
      listenHost: publicAddress,
      preferredPort: 80,
      sourceAddress,
      network,
      // AppGW answers 502 for every backend failure, including an empty backend pool; a host or path it has no rule for
      // goes to AGIC's default listener and its empty `defaultaddresspool`, so also 502 (never nginx's 404).
      errorPage: (status) => htmlErrorPage(status === 503 || status === 404 ? 502 : status, serverToken, { server: serverToken }),
      responseHeaders: {},
    });
    const publisher = publishIngressStatus({ store, kinds, hooks, matches, address: { ip: publicAddress, port: proxy.port }, ...(opts.addressDelayMs ? { delayMs: opts.addressDelayMs } : {}) });
    return {
      address: publicAddress,
      port: proxy.port,
      stop: async () => {
        publisher.stop();
        programming?.stop();
        await proxy.close();
        network.release(publicAddress);
        network.release(sourceAddress);
      },
    };
  } catch (err) {
    programming?.stop();
    network.release(publicAddress);
    network.release(sourceAddress);
    throw err;
  }
}

/**
 * What the gateway is programmed with, behind the Ingresses: AGIC writes an Ingress's address first, then PUTs the
 * whole gateway configuration through ARM, which takes `programMs`; a new backend is then used from the gateway's next
 * health probe (every `probeIntervalMs` from its start). Until then a request for the host falls to the default
 * listener, whose empty pool answers 502. A deleted Ingress stays programmed until the next update has gone through.
 */
function programmedConfiguration(opts: { store: ObjectStore; live: () => KubeObject[]; programMs: number; probeIntervalMs: number }): { ingresses: () => KubeObject[]; stop(): void } {
  const startedAt = Date.now();
  const programmed = new Map<string, KubeObject>();
  const timers = new Set<NodeJS.Timeout>();
  let pending: NodeJS.Timeout | undefined;
  const untilProbe = (at: number): number => (opts.probeIntervalMs > 0 ? opts.probeIntervalMs - ((at - startedAt) % opts.probeIntervalMs) : 0);
  // One ARM update at a time, of the whole configuration as it is when the update starts (AGIC batches its events).
  const update = (): void => {
    if (pending) return;
    pending = setTimeout(() => {
      pending = undefined;
      const snapshot = new Map(opts.live().map((i) => [i.metadata.uid ?? '', structuredClone(i)]));
      for (const uid of [...programmed.keys()]) if (!snapshot.has(uid)) programmed.delete(uid);
      for (const [uid, ingress] of snapshot) {
        if (programmed.get(uid)?.metadata.resourceVersion === ingress.metadata.resourceVersion) continue;
        const ms = untilProbe(Date.now());
        recordDelay('appGatewayProgram', ingress, opts.programMs + ms);
        if (ms <= 0) programmed.set(uid, ingress);
        else {
          const timer = setTimeout(() => { timers.delete(timer); programmed.set(uid, ingress); }, ms);
          timers.add(timer);
        }
      }
    }, opts.programMs);
  };
  const unsubscribe = opts.store.onChange((event) => {
    if (event.object.kind === 'Ingress') update();
  });
  update();
  return {
    ingresses: () => [...programmed.values()],
    stop: () => {
      unsubscribe();
      clearTimeout(pending);
      for (const timer of timers) clearTimeout(timer);
    },
  };
}

/**
 * The Application Gateway as a simulator component (aks). The AGIC pod in the cluster, `agicImage`, only has to
 * run: the gateway it would program is this component, so the node runs that image idle.
 */
export function appGatewayComponent(opts: { agicImage: string }): SimComponent {
  return {
    name: 'azure-application-gateway',
    async start(ctx) {
      ctx.images.register({ kind: 'agic', matches: (repo) => repo === imageRepository(opts.agicImage), start: () => Promise.resolve(idleContainer()) });
      const gateway = await startAppGateway({ store: ctx.store, network: ctx.network, hooks: ctx.hooks.ingress, addressDelayMs: ctx.timings.ingressAddressMs, programMs: ctx.timings.appGatewayProgramMs, probeIntervalMs: ctx.timings.appGatewayProbeIntervalMs });
      return { offers: { appGateway: { address: gateway.address, port: gateway.port } }, stop: () => gateway.stop() };
    },
  };
}
