/**
 * The real istiod in a simulated cluster on the upstream control plane (`sim --control-plane upstream --istiod
 * upstream`, or MESH_SIM_ISTIOD=upstream): Istio's install for the flavor's layout as `istioctl manifest generate`
 * renders it (istiod.ts), applied before the flavor's own objects (bootstrap.ts leaves an object that exists as it
 * is, so the rendered CRDs, the `istio-<rev>` mesh ConfigMap and the `istio-sidecar-injector-<rev>` ConfigMap with the
 * real injection template win over the flavor's), pilot-discovery as a host process against kube-apiserver, and the
 * rendered webhook configurations pointed at it on loopback (kube-apiserver dials them through the cluster egress).
 *
 * What it leaves to the flavor: istiod's Deployment and Service (its pods run the `pilot` image idle, standing for
 * the host process, and their ready endpoint is what the emulated proxies wait for as their first xDS push), and
 * the proxies themselves (mesh/istio/proxy/). The proxies' certificates are signed with the key istiod keeps in
 * `istio-ca-secret`, so the root they present is the one istiod publishes in `istio-ca-root-cert`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeKubeconfig } from '../api/kubeconfig.ts';
import type { ObjectStore } from '../cluster/types.ts';
import { obj } from '../controllers/kube-objects.ts';
import { typeFor } from '../controllers/resource-lookup.ts';
import { createIfMissing } from '../flavors/bootstrap.ts';
import type { SigningCa } from '../mesh/certificate-authority.ts';
import type { ApiServerAccess } from '../node/container.ts';
import { pointWebhooksAt, renderIstioInstall, startUpstreamIstiod, upstreamIstioBinDir, upstreamIstiodPresent } from './istiod.ts';
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
  log: (line: string) => void;
  /** Bound on istiod's readiness, its CA Secret and its webhook patch (default 120 s each). */
  timeoutMs?: number;
}

export interface UpstreamIstiodInstall {
  /** istiod's CA, as it keeps it in `istio-ca-secret`: what the emulated SDS signs workload certificates with. */
  ca: SigningCa;
  istiod: UpstreamIstiod;
  stop(): Promise<void>;
}

/** Kinds of the rendered install that the flavor or the host process stands for. */
const notApplied = new Set(['Deployment', 'Service', 'PodDisruptionBudget', 'HorizontalPodAutoscaler', 'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']);

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

export async function startUpstreamIstiodInstall(opts: UpstreamIstiodInstallOptions): Promise<UpstreamIstiodInstall> {
  const binDir = upstreamIstioBinDir();
  if (!upstreamIstiodPresent(binDir)) throw new UpstreamIstiodMissingError(binDir);
  const { store, namespace, revision, log } = opts;
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const renderedAt = performance.now();
  const rendered = await renderIstioInstall({ binDir, namespace, revision, hub: opts.hub, tag: opts.tag, cni: opts.cni });
  log(`istioctl manifest generate: ${rendered.length} objects in ${Math.round(performance.now() - renderedAt)} ms`);
  const meshConfig = (rendered.find((o) => o.kind === 'ConfigMap' && o.metadata.name === `istio-${revision}`)?.['data'] as { mesh?: string } | undefined)?.mesh;
  if (!meshConfig) throw new Error(`istioctl rendered no mesh ConfigMap istio-${revision}`);

  await createIfMissing(store, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  const applied = [
    ...rendered.filter((o) => o.kind === 'CustomResourceDefinition'),
    ...rendered.filter((o) => o.kind !== 'CustomResourceDefinition' && !notApplied.has(o.kind)),
  ];
  for (const o of applied) await createIfMissing(store, o);

  const dir = await mkdtemp(join(tmpdir(), 'mesh-istiod-kubeconfig-'));
  const kubeconfig = join(dir, 'kubeconfig');
  writeKubeconfig(kubeconfig, { server: opts.api.url, caPem: opts.api.caPem, token: opts.api.token, context: 'istiod' });
  let istiod: UpstreamIstiod | undefined;
  const stop = async (): Promise<void> => {
    await istiod?.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    istiod = await startUpstreamIstiod({ binDir, kubeconfig, namespace, revision, meshConfig, ...(opts.env ? { env: opts.env } : {}), readyTimeoutMs: timeoutMs });
    log(`istiod (pilot-discovery) ready in ${istiod.startupMs} ms, RSS ${istiod.rssKb() ?? '?'} kB, webhooks at https://${istiod.httpsAddr}, log ${join(istiod.dir, 'istiod.log')}`);
    const started = istiod;
    for (const o of pointWebhooksAt(rendered.filter((x) => x.kind === 'MutatingWebhookConfiguration' || x.kind === 'ValidatingWebhookConfiguration'), started.httpsAddr)) {
      await createIfMissing(store, o);
    }

    // istiod writes its self-signed CA into istio-ca-secret (security/pkg/pki/ca/ca.go, NewSelfSignedIstioCAOptions).
    const secretType = typeFor(store, 'Secret');
    const ca = await whenStore(store, `istiod's CA in Secret ${namespace}/istio-ca-secret`, () => {
      const data = obj(store.get(secretType, namespace, 'istio-ca-secret')?.['data']) as Record<string, string | undefined>;
      const certPem = data['ca-cert.pem'] ? Buffer.from(data['ca-cert.pem'], 'base64').toString('utf8') : '';
      const keyPem = data['ca-key.pem'] ? Buffer.from(data['ca-key.pem'], 'base64').toString('utf8') : '';
      return certPem && keyPem ? { certPem, keyPem } : undefined;
    }, timeoutMs, () => 'no such Secret');

    // Its webhook patcher fills in the injector configuration's caBundle; until then kube-apiserver cannot call it.
    const mwcType = typeFor(store, 'MutatingWebhookConfiguration');
    const injector = rendered.find((o) => o.kind === 'MutatingWebhookConfiguration')?.metadata.name ?? '';
    const bundles = (): string[] => ((store.get(mwcType, undefined, injector)?.['webhooks'] as { clientConfig?: { caBundle?: string } }[] | undefined) ?? [])
      .map((w) => w.clientConfig?.caBundle ?? '');
    await whenStore(store, `istiod's caBundle in MutatingWebhookConfiguration ${injector}`, () => {
      const b = bundles();
      return b.length > 0 && b.every((x) => Buffer.from(x, 'base64').toString('utf8').trim() === ca.certPem.trim()) ? true : undefined;
    }, timeoutMs, () => `${bundles().filter(Boolean).length} of ${bundles().length} entries with a caBundle`);
    return { ca, istiod: started, stop };
  } catch (error) {
    const tail = istiod ? ` (istiod log: ${await istiod.lastLog(3)})` : '';
    await stop();
    throw new Error(`${error instanceof Error ? error.message : String(error)}${tail}`, { cause: error });
  }
}

