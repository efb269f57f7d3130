/**
 * The real istiod (`pilot-discovery` from istio.io/istio, built by `node scripts/upstream-build.mjs` from the pin in
 * upstream/istio/go.mod) as a host process against a real kube-apiserver, and Istio's own install manifests as
 * `istioctl manifest generate` renders them from the same module (nothing of them is kept in this repository).
 *
 * istiod runs outside the cluster, as in Istio's "external control plane" set-ups: it reads the cluster through a
 * kubeconfig, serves its ports on 127.0.0.1 (moved off the defaults, which may be taken), and is reached by
 * kube-apiserver through a webhook `clientConfig.url` (https://127.0.0.1:<port>/inject) instead of its Service.
 * ISTIOD_CUSTOM_HOST=127.0.0.1 puts that address in the serving certificate istiod issues from its own CA
 * (pilot/pkg/bootstrap/server.go getDNSNames; an IP becomes an IP SAN, security/pkg/pki/util/san.go), and istiod's
 * webhook patcher writes that CA's root into the configuration's caBundle, as it does in a cluster. Relative paths
 * istiod uses (./var/lib/istio/inject, ./etc/cacerts, ./var/run/secrets) are under its own temporary working
 * directory, so it finds no injector files there and watches the `istio-sidecar-injector-<rev>` ConfigMap instead
 * (pilot/pkg/bootstrap/sidecarinjector.go), and creates its self-signed CA in `istio-ca-secret`.
 */
import { execFile } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { freePorts } from './free-ports.ts';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../cluster/types.ts';
import { killChild, spawnTracked } from '../node/processes.ts';

const istioModuleDir = fileURLToPath(new URL('../../../upstream/istio/', import.meta.url));

/** The pinned istio.io/istio version (a pseudo-version) from upstream/istio/go.mod. */
export function upstreamIstioVersion(): string {
  const goMod = readFileSync(join(istioModuleDir, 'go.mod'), 'utf8');
  const version = /^\s*(?:require\s+)?istio\.io\/istio\s+(v\S+)/m.exec(goMod)?.[1];
  if (!version) throw new Error(`istio.io/istio is not required in ${join(istioModuleDir, 'go.mod')}`);
  return version;
}

/**
 * Where scripts/upstream-build.mjs puts pilot-discovery and istioctl (keep in step with scripts/lib/istio-build.mjs):
 * ${MESH_UPSTREAM_CACHE:-${XDG_CACHE_HOME:-~/.cache}/mesh-conformance/upstream}/istio-<version>/bin.
 */
export function upstreamIstioBinDir(env: NodeJS.ProcessEnv = process.env): string {
  const root = env.MESH_UPSTREAM_CACHE || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'mesh-conformance', 'upstream');
  return join(root, `istio-${upstreamIstioVersion()}`, 'bin');
}

/** Whether pilot-discovery and istioctl are built (tests skip otherwise). */
export function upstreamIstiodPresent(binDir = upstreamIstioBinDir()): boolean {
  return ['pilot-discovery', 'istioctl'].every((b) => existsSync(join(binDir, b)));
}

export interface IstioInstallOptions {
  binDir?: string;
  namespace: string;
  revision: string;
  hub: string;
  tag: string;
  /** values.pilot.cni.enabled: pods get istio-validation instead of istio-init. */
  cni?: boolean;
}

/**
 * Istio's install for one revision as `istioctl manifest generate` renders it (the `minimal` profile: base CRDs and
 * istiod, no gateways), parsed into objects in istioctl's order.
 */
export async function renderIstioInstall(opts: IstioInstallOptions): Promise<KubeObject[]> {
  const istioctl = join(opts.binDir ?? upstreamIstioBinDir(), 'istioctl');
  const args = [
    'manifest', 'generate', '--set', 'profile=minimal',
    '--set', `revision=${opts.revision}`,
    '--set', `values.global.istioNamespace=${opts.namespace}`,
    '--set', `values.global.hub=${opts.hub}`, '--set', `values.global.tag=${opts.tag}`,
    ...(opts.cni ? ['--set', 'components.cni.enabled=true', '--set', 'values.pilot.cni.enabled=true'] : []),
  ];
  const out = await new Promise<string>((resolve, reject) => {
    execFile(istioctl, args, { maxBuffer: 64 * 1024 * 1024, timeout: 120_000, env: { ...process.env, HOME: tmpdir() } }, (error, stdout, stderr) => {
      if (error) reject(new Error(`istioctl ${args.join(' ')} failed: ${String(stderr).trim().split('\n').pop() ?? error.message}`));
      else resolve(String(stdout));
    });
  });
  return parseAllDocuments(out).map((d) => d.toJSON() as KubeObject | null).filter((o): o is KubeObject => Boolean(o?.kind));
}

/**
 * The rendered webhook configurations pointed at an istiod on loopback: `clientConfig.url` instead of the Service
 * (kube-apiserver would dial the Service's endpoints, which the host process is not). The caBundle is left to
 * istiod's patcher, as in a cluster.
 */
export function pointWebhooksAt(objects: KubeObject[], httpsAddr: string): KubeObject[] {
  return objects.map((o) => {
    if (o.kind !== 'MutatingWebhookConfiguration' && o.kind !== 'ValidatingWebhookConfiguration') return o;
    const webhooks = ((o as { webhooks?: { clientConfig?: { service?: { path?: string } } }[] }).webhooks ?? []).map((w) => {
      const path = w.clientConfig?.service?.path ?? '/';
      return { ...w, clientConfig: { url: `https://${httpsAddr}${path}` } };
    });
    return { ...o, webhooks };
  });
}

export interface UpstreamIstiodOptions {
  binDir?: string;
  kubeconfig: string;
  namespace: string;
  revision: string;
  /** The MeshConfig YAML (the `mesh` key of the `istio-<rev>` ConfigMap). */
  meshConfig: string;
  /** Extra environment (feature flags), last so it wins. */
  env?: Record<string, string>;
  /** Bound on /ready answering 200 (default 90 s). */
  readyTimeoutMs?: number;
}

export interface UpstreamIstiod {
  /** host:port of the webhook/HTTPS server (istiod's 15017). */
  httpsAddr: string;
  /** host:port of plain xDS (15010) and of the readiness and debug server (8080). */
  grpcAddr: string;
  httpAddr: string;
  /** host:port of xDS over TLS and the CA (15012) and of the monitoring server (15014). */
  secureGrpcAddr: string;
  monitoringAddr: string;
  /** The temporary working directory (logs in istiod.log). */
  dir: string;
  pid: number | undefined;
  /** Milliseconds from spawn to /ready answering 200. */
  startupMs: number;
  /** Resident memory in kB (from /proc), when readable. */
  rssKb(): number | undefined;
  /** The last lines of istiod's log. */
  lastLog(n?: number): Promise<string>;
  stop(): Promise<void>;
}

/** Starts pilot-discovery and resolves once its /ready answers 200. */
export async function startUpstreamIstiod(opts: UpstreamIstiodOptions): Promise<UpstreamIstiod> {
  const binary = join(opts.binDir ?? upstreamIstioBinDir(), 'pilot-discovery');
  if (!existsSync(binary)) throw new Error(`${binary} not found: run node scripts/upstream-build.mjs`);
  const dir = await mkdtemp(join(tmpdir(), 'mesh-istiod-'));
  const [http, grpc, https, monitoring, secureGrpc] = await freePorts(5);
  const addr = (p: number | undefined): string => `127.0.0.1:${p}`;
  await writeFile(join(dir, 'mesh.yaml'), opts.meshConfig);
  const logFile = join(dir, 'istiod.log');
  const log = createWriteStream(logFile);
  const args = [
    'discovery', `--kubeconfig=${opts.kubeconfig}`, `--meshConfig=${join(dir, 'mesh.yaml')}`,
    `--httpAddr=${addr(http)}`, `--grpcAddr=${addr(grpc)}`, `--httpsAddr=${addr(https)}`,
    `--monitoringAddr=${addr(monitoring)}`, `--secureGRPCAddr=${addr(secureGrpc)}`, '--ctrlz_port=0',
    '--domain=cluster.local', '--log_output_level=default:info',
  ];
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir,
    POD_NAMESPACE: opts.namespace, POD_NAME: `istiod-${opts.revision}-host`, SERVICE_ACCOUNT: `istiod-${opts.revision}`,
    REVISION: opts.revision, CLUSTER_ID: 'Kubernetes', PILOT_CERT_PROVIDER: 'istiod',
    ISTIOD_CUSTOM_HOST: '127.0.0.1',
    INJECTION_WEBHOOK_CONFIG_NAME: `istio-sidecar-injector-${opts.revision}${opts.namespace === 'istio-system' ? '' : `-${opts.namespace}`}`,
    VALIDATION_WEBHOOK_CONFIG_NAME: `istio-validator-${opts.revision}-${opts.namespace}`,
    PILOT_ENABLE_ANALYSIS: 'false', PILOT_TRACE_SAMPLING: '1',
    ...opts.env,
  };
  const spawnedAt = performance.now();
  const child: ChildProcess = spawnTracked(binary, args, env, dir);
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  child.once('close', () => log.end());
  let died: string | undefined;
  child.once('exit', (code, signal) => { died = `pilot-discovery exited (${signal ?? `code ${code}`})`; });
  child.once('error', (e) => { died = `pilot-discovery could not start: ${e.message}`; });
  const lastLog = async (n = 5): Promise<string> => {
    const text = await readFile(logFile, 'utf8').catch(() => '');
    return text.split('\n').map((l) => l.trim()).filter(Boolean).slice(-n).join(' | ') || '(no output)';
  };
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await killChild(child, 5_000);
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  };
  const readyTimeoutMs = opts.readyTimeoutMs ?? 90_000;
  const deadline = Date.now() + readyTimeoutMs;
  try {
    for (;;) {
      if (died !== undefined) throw new Error(`${died} before it was ready: ${await lastLog()}`);
      if (Date.now() > deadline) throw new Error(`istiod not ready at http://${addr(http)}/ready within ${readyTimeoutMs} ms: ${await lastLog()}`);
      const status = await request(`http://${addr(http)}/ready`, { headersTimeout: 2_000, bodyTimeout: 2_000 })
        .then(async (r) => { await r.body.dump(); return r.statusCode; }, () => 0);
      if (status === 200) break;
      await new Promise((r) => setTimeout(r, 200));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    httpsAddr: addr(https), grpcAddr: addr(grpc), httpAddr: addr(http), secureGrpcAddr: addr(secureGrpc), monitoringAddr: addr(monitoring), dir, pid: child.pid,
    startupMs: Math.round(performance.now() - spawnedAt),
    rssKb() {
      if (child.pid === undefined) return undefined;
      const status = (() => {
        try {
          return readFileSync(`/proc/${child.pid}/status`, 'utf8');
        } catch {
          return '';
        }
      })();
      const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
      return kb ? Number(kb) : undefined;
    },
    lastLog,
    stop,
  };
}

