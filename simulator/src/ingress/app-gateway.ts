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
export async function startAppGateway(opts: { store: ObjectStore; network: SimNetwork; hooks?: IngressHooks; addressDelayMs?: number }): Promise<AppGateway> {
  const { store, network } = opts;
  const hooks = opts.hooks ?? noHooks.ingress;
  const kinds = nodeKinds(store);
  const matches = (ingress: KubeObject): boolean => {
    const cls = ingressClassOf(ingress);
    return cls === appGatewayClass || cls === 'azure-application-gateway';
  };
  const publicAddress = network.allocate('appgw:public');
  const sourceAddress = network.allocate('appgw:backend-source');
  network.mapVirtual(sourceAddress, appGatewayPrivateAddress);
  try {
    const proxy = await startIngressProxy({
      store,
      kinds,
      ingresses: () => (kinds.ingress ? store.list(kinds.ingress).items.filter((i) => matches(i) && !i.metadata.deletionTimestamp) : []),
      listenHost: publicAddress,
      preferredPort: 80,
      sourceAddress,
      network,
      // AppGW answers 502 for every backend failure, including an empty backend pool.
      errorPage: (status) => htmlErrorPage(status === 503 ? 502 : status, serverToken, { server: serverToken }),
      responseHeaders: {},
    });
    const publisher = publishIngressStatus({ store, kinds, hooks, matches, address: { ip: publicAddress, port: proxy.port }, ...(opts.addressDelayMs ? { delayMs: opts.addressDelayMs } : {}) });
    return {
      address: publicAddress,
      port: proxy.port,
      stop: async () => {
        publisher.stop();
        await proxy.close();
        network.release(publicAddress);
        network.release(sourceAddress);
      },
    };
  } catch (err) {
    network.release(publicAddress);
    network.release(sourceAddress);
    throw err;
  }
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
      const gateway = await startAppGateway({ store: ctx.store, network: ctx.network, hooks: ctx.hooks.ingress, addressDelayMs: ctx.timings.ingressAddressMs });
      return { offers: { appGateway: { address: gateway.address, port: gateway.port } }, stop: () => gateway.stop() };
    },
  };
}
