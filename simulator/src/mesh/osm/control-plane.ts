/**
 * The simulated OSM control plane of one mesh: the injector and validator admission plugins, the
 * webhook configurations they publish at runtime, osm-controller's IngressBackend status writer and
 * the xDS view sidecars ask for inbound decisions. Its behaviour is gated on the control-plane pods
 * (their Services' endpoints), which the flavor deploys as ordinary Deployments; osmControlPlaneComponent() is
 * how a flavor runs it.
 */
import type { ObjectStore } from '../../cluster/types.ts';
import type { SimComponent } from '../../component.ts';
import { obj, str } from '../../controllers/kube-objects.ts';
import type { MeshHooks } from '../../hooks.ts';
import { noHooks } from '../../hooks.ts';
import type { OsmLayout } from './constants.ts';
import { IngressBackendStatusController } from './ingress-backend-status.ts';
import { OsmInboundPolicy } from './inbound-policy.ts';
import { createInjectorPlugin } from './injector.ts';
import { MeshView } from './mesh-view.ts';
import { createValidatorPlugin } from './validator.ts';
import { WebhookConfigController } from './webhook-configs.ts';
import { startSidecar } from '../../node/sidecar.ts';
import type { EnvoySecret } from '../../node/envoy-secrets.ts';
import { sdsSecretNames, TresorCa } from './tresor.ts';
import { IngressGatewayCertController } from './ingress-gateway-cert.ts';

export interface OsmControlPlaneOptions {
  store: ObjectStore;
  /** Extension points (src/hooks.ts); default: none changes anything. */
  hooks?: MeshHooks;
  layout: OsmLayout;
  /** PEM put into the webhook configurations' caBundle (base64-encoded there). */
  caPem?: string;
  /** Modelled time before a decided IngressBackend status is written (timings.ts `ingressBackendStatusMs`). */
  statusDelayMs?: number;
}

export interface OsmControlPlane {
  /** What sidecars ask for each inbound connection. */
  policy: OsmInboundPolicy;
  view: MeshView;
  /** Resolves when the status and webhook controllers are idle (tests). */
  whenIdle(): Promise<void>;
  stop(): void;
}

/** Starts the OSM control plane against `store`. Call before pods are created so injection applies. */
export function startOsmControlPlane(opts: OsmControlPlaneOptions): OsmControlPlane {
  const view = new MeshView(opts.store, opts.layout);
  const hooks = opts.hooks ?? noHooks.mesh;
  const logLevel = () => str(obj(obj(view.meshConfig()?.['spec'])['sidecar'])['logLevel']) ?? 'error';
  const injector = createInjectorPlugin({ view, hooks, logLevel });
  const validator = createValidatorPlugin({ view, hooks });
  opts.store.addAdmissionPlugin(injector);
  opts.store.addAdmissionPlugin(validator);
  const webhooks = new WebhookConfigController(view, Buffer.from(opts.caPem ?? '').toString('base64')).start();
  const policy = new OsmInboundPolicy(view, hooks);
  const unfollow = policy.start();
  const status = new IngressBackendStatusController({
    view, hooks,
    ...(opts.statusDelayMs ? { statusDelayMs: opts.statusDelayMs } : {}),
  }).start();
  return {
    policy,
    view,
    async whenIdle() {
      await Promise.all([webhooks.whenIdle(), status.whenIdle()]);
    },
    stop() {
      unfollow();
      injector.stop();
      validator.stop();
      webhooks.stop();
      status.stop();
    },
  };
}

/**
 * The OSM control plane of a flavor's mesh (`layout`) as a simulator component: it offers the sidecars' inbound policy,
 * runs the envoy image with the certificates of its CA (Tresor) over SDS, and issues the ingress gateway certificate
 * MeshConfig asks for (ingress-gateway-cert.ts).
 */
export function osmControlPlaneComponent(layout: OsmLayout): SimComponent {
  return {
    name: 'osm-control-plane',
    async start(ctx) {
      const osm = startOsmControlPlane({ store: ctx.store, hooks: ctx.hooks.mesh, layout, caPem: ctx.api.caPem, statusDelayMs: ctx.timings.ingressBackendStatusMs });
      const ca = await TresorCa.start({ store: ctx.store, view: osm.view, layout, hooks: ctx.hooks.mesh, log: (line) => ctx.log(line) });
      const secrets = async (namespace: string, serviceAccount: string): Promise<EnvoySecret[]> => {
        const cert = await ca.issue(namespace, serviceAccount);
        const names = sdsSecretNames(namespace, serviceAccount);
        const lastUpdated = new Date();
        return [
          { name: names.service, kind: 'tls_certificate', pem: cert.certPem, lastUpdated, versionInfo: '1' },
          { name: names.rootInbound, kind: 'validation_context', pem: cert.rootPem, lastUpdated, versionInfo: '1' },
        ];
      };
      // An https IngressBackend's filter chain serves the proxy's service certificate and verifies clients against the root.
      const serverTls = async (namespace: string, serviceAccount: string) => {
        const cert = await ca.issue(namespace, serviceAccount);
        return { certPem: cert.certPem, keyPem: cert.keyPem, caPem: cert.rootPem };
      };
      ctx.images.register({ kind: 'envoy', matches: (repo) => repo.includes('envoy'), start: (c) => startSidecar(c, { secrets, serverTls }), interceptsInbound: () => true });
      const gatewayCert = new IngressGatewayCertController({ store: ctx.store, view: osm.view, ca, hooks: ctx.hooks.mesh, log: (line) => ctx.log(line) }).start();
      return {
        inboundPolicy: osm.policy,
        stop: () => {
          gatewayCert.stop();
          ca.stop();
          osm.stop();
        },
      };
    },
  };
}
