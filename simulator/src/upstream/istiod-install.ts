/**
 * The real istiod in a simulated cluster on the upstream control plane (`sim --control-plane upstream --istiod
 * upstream`, or MESH_SIM_ISTIOD=upstream): Istio's install for the flavor's layout as `istioctl manifest generate`
 * renders it (istiod.ts), applied before the flavor's own objects (bootstrap.ts leaves an object that exists as it
 * is, so the rendered CRDs, the `istio-<rev>` mesh ConfigMap and the `istio-sidecar-injector-<rev>` ConfigMap with the
 * real injection template win over the flavor's), the rendered webhook configurations as they are (calling the
 * Service `istiod-<rev>`), and pilot-discovery as a host process against kube-apiserver.
 *
 * The flavor's istiod Deployment and Service stay: their `pilot` pods stand for the host process. Each relays its
 * ports (15017 webhooks, 15010 and 15012 xDS, 15014 monitoring, 8080 readiness) to istiod's ports on loopback
 * (`relayToIstiod`), so kube-apiserver calls the webhooks through the Service as in a cluster (via the cluster
 * egress to the pod's address; istiod's serving certificate names `istiod-<rev>.<ns>.svc`), and the pod is ready
 * once istiod is. istiod starts once the Gateway API CRDs exist (the flavor installs them after this component
 * starts; an istiod that starts before them creates its GatewayClasses only later), and the install is `ready` once
 * istiod has written its CA, patched the injector's caBundle and created its GatewayClass.
 *
 * The proxies' certificates (emulated SDS) are signed with the key istiod keeps in `istio-ca-secret`, so the root they
 * present is the one istiod publishes in `istio-ca-root-cert`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeKubeconfig } from '../api/kubeconfig.ts';
import type { ObjectStore } from '../cluster/types.ts';
import { obj } from '../controllers/kube-objects.ts';
import { typeFor } from '../controllers/resource-lookup.ts';
import { createIfMissing } from '../flavors/bootstrap.ts';
import type { SigningCa } from '../mesh/certificate-authority.ts';
import type { ApiServerAccess, ContainerContext, RunningContainer } from '../node/container.ts';
import { listenOn } from '../node/network.ts';
import { renderIstioInstall, startUpstreamIstiod, upstreamIstioBinDir, upstreamIstiodPresent } from './istiod.ts';
import type { UpstreamIstiod } from './istiod.ts';

/** Thrown when pilot-discovery or istioctl is not built: the CLI turns it into a one-line error. */
export class UpstreamIstiodMissingError extends Error {
  constructor(readonly binDir: string) {
    super(`the real istiod is not built (no pilot-discovery and istioctl in ${binDir}): run \`npm run upstream:build\` (needs Go >= 1.25) and try again`);
  }
}

export interface UpstreamIstiodInstallOptions {
  store: ObjectStore;
  /** kube-apiserver as components reach it (not the API front: istiod is a control-plane component). */
  api: ApiServerAccess;
  namespace: string;
  /** The revision istiod serves (its REVISION, ConfigMaps and webhook). */
  revision: string;
  hub: string;
  tag: string;
  cni: boolean;
  /** Extra env for pilot-discovery (ENABLE_NATIVE_SIDECARS where the install sets it). */
  env?: Record<string, string>;
  /**
   * A self-signed root to leave in `istio-ca-secret` before istiod starts: istiod then uses it instead of creating
   * its own, as when it restarts (security/pkg/pki/ca/ca.go loads an existing `istio-ca-secret`). The fault
   * root-ca-expiring gives one that expires soon.
   */
  caRoot?: SigningCa;
  log: (line: string) => void;
  /** Bound on each step of istiod's start (the CRDs, readiness, its CA Secret, its webhook patch, its GatewayClass; default 120 s). */
  timeoutMs?: number;
}

export interface UpstreamIstiodInstall {
  /** istiod's CA as it keeps it in `istio-ca-secret`: what the emulated SDS signs workload certificates with. */
  ca: Promise<SigningCa>;
  /** The running istiod. */
  istiod: Promise<UpstreamIstiod>;
  /** Resolves once istiod runs, has written its CA, patched the injector's caBundle and created its GatewayClass. */
  ready: Promise<void>;
  stop(): Promise<void>;
}

/** Kinds of the rendered install that the flavor or the host process stands for. */
const notApplied = new Set(['Deployment', 'Service', 'PodDisruptionBudget', 'HorizontalPodAutoscaler']);
/** The Gateway API CRD istiod's Gateway controller needs at start (the flavor's). */
const gatewayClassCrd = 'gatewayclasses.gateway.networking.k8s.io';

/** Resolves with `get()` once it returns a value (re-checked on every store change), or rejects naming what was awaited. */
function whenStore<T>(store: ObjectStore, what: string, get: () => T | undefined, timeoutMs: number, lastSeen: () => string): Promise<T> {
  return new Promise((resolve, reject) => {
    const first = get();
    if (first !== undefined) {
      resolve(first);
      return;
    }
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`${what}: not within ${timeoutMs} ms (last seen: ${lastSeen()})`));
    }, timeoutMs);
    const unsubscribe = store.onChange(() => {
      const v = get();
      if (v === undefined) return;
      clearTimeout(timer);
      unsubscribe();
      resolve(v);
    });
  });
}

/**
 * Renders and applies the install now (before the flavor's objects), and starts istiod in the background once the
 * Gateway API CRDs exist. Errors of that start reject `istiod`, `ca` and `ready`.
 */
export async function startUpstreamIstiodInstall(opts: UpstreamIstiodInstallOptions): Promise<UpstreamIstiodInstall> {
  const binDir = upstreamIstioBinDir();
  if (!upstreamIstiodPresent(binDir)) throw new UpstreamIstiodMissingError(binDir);
  const { store, namespace, revision } = opts;
  const log = (line: string): void => opts.log(line);
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const renderedAt = performance.now();
  const rendered = await renderIstioInstall({ binDir, namespace, revision, hub: opts.hub, tag: opts.tag, cni: opts.cni });
  log(`istioctl manifest generate: ${rendered.length} objects in ${Math.round(performance.now() - renderedAt)} ms`);
  const meshConfig = (rendered.find((o) => o.kind === 'ConfigMap' && o.metadata.name === `istio-${revision}`)?.['data'] as { mesh?: string } | undefined)?.mesh;
  if (!meshConfig) throw new Error(`istioctl rendered no mesh ConfigMap istio-${revision}`);
  const injector = rendered.find((o) => o.kind === 'MutatingWebhookConfiguration')?.metadata.name;
  if (!injector) throw new Error(`istioctl rendered no injector MutatingWebhookConfiguration for revision ${revision}`);

  await createIfMissing(store, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  if (opts.caRoot) {
    const b64 = (text: string): string => Buffer.from(text).toString('base64');
    await createIfMissing(store, {
      apiVersion: 'v1', kind: 'Secret', type: 'istio.io/ca-root', metadata: { name: 'istio-ca-secret', namespace },
      data: { 'ca-cert.pem': b64(opts.caRoot.certPem), 'ca-key.pem': b64(opts.caRoot.keyPem), 'cert-chain.pem': '', 'key.pem': '', 'root-cert.pem': '' },
    });
  }
  for (const o of rendered.filter((x) => x.kind === 'CustomResourceDefinition')) await createIfMissing(store, o);
  // With CNI the flavor runs its own node agent (the AKS add-on's DaemonSet): the rendered CNI component is left out.
  const applied = rendered.filter((x) => x.kind !== 'CustomResourceDefinition' && !notApplied.has(x.kind) && x.metadata.labels?.['operator.istio.io/component'] !== 'Cni');
  for (const o of applied) await createIfMissing(store, o);

  const dir = await mkdtemp(join(tmpdir(), 'mesh-istiod-kubeconfig-'));
  const kubeconfig = join(dir, 'kubeconfig');
  writeKubeconfig(kubeconfig, { server: opts.api.url, caPem: opts.api.caPem, token: opts.api.token, context: 'istiod' });
  let stopping = false;
  let running: UpstreamIstiod | undefined;

  const istiod = (async (): Promise<UpstreamIstiod> => {
    const crdType = typeFor(store, 'CustomResourceDefinition');
    await whenStore(store, `CustomResourceDefinition ${gatewayClassCrd} (istiod's Gateway controller starts with it)`, () => (store.get(crdType, undefined, gatewayClassCrd) ? true : undefined), timeoutMs, () => 'absent');
    if (stopping) throw new Error('the simulator stopped before istiod started');
    const started = await startUpstreamIstiod({ binDir, kubeconfig, namespace, revision, meshConfig, ...(opts.env ? { env: opts.env } : {}), readyTimeoutMs: timeoutMs });
    running = started;
    if (stopping) {
      await started.stop();
      throw new Error('the simulator stopped while istiod started');
    }
    log(`istiod (pilot-discovery) ready in ${started.startupMs} ms, RSS ${started.rssKb() ?? '?'} kB, webhooks at https://${started.httpsAddr}, log ${join(started.dir, 'istiod.log')}`);
    return started;
  })();

  // istiod writes its self-signed CA into istio-ca-secret (security/pkg/pki/ca/ca.go, NewSelfSignedIstioCAOptions).
  const ca = istiod.then(() => {
    const secretType = typeFor(store, 'Secret');
    return whenStore(store, `istiod's CA in Secret ${namespace}/istio-ca-secret`, () => {
      const data = obj(store.get(secretType, namespace, 'istio-ca-secret')?.['data']) as Record<string, string | undefined>;
      const certPem = data['ca-cert.pem'] ? Buffer.from(data['ca-cert.pem'], 'base64').toString('utf8') : '';
      const keyPem = data['ca-key.pem'] ? Buffer.from(data['ca-key.pem'], 'base64').toString('utf8') : '';
      return certPem && keyPem ? { certPem, keyPem } : undefined;
    }, timeoutMs, () => 'no such Secret');
  });

  const ready = (async (): Promise<void> => {
    const root = await ca;
    // Its webhook patcher fills in the injector configuration's caBundle; until then kube-apiserver cannot call it.
    const mwcType = typeFor(store, 'MutatingWebhookConfiguration');
    const bundles = (): string[] => ((store.get(mwcType, undefined, injector)?.['webhooks'] as { clientConfig?: { caBundle?: string } }[] | undefined) ?? [])
      .map((w) => w.clientConfig?.caBundle ?? '');
    await whenStore(store, `istiod's caBundle in MutatingWebhookConfiguration ${injector}`, () => {
      const b = bundles();
      return b.length > 0 && b.every((x) => Buffer.from(x, 'base64').toString('utf8').trim() === root.certPem.trim()) ? true : undefined;
    }, timeoutMs, () => `${bundles().filter(Boolean).length} of ${bundles().length} entries with a caBundle`);
    // Its Gateway controller creates GatewayClass istio (after its leader election), as `check` expects of a ready istiod.
    await whenStore(store, 'GatewayClass istio (created by istiod)', () => {
      const type = store.types.byKind('GatewayClass', 'gateway.networking.k8s.io/v1');
      return type && store.get(type, undefined, 'istio') ? true : undefined;
    }, timeoutMs, () => 'absent');
  })();
  // Observed by the component's `ready`; these keep an early failure from being reported as unhandled meanwhile.
  for (const p of [istiod, ca, ready]) p.catch(() => undefined);

  const stop = async (): Promise<void> => {
    stopping = true;
    await running?.stop();
    await rm(dir, { recursive: true, force: true });
  };
  return {
    istiod, ca, stop,
    ready: ready.catch(async (error: unknown) => {
      const tail = running ? ` (istiod log: ${await running.lastLog(3)})` : '';
      throw new Error(`the real istiod did not start: ${error instanceof Error ? error.message : String(error)}${tail}`, { cause: error });
    }),
  };
}

/** The istiod ports a `pilot` pod relays to the host process (the chart's container ports and monitoring). */
function relayedPorts(i: UpstreamIstiod): [number, string][] {
  return [[15017, i.httpsAddr], [15010, i.grpcAddr], [15012, i.secureGrpcAddr], [15014, i.monitoringAddr], [8080, i.httpAddr]];
}

function splitAddr(addr: string): { host: string; port: number } {
  const colon = addr.lastIndexOf(':');
  return { host: addr.slice(0, colon), port: Number(addr.slice(colon + 1)) };
}

/**
 * A `pilot` container standing for the host istiod: it listens on the pod's istiod ports and relays each connection
 * to istiod's port on loopback; ready once istiod is (its readiness probe, /ready on 8080, would pass then).
 */
export function relayToIstiod(ctx: ContainerContext, istiod: Promise<UpstreamIstiod>): Promise<RunningContainer> {
  const servers: net.Server[] = [];
  const sockets = new Set<net.Socket>();
  let stopped = false;
  let finish: (code: number) => void = () => undefined;
  const exited = new Promise<number>((resolve) => (finish = resolve));
  const whenReady = istiod.then(async (i) => {
    for (const [port, target] of relayedPorts(i)) {
      const server = net.createServer((client) => {
        const upstream = net.connect(splitAddr(target));
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.once('close', () => sockets.delete(s));
          s.on('error', () => undefined);
        }
        client.pipe(upstream);
        upstream.pipe(client);
        client.once('close', () => upstream.destroy());
        upstream.once('close', () => client.destroy());
      });
      servers.push(server);
      if (stopped) return;
      await listenOn(server, ctx.podIP, port);
    }
    ctx.log(`${ctx.clock().toISOString()}\tinfo\trelaying ports ${relayedPorts(i).map(([p]) => p).join(', ')} to istiod (pilot-discovery, pid ${i.pid ?? '?'})`);
  });
  // Never ready when istiod does not start (the component's `ready` reports why).
  const ready = new Promise<void>((resolve) => void whenReady.then(resolve, () => undefined));
  return Promise.resolve({
    ready: false,
    whenReady: ready,
    exited,
    stop: async () => {
      stopped = true;
      for (const s of sockets) s.destroy();
      await Promise.all(servers.filter((s) => s.listening).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
      finish(137);
    },
  });
}
