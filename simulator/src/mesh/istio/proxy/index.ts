/**
 * The `proxyv2` image as the node runs it (registered by the Istio control plane component): `istio-iptables`
 * (istio-init, or istio-validation with CNI) runs to completion, `proxy sidecar` is the sidecar (which intercepts the
 * pod's inbound traffic), `proxy router` a gateway.
 */
import { recordDelay } from '../../../condition-log.ts';
import type { ContainerSpec, ContainerStarter } from '../../../node/container.ts';
import { imageRepository } from '../../../node/images.ts';
import type { ImageHandler } from '../../../node/images.ts';
import { proxyImage } from '../constants.ts';
import type { IstioLayout } from '../constants.ts';
import { startIstioGateway } from './gateway-proxy.ts';
import type { ProxyEnv } from './proxy-env.ts';
import { startIstioSidecar } from './sidecar-proxy.ts';

function isSidecar(container: ContainerSpec): boolean {
  const args = container.args ?? [];
  return args[0] === 'proxy' && args[1] === 'sidecar';
}

/** istio-iptables programs (or, with --run-validation, checks) the redirection and exits; without netns there is nothing to do. */
const startIptables: ContainerStarter = (ctx) => {
  const validation = (ctx.container.args ?? []).includes('--run-validation');
  recordDelay('initContainerRun', ctx.pod, ctx.timings.initContainerRunMs);
  let stop: () => Promise<void> = () => Promise.resolve();
  const exited = new Promise<number>((resolve) => {
    const timer = setTimeout(() => {
      ctx.log(validation ? 'info\tValidation passed, iptables rules established' : 'info\tIptables rules applied (REDIRECT to 15001 outbound, 15006 inbound; excluded inbound ports 15090,15021,15020)');
      resolve(0);
    }, ctx.timings.initContainerRunMs);
    stop = () => {
      clearTimeout(timer);
      resolve(137);
      return Promise.resolve();
    };
  });
  return Promise.resolve({ ready: false, exited, stop: () => stop() });
};

export function proxyImageHandler(layout: IstioLayout, env: ProxyEnv): ImageHandler {
  const repo = imageRepository(proxyImage(layout));
  return {
    kind: 'istio-proxyv2',
    matches: (r) => r === repo,
    interceptsInbound: isSidecar,
    start: (ctx) => {
      const args = ctx.container.args ?? [];
      if (args[0] === 'istio-iptables') return startIptables(ctx);
      if (args[0] === 'proxy' && args[1] === 'router') return startIstioGateway(ctx, env);
      return startIstioSidecar(ctx, env);
    },
  };
}
