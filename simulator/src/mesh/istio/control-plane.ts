/**
 * The simulated istiod of one install (a flavor's layout), as a simulator component: the sidecar injector (an
 * admission plugin), the runtime writers (the injector MutatingWebhookConfiguration, `istio-ca-root-cert` in every
 * namespace, the CA Secret, the GatewayClasses and the Gateway API deployment and status controllers) and, through
 * the node's image catalogue, the proxies' xDS/SDS view: the `proxyv2` image runs the emulated sidecar and gateway
 * with this istiod's registry, policies and CA. The istiod pods themselves (image `pilot`) only run idle, like
 * osm-controller's; their readiness (a ready endpoint of `istiod-<rev>`) gates everything istiod does.
 *
 * With `meshControlPlane: 'upstream'` (`--istiod upstream`) the real istiod does all but the proxies
 * (startWithRealIstiod below; simulator/README.md, "The real istiod").
 */
import type { ComponentContext, SimComponent, StartedComponent } from '../../component.ts';
import { ApiError } from '../../cluster/types.ts';
import { typeFor } from '../../controllers/resource-lookup.ts';
import { idleContainer } from '../../node/container.ts';
import type { ContainerStarter } from '../../node/container.ts';
import { imageRepository } from '../../node/images.ts';
import { IstioCa } from './ca.ts';
import { servedRevision } from '../../flavors/istio-install.ts';
import { relayToIstiod, startUpstreamIstiodInstall } from '../../upstream/istiod-install.ts';
import { clusterId, pilotImage } from './constants.ts';
import type { IstioLayout } from './constants.ts';
import { GatewayController } from './gateway-controller.ts';
import { createIstioInjector } from './injector.ts';
import { proxyImageHandler } from './proxy/index.ts';
import { whenIstiodReachable } from './proxy/proxy-env.ts';
import type { ProxyEnv } from './proxy/proxy-env.ts';
import { RootCertPublisher } from './root-cert-publisher.ts';
import { IstioView } from './view.ts';
import { InjectorWebhookController } from './webhook-configs.ts';

export function istioControlPlaneComponent(layout: IstioLayout): SimComponent {
  return {
    name: 'istiod',
    async start(ctx) {
      if (ctx.meshControlPlane === 'upstream') return startWithRealIstiod(ctx, layout);
      const view = new IstioView(ctx.store, layout);
      const revision = ctx.hooks.mesh.istiodServedRevision ?? layout.revision;
      const ca = await IstioCa.create({
        ...(ctx.hooks.mesh.rootCaValidityMs !== undefined ? { rootValidityMs: ctx.hooks.mesh.rootCaValidityMs } : {}),
        foreignSigner: ctx.hooks.mesh.foreignWorkloadCa,
      });
      const env = proxyEnv(view, ca, ctx, revision);
      registerImages(ctx, layout, env);

      const injector = createIstioInjector({ view, hooks: ctx.hooks.mesh, revision, servingCa: { certPem: ca.rootPem, keyPem: ca.rootKeyPem } });
      ctx.store.addAdmissionPlugin(injector);
      const caBundle = Buffer.from(ca.rootPem).toString('base64');
      const controllers = [
        new InjectorWebhookController(view, revision, caBundle).start(),
        new RootCertPublisher(view, ca.rootPem).start(),
        new GatewayController(view, revision, ctx.hooks.mesh).start(),
      ];
      // istiod's self-signed CA keeps its key in istio-ca-secret (istio.md §6), written once istiod runs.
      let wroteSecret = false;
      const unsubscribe = ctx.store.onChange((event) => {
        if (wroteSecret || event.object.kind !== 'Endpoints' || !view.istiodReachable()) return;
        wroteSecret = true;
        void ctx.store.create(typeFor(ctx.store, 'Secret'), {
          apiVersion: 'v1', kind: 'Secret', type: 'istio.io/ca-root',
          metadata: { name: 'istio-ca-secret', namespace: layout.namespace },
          data: { 'ca-cert.pem': Buffer.from(ca.rootPem).toString('base64'), 'ca-key.pem': Buffer.from(ca.rootKeyPem).toString('base64'), 'cert-chain.pem': '', 'key.pem': '', 'root-cert.pem': '' },
        }).catch((e: unknown) => {
          if (!(e instanceof ApiError)) ctx.log(`istiod: cannot write istio-ca-secret: ${String(e)}`);
        });
      });
      return {
        stop() {
          unsubscribe();
          injector.stop();
          for (const c of controllers) c.stop();
        },
      };
    },
  };
}

/** The proxies' view of istiod (their xDS and SDS, emulated in process). */
function proxyEnv(view: IstioView, ca: ProxyEnv['ca'], ctx: ComponentContext, revision: string): ProxyEnv {
  let configured: Promise<void> | undefined;
  return { view, ca, hooks: ctx.hooks, revision, configured: () => (configured ??= whenIstiodReachable(view)) };
}

/**
 * The images istiod's install runs: `pilot` and `install-cni` idle (with the real istiod, `pilot` relays to it instead:
 * `pilot`), `proxyv2` as the emulated proxies.
 */
function registerImages(ctx: ComponentContext, layout: IstioLayout, env: ProxyEnv, pilot?: ContainerStarter): void {
  const pilotRepo = imageRepository(pilotImage(layout));
  const cniRepo = imageRepository(`${layout.hub}/install-cni:${layout.tag}`);
  ctx.images.register({
    kind: 'istio-control-plane',
    matches: (repo) => repo === pilotRepo || repo === cniRepo,
    start: (c) => {
      if (pilot && imageRepository(c.container.image ?? '') === pilotRepo) return pilot(c);
      c.log(`${c.clock().toISOString()}\tinfo\tstarting ${c.container.name} ${layout.version}`);
      return Promise.resolve(idleContainer());
    },
  });
  ctx.images.register(proxyImageHandler(layout, env));
}

/**
 * The real istiod in place of ours (upstream/istiod-install.ts): injection (the rendered template through
 * kube-apiserver's webhook call), the webhook caBundle, `istio-ca-secret`, `istio-ca-root-cert` and the Gateway API
 * controller (GatewayClasses, the gateway Deployment and Service, status) are istiod's, so our injector, webhook
 * writer, root-cert publisher, CA Secret writer and Gateway controller do not run. What needs a real Envoy stays
 * ours: the proxies (`proxyv2`) with their xDS view of the cluster and their SDS certificates, signed with the key
 * istiod keeps in `istio-ca-secret`. The `pilot` pods of the flavor's istiod Deployment stand for the host process:
 * they relay its ports and are ready once it is (their ready endpoint is the proxies' first push, as before).
 */
async function startWithRealIstiod(ctx: ComponentContext, layout: IstioLayout): Promise<StartedComponent> {
  const view = new IstioView(ctx.store, layout);
  const revision = servedRevision(layout, ctx.hooks.mesh);
  const native = ctx.hooks.mesh.forceClassicSidecars ? 'false' : layout.nativeSidecarsEnv;
  const install = await startUpstreamIstiodInstall({
    store: ctx.store, api: ctx.api, namespace: layout.namespace, revision, hub: layout.hub, tag: layout.tag, cni: layout.cni,
    env: { CLUSTER_ID: clusterId, ...(native ? { ENABLE_NATIVE_SIDECARS: native } : {}) },
    // root-ca-expiring: istiod finds a root that expires soon in istio-ca-secret and uses it.
    ...(ctx.hooks.mesh.rootCaValidityMs !== undefined ? { caRoot: await IstioCa.selfSignedRoot(ctx.hooks.mesh.rootCaValidityMs) } : {}),
    log: (line) => ctx.log(line),
  });
  // SDS: certificates signed with istiod's CA once it has written it (a proxy asks only after its first push).
  const ca = install.ca.then((root) => IstioCa.fromRoot(root, { foreignSigner: ctx.hooks.mesh.foreignWorkloadCa }));
  ca.catch(() => undefined);
  const sds = { issue: (namespace: string, serviceAccount: string) => ca.then((c) => c.issue(namespace, serviceAccount)) };
  registerImages(ctx, layout, proxyEnv(view, sds, ctx, revision), (c) => relayToIstiod(c, install.istiod));
  return { ready: install.ready, stop: () => install.stop() };
}
