/**
 * The simulated container runtime's image catalogue: which images a node can "pull" and what runs for each.
 * Unknown images fail to pull (ErrImagePull, then ImagePullBackOff), as on a real node without registry access.
 * Extension point: register() a handler before the built-ins.
 */
import { recordDelay } from '../condition-log.ts';
import { idleContainer } from './container.ts';
import type { ContainerSpec, ContainerStarter } from './container.ts';
import { startFortioContainer } from './fortio.ts';
import { startHarnessContainer, isHarnessImage } from './harness-container.ts';
import { startGoHttpbinContainer, startHttpbinContainer } from './httpbin-container.ts';
import { startGrafanaContainer } from './grafana-container.ts';
import { startVaultContainer } from './vault-container.ts';
import { startPrometheusContainer } from './prometheus-container.ts';
import { startSidecar } from './sidecar.ts';
import { startNginxControllerContainer } from '../ingress/nginx.ts';
import { startOpaEnvoyContainer } from '../ext-authz/opa-envoy-container.ts';
import { startDaprControlPlaneContainer, startDaprd } from '../dapr/daprd.ts';

export type ImageKind = 'httpbin' | 'envoy' | 'osm-init' | 'osm-control-plane' | 'pause' | 'ingress-nginx' | 'prometheus' | 'grafana' | 'flagger' | 'dapr' | 'fortio' | 'opa-envoy' | 'vault';

export interface ImageHandler {
  /** One of ImageKind for the built-ins; extensions may use their own names. */
  kind: string;
  matches(image: string, container: ContainerSpec): boolean;
  start: ContainerStarter;
  /** Runs to completion (init-style): the kubelet waits for exit instead of leaving it running. */
  runsToCompletion?: boolean;
  /**
   * Whether this container is a mesh sidecar that intercepts the pod's inbound traffic: it then owns every app
   * containerPort on the pod IP and the apps move to private ports (what iptables redirection achieves on a node).
   */
  interceptsInbound?: (container: ContainerSpec) => boolean;
}

/** Strips the registry, tag and digest: `mcr.microsoft.com/oss/envoyproxy/envoy:v1.22@sha256:..` -> `mcr.microsoft.com/oss/envoyproxy/envoy`. */
export function imageRepository(image: string): string {
  const withoutDigest = image.split('@')[0]!;
  const lastSlash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.indexOf(':', lastSlash + 1);
  return colon >= 0 ? withoutDigest.slice(0, colon) : withoutDigest;
}

/** The images a simulated node can run. */
export class ImageRegistry {
  private readonly handlers: ImageHandler[] = [];

  /** Adds a handler that takes precedence over those registered before it. */
  register(handler: ImageHandler): this {
    this.handlers.unshift(handler);
    return this;
  }

  /** The handler for a container, or undefined when the image cannot be pulled. */
  resolve(container: ContainerSpec): ImageHandler | undefined {
    const image = container.image ?? '';
    return this.handlers.find((h) => h.matches(imageRepository(image), container));
  }
}

/** The built-in catalogue (simulator/README.md, "Container images the kubelet runs"). */
export function defaultImageRegistry(): ImageRegistry {
  const registry = new ImageRegistry();
  // Registered in increasing precedence: later entries are consulted first.
  registry.register({ kind: 'pause', matches: (repo) => repo === 'pause' || repo.endsWith('/pause'), start: () => Promise.resolve(idleContainer()) });
  registry.register({
    kind: 'osm-control-plane',
    matches: (repo) => /osm-(controller|injector|bootstrap)/.test(repo),
    start: (ctx) => {
      ctx.log(`{"level":"info","component":"${ctx.container.name}","time":"${ctx.clock().toISOString()}","message":"Starting ${ctx.container.name}"}`);
      return Promise.resolve(idleContainer());
    },
  });
  registry.register({ kind: 'prometheus', matches: (repo) => repo.includes('prometheus'), start: startPrometheusContainer });
  // Dapr's control plane (`daprio/dapr`: the operator serves its API) and its sidecar, daprd (src/dapr/daprd.ts).
  registry.register({ kind: 'dapr', matches: (repo) => /(^|\/)daprio\/dapr$/.test(repo), start: startDaprControlPlaneContainer });
  registry.register({ kind: 'dapr', matches: (repo) => /(^|\/)daprio\/daprd$/.test(repo), start: startDaprd });
  registry.register({
    kind: 'flagger',
    matches: (repo) => repo === 'fluxcd/flagger' || repo.endsWith('/fluxcd/flagger'),
    start: (ctx) => {
      ctx.log(`{"level":"info","ts":"${ctx.clock().toISOString()}","caller":"flagger/main.go","msg":"Starting flagger with args ${(ctx.container.args ?? []).join(' ')}"}`);
      return Promise.resolve(idleContainer());
    },
  });
  registry.register({ kind: 'grafana', matches: (repo) => repo === 'grafana/grafana' || repo.endsWith('/grafana/grafana'), start: startGrafanaContainer });
  registry.register({ kind: 'ingress-nginx', matches: (repo) => repo.includes('ingress-nginx/controller'), start: startNginxControllerContainer });
  registry.register({ kind: 'httpbin', matches: (repo) => repo === 'kennethreitz/httpbin' || repo.endsWith('/httpbin') || repo === 'httpbin', start: startHttpbinContainer });
  registry.register({ kind: 'httpbin', matches: (repo) => repo === 'mccutchen/go-httpbin' || repo.endsWith('/mccutchen/go-httpbin'), start: startGoHttpbinContainer });
  // OPA's Envoy build (tags `<version>-envoy`, `-envoy-static`, `-envoy-rootless`): the plain OPA image has no ext_authz server.
  registry.register({ kind: 'opa-envoy', matches: (repo, c) => /(^|\/)openpolicyagent\/opa$/.test(repo) && /:[^/@]*envoy/.test(c.image ?? ''), start: startOpaEnvoyContainer });
  registry.register({ kind: 'vault', matches: (repo) => repo === 'hashicorp/vault' || repo.endsWith('/hashicorp/vault'), start: startVaultContainer });
  registry.register({ kind: 'fortio', matches: (repo) => repo === 'fortio/fortio' || repo.endsWith('/fortio/fortio'), start: startFortioContainer });
  registry.register({ kind: 'envoy', matches: (repo) => repo.includes('envoy'), start: startSidecar, interceptsInbound: () => true });
  registry.register({ kind: 'envoy', matches: (repo) => repo.includes('envoy'), start: startSidecar });
  registry.register({ kind: 'mesh-conformance', matches: (repo) => isHarnessImage(repo), start: startHarnessContainer });
  registry.register({
    kind: 'osm-init',
    matches: (repo, container) => container.name === 'osm-init' || /\/init$/.test(repo),
    runsToCompletion: true,
    start: startOsmInit,
  });
  return registry;
}

/** osm-init programs iptables and exits; the hook `initContainerFails` makes it exit 1 like a failed iptables-restore. */
const startOsmInit: ContainerStarter = (ctx) => {
  const fails = ctx.hooks.node.initContainerFails;
  let stop: () => Promise<void> = () => Promise.resolve();
  recordDelay('initContainerRun', ctx.pod, ctx.timings.initContainerRunMs);
  const exited = new Promise<number>((resolve) => {
    const timer = setTimeout(() => {
      if (fails) ctx.log('iptables-restore v1.8.7 (legacy): iptables-restore: unable to initialize table \'nat\'\nError occurred at line: 1\nTry `iptables-restore -h\' or \'iptables-restore --help\' for more information.');
      resolve(fails ? 1 : 0);
    }, ctx.timings.initContainerRunMs);
    stop = () => {
      clearTimeout(timer);
      resolve(137);
      return Promise.resolve();
    };
  });
  return Promise.resolve({ ready: false, exited, stop: () => stop() });
};
