/**
 * A real Kubernetes control plane on loopback: etcd, kube-apiserver, kube-controller-manager and kube-scheduler,
 * built from the Go module proxy by `node scripts/upstream-build.mjs` (pins in upstream/go.mod). Everything lives
 * in one temporary directory (PKI, tokens, kubeconfigs, etcd data, logs) removed by stop(); every process is
 * tied to ours (PR_SET_PDEATHSIG via setpriv, and processes.ts kills tracked children on exit).
 *
 * Authentication is a static token file (--token-auth-file): an admin token in system:masters for clients and
 * one token each for the controller manager and the scheduler, whose RBAC bootstrap roles key on their user names
 * (see serviceAccountCredentials for the controller manager's). The API server listens on 127.0.0.1 only.
 * The one CA also verifies client certificates (--client-ca-file) and the front proxy's (--requestheader-*), and
 * signs CSRs in the controller manager, so later phases can add kubelets with client certificates.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { access, constants, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { freePorts } from './free-ports.ts';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { createCA, signLeaf } from './pki.ts';
import type { KeyPair } from './pki.ts';
import { renderKubeconfig, writeKubeconfig } from '../api/kubeconfig.ts';
import { killChild, spawnTracked } from '../node/processes.ts';

export type Component = 'etcd' | 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler';

export interface UpstreamControlPlaneOptions {
  /** Folder with kube-apiserver, kube-controller-manager, kube-scheduler and etcd (default: upstreamBinDir()). */
  binDir?: string;
  /** etcd binary (default: <binDir>/etcd). */
  etcdBinary?: string;
  /** Where to write the admin kubeconfig as well (it is always written to <dir>/kubeconfig). */
  kubeconfig?: string;
  /** Context, cluster and user name in the kubeconfig (default mesh-conformance-upstream). */
  context?: string;
  /** Service ClusterIP range (default 10.96.0.0/16, as kubeadm and kind; the simulator uses it too). */
  serviceClusterIPRange?: string;
  /**
   * Run each controller as its own service account (--use-service-account-credentials, as kubeadm does). Off by
   * default: every controller then waits for its token, which delays the controllers by about 5 s on 2 cores;
   * instead the controller manager's token user is in system:masters (the bootstrap role alone is too narrow).
   */
  serviceAccountCredentials?: boolean;
  /** Start kube-controller-manager (default true) and kube-scheduler (default true). */
  controllerManager?: boolean;
  scheduler?: boolean;
  /** Bound on reaching /readyz (and the controllers' /healthz), default 60 s. */
  readyTimeoutMs?: number;
  /** Extra flags per component, appended last (so they win). */
  extraArgs?: Partial<Record<Component, string[]>>;
  /** The admin bearer token (default: a random one). */
  adminToken?: string;
  /**
   * A Unix socket that speaks HTTP CONNECT: kube-apiserver's egress to the cluster network (--egress-selector-config-file,
   * `cluster`), as konnectivity provides it. Webhooks, the kubelets (logs, port-forward) and the proxy subresources are
   * dialled through it. With it, the API server also resolves Services to endpoints (--enable-aggregator-routing).
   */
  clusterEgressSocket?: string;
  /** Pod Security Admission defaults (AdmissionConfiguration for the PodSecurity plugin), as a cluster-wide policy sets them. */
  podSecurity?: { enforce: 'privileged' | 'baseline' | 'restricted'; exemptNamespaces: string[] };
}

export interface UpstreamControlPlane {
  /** https://127.0.0.1:PORT */
  server: string;
  /** The admin kubeconfig (token user in system:masters). */
  kubeconfig: string;
  caPem: string;
  /** The CA itself, which signs the simulator's servers that kube-apiserver and clients verify (webhooks, the API front). */
  ca: KeyPair;
  /** The admin bearer token. */
  token: string;
  /** The temporary directory: pki/, kubeconfigs, etcd data, logs/<component>.log. */
  dir: string;
  pids: Partial<Record<Component, number>>;
  /**
   * Milliseconds from spawning each component to its health endpoint answering ok; `controllers`: from spawning
   * the controller manager to the default ServiceAccount existing (its controllers run).
   */
  startupMs: Partial<Record<Component | 'controllers', number>>;
  /** The binaries' versions (kube-apiserver's /version gitVersion, etcd's /version etcdserver). */
  versions: { kubernetes: string; etcd: string };
  /** Stops every process (controllers first, etcd last) and removes the directory. Idempotent. */
  stop(): Promise<void>;
}

const setpriv = '/usr/bin/setpriv';
const upstreamDir = fileURLToPath(new URL('../../../upstream/', import.meta.url));

/**
 * Where scripts/upstream-build.mjs puts the binaries (keep in step with scripts/lib/upstream-env.mjs):
 * ${MESH_UPSTREAM_CACHE:-${XDG_CACHE_HOME:-~/.cache}/mesh-conformance/upstream}/<k8s version>/bin.
 */
export function upstreamBinDir(env: NodeJS.ProcessEnv = process.env): string {
  const goMod = readFileSync(join(upstreamDir, 'go.mod'), 'utf8');
  const version = /^\s*k8s\.io\/kubernetes\s+(v\S+)/m.exec(goMod)?.[1];
  if (!version) throw new Error(`k8s.io/kubernetes is not required in ${join(upstreamDir, 'go.mod')}`);
  const root = env.MESH_UPSTREAM_CACHE || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'mesh-conformance', 'upstream');
  return join(root, version, 'bin');
}

/** Whether all four binaries are there (tests skip otherwise). */
export function upstreamBinariesPresent(binDir = upstreamBinDir()): boolean {
  return ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'etcd'].every((b) => existsSync(join(binDir, b)));
}

/** Starts etcd, the API server, then the controller manager and the scheduler; resolves once all are healthy. */
export async function startUpstreamControlPlane(opts: UpstreamControlPlaneOptions = {}): Promise<UpstreamControlPlane> {
  const binDir = opts.binDir ?? upstreamBinDir();
  const etcdBinary = opts.etcdBinary ?? join(binDir, 'etcd');
  for (const b of [join(binDir, 'kube-apiserver'), etcdBinary]) {
    if (!existsSync(b)) throw new Error(`${b} not found: run node scripts/upstream-build.mjs`);
  }
  const context = opts.context ?? 'mesh-conformance-upstream';
  const serviceRange = opts.serviceClusterIPRange ?? '10.96.0.0/16';
  const readyTimeoutMs = opts.readyTimeoutMs ?? 60_000;
  const extra = (c: Component): string[] => opts.extraArgs?.[c] ?? [];
  const hasSetpriv = await access(setpriv, constants.X_OK).then(() => true, () => false);

  const dir = await mkdtemp(join(tmpdir(), 'mesh-upstream-'));
  const children: { name: Component; child: ChildProcess }[] = [];
  const pids: UpstreamControlPlane['pids'] = {};
  const startupMs: UpstreamControlPlane['startupMs'] = {};
  const spawnedAt: Partial<Record<Component, number>> = {};
  const agents: Agent[] = [];
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await Promise.all(agents.map((a) => a.close().catch(() => undefined)));
    // Controllers before the API server before etcd, so none of them logs a storm of connection errors.
    for (const { child } of [...children].reverse()) await killChild(child, 5_000);
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  };

  const spawnComponent = (name: Component, binary: string, args: string[]): { child: ChildProcess; exited: Promise<string> } => {
    const log = createWriteStream(join(dir, 'logs', `${name}.log`));
    spawnedAt[name] = performance.now();
    const child = hasSetpriv ? spawnTracked(setpriv, ['--pdeathsig', 'SIGKILL', '--', binary, ...args]) : spawnTracked(binary, args);
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    child.once('close', () => log.end());
    children.push({ name, child });
    if (child.pid !== undefined) pids[name] = child.pid;
    const exited = new Promise<string>((resolve) => {
      child.once('exit', (code, signal) => resolve(`${name} exited (${signal ?? `code ${code}`})`));
      child.once('error', (e) => resolve(`${name} could not start: ${e.message}`));
    });
    return { child, exited };
  };

  try {
    await mkdir(join(dir, 'logs'));
    const pki = join(dir, 'pki');
    await mkdir(pki, { mode: 0o700 });
    const [etcdClient, etcdPeer, apiPort, kcmPort, schedPort] = await freePorts(5);
    const server = `https://127.0.0.1:${apiPort}`;

    // PKI: one CA (serving, client certificates, CSR signing) and the service-account token key pair.
    const ca = await createCA();
    const firstServiceIP = firstIP(serviceRange);
    const serving = await signLeaf(ca, 'kube-apiserver', { hosts: ['127.0.0.1', firstServiceIP, 'localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'] });
    const frontProxy = await signLeaf(ca, 'front-proxy-client', { client: true });
    const sa = generateKeyPairSync('ec', { namedCurve: 'P-256', publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
    const f = (name: string): string => join(pki, name);
    await Promise.all([
      writeFile(f('ca.crt'), ca.cert), writeFile(f('ca.key'), ca.key, { mode: 0o600 }),
      writeFile(f('apiserver.crt'), serving.cert), writeFile(f('apiserver.key'), serving.key, { mode: 0o600 }),
      writeFile(f('front-proxy-client.crt'), frontProxy.cert), writeFile(f('front-proxy-client.key'), frontProxy.key, { mode: 0o600 }),
      writeFile(f('sa.pub'), sa.publicKey), writeFile(f('sa.key'), sa.privateKey, { mode: 0o600 }),
    ]);
    const token = () => randomBytes(24).toString('hex');
    const tokens = { admin: opts.adminToken ?? token(), kcm: token(), scheduler: token() };
    const saCredentials = opts.serviceAccountCredentials ?? false;
    // token,user,uid,"groups"; the controller manager and the scheduler are bound by user name in RBAC's bootstrap policy.
    await writeFile(f('tokens.csv'), [
      `${tokens.admin},kubernetes-admin,kubernetes-admin,"system:masters"`,
      `${tokens.kcm},system:kube-controller-manager,system:kube-controller-manager${saCredentials ? '' : ',"system:masters"'}`,
      `${tokens.scheduler},system:kube-scheduler,system:kube-scheduler`,
      '',
    ].join('\n'), { mode: 0o600 });
    const kubeconfig = join(dir, 'kubeconfig');
    const kcmKubeconfig = join(dir, 'controller-manager.kubeconfig');
    const schedKubeconfig = join(dir, 'scheduler.kubeconfig');
    writeKubeconfig(kubeconfig, { server, caPem: ca.cert, token: tokens.admin, context });
    await writeFile(kcmKubeconfig, renderKubeconfig({ server, caPem: ca.cert, token: tokens.kcm, context: 'kube-controller-manager' }), { mode: 0o600 });
    await writeFile(schedKubeconfig, renderKubeconfig({ server, caPem: ca.cert, token: tokens.scheduler, context: 'kube-scheduler' }), { mode: 0o600 });
    if (opts.kubeconfig) writeKubeconfig(opts.kubeconfig, { server, caPem: ca.cert, token: tokens.admin, context });
    const tls = new Agent({ connect: { ca: ca.cert }, keepAliveTimeout: 1_000 });
    // The controllers serve /healthz with a self-signed certificate of their own: trust any, for that probe only.
    const anyCert = new Agent({ connect: { rejectUnauthorized: false }, keepAliveTimeout: 1_000 });
    agents.push(tls, anyCert);

    const deadline = Date.now() + readyTimeoutMs;
    const awaitHealthy = async (name: Component, spawned: ReturnType<typeof spawnComponent>, url: string, probe: { auth?: string; dispatcher?: Agent } = {}): Promise<void> => {
      let died: string | undefined;
      void spawned.exited.then((why) => { died = why; });
      const log = join(dir, 'logs', `${name}.log`);
      for (;;) {
        if (died !== undefined) throw new Error(`${died} before it was healthy: ${await lastLines(log)}`);
        if (Date.now() > deadline) throw new Error(`${name} not healthy at ${url} within ${readyTimeoutMs} ms: ${await lastLines(log)}`);
        const status = await request(url, { dispatcher: probe.dispatcher ?? tls, headers: probe.auth ? { authorization: `Bearer ${probe.auth}` } : {}, headersTimeout: 2_000, bodyTimeout: 2_000 })
          .then(async (r) => { await r.body.dump(); return r.statusCode; }, () => 0);
        if (status === 200) {
          startupMs[name] = Math.round(performance.now() - (spawnedAt[name] ?? 0));
          return;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    };

    // etcd: loopback only, plain HTTP (nothing but our API server reaches it), data in the temp dir.
    const etcdUrl = `http://127.0.0.1:${etcdClient}`;
    const etcd = spawnComponent('etcd', etcdBinary, [
      '--name=mesh-conformance-upstream', `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=${etcdUrl}`, `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`, `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-cluster=mesh-conformance-upstream=http://127.0.0.1:${etcdPeer}`,
      // A throw-away cluster: losing it on a power cut costs nothing, and fsync dominates write latency on slow disks
      // (etcd >= 3.5 has the flag).
      ...(await etcdMinor(etcdBinary) >= 5 ? ['--unsafe-no-fsync'] : []), '--log-level=warn',
      ...extra('etcd'),
    ]);
    await awaitHealthy('etcd', etcd, `${etcdUrl}/health`);

    const apiserverOptional: string[] = [];
    if (opts.clusterEgressSocket) {
      await writeFile(join(dir, 'egress-selector.yaml'), [
        'apiVersion: apiserver.k8s.io/v1beta1',
        'kind: EgressSelectorConfiguration',
        'egressSelections:',
        '- name: cluster',
        '  connection:',
        '    proxyProtocol: HTTPConnect',
        '    transport:',
        '      uds:',
        `        udsName: ${JSON.stringify(opts.clusterEgressSocket)}`,
        '',
      ].join('\n'));
      apiserverOptional.push(`--egress-selector-config-file=${join(dir, 'egress-selector.yaml')}`, '--enable-aggregator-routing=true');
    }
    if (opts.podSecurity) {
      await writeFile(join(dir, 'admission.yaml'), JSON.stringify({
        apiVersion: 'apiserver.config.k8s.io/v1',
        kind: 'AdmissionConfiguration',
        plugins: [{
          name: 'PodSecurity',
          configuration: {
            apiVersion: 'pod-security.admission.config.k8s.io/v1',
            kind: 'PodSecurityConfiguration',
            defaults: { enforce: opts.podSecurity.enforce, 'enforce-version': 'latest', audit: 'privileged', 'audit-version': 'latest', warn: 'privileged', 'warn-version': 'latest' },
            exemptions: { usernames: [], runtimeClasses: [], namespaces: opts.podSecurity.exemptNamespaces },
          },
        }],
      }));
      apiserverOptional.push(`--admission-control-config-file=${join(dir, 'admission.yaml')}`);
    }
    const apiserver = spawnComponent('kube-apiserver', join(binDir, 'kube-apiserver'), [
      `--etcd-servers=${etcdUrl}`,
      '--bind-address=127.0.0.1', `--secure-port=${apiPort}`, '--advertise-address=127.0.0.1',
      // The Endpoints of default/kubernetes may not hold a loopback address (validation rejects 127.0.0.0/8), so the
      // reconciler would log an error every 10 s: switch it off; the kubernetes Service itself is still created.
      '--endpoint-reconciler-type=none',
      `--tls-cert-file=${f('apiserver.crt')}`, `--tls-private-key-file=${f('apiserver.key')}`,
      `--client-ca-file=${f('ca.crt')}`, `--token-auth-file=${f('tokens.csv')}`,
      // The front proxy (aggregation layer), as kubeadm sets it up. Without a requestheader CA the controller manager
      // and the scheduler log "missing content for CA bundle" every few seconds (their delegated authentication reads
      // it from kube-system/extension-apiserver-authentication). One CA here; allowed-names pins the proxy's CN.
      `--requestheader-client-ca-file=${f('ca.crt')}`, '--requestheader-allowed-names=front-proxy-client',
      '--requestheader-username-headers=X-Remote-User', '--requestheader-group-headers=X-Remote-Group',
      '--requestheader-extra-headers-prefix=X-Remote-Extra-',
      `--proxy-client-cert-file=${f('front-proxy-client.crt')}`, `--proxy-client-key-file=${f('front-proxy-client.key')}`,
      '--authorization-mode=Node,RBAC', '--allow-privileged=true',
      `--service-cluster-ip-range=${serviceRange}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${f('sa.pub')}`, `--service-account-signing-key-file=${f('sa.key')}`,
      `--cert-dir=${join(dir, 'apiserver-certs')}`, '--profiling=false',
      // The kubelets are reached at their InternalIP (a node's Hostname address does not resolve here).
      '--kubelet-preferred-address-types=InternalIP',
      ...apiserverOptional,
      ...extra('kube-apiserver'),
    ]);
    await awaitHealthy('kube-apiserver', apiserver, `${server}/readyz`, { auth: tokens.admin });

    const waits: Promise<void>[] = [];
    if (opts.controllerManager ?? true) {
      const kcm = spawnComponent('kube-controller-manager', join(binDir, 'kube-controller-manager'), [
        `--kubeconfig=${kcmKubeconfig}`, `--authentication-kubeconfig=${kcmKubeconfig}`, `--authorization-kubeconfig=${kcmKubeconfig}`,
        '--bind-address=127.0.0.1', `--secure-port=${kcmPort}`, '--leader-elect=false',
        `--use-service-account-credentials=${saCredentials}`,
        `--service-account-private-key-file=${f('sa.key')}`, `--root-ca-file=${f('ca.crt')}`,
        `--cluster-signing-cert-file=${f('ca.crt')}`, `--cluster-signing-key-file=${f('ca.key')}`,
        `--service-cluster-ip-range=${serviceRange}`, '--cluster-name=mesh-conformance', '--profiling=false',
        ...extra('kube-controller-manager'),
      ]);
      waits.push(awaitHealthy('kube-controller-manager', kcm, `https://127.0.0.1:${kcmPort}/healthz`, { dispatcher: anyCert }));
    }
    if (opts.scheduler ?? true) {
      const sched = spawnComponent('kube-scheduler', join(binDir, 'kube-scheduler'), [
        `--kubeconfig=${schedKubeconfig}`, `--authentication-kubeconfig=${schedKubeconfig}`, `--authorization-kubeconfig=${schedKubeconfig}`,
        '--bind-address=127.0.0.1', `--secure-port=${schedPort}`, '--leader-elect=false', '--profiling=false',
        ...extra('kube-scheduler'),
      ]);
      waits.push(awaitHealthy('kube-scheduler', sched, `https://127.0.0.1:${schedPort}/healthz`, { dispatcher: anyCert }));
    }
    await Promise.all(waits);
    if (opts.controllerManager ?? true) {
      // /healthz answers before the controllers run (each first gets its service-account token): wait for the
      // service-account controller's first object, the default/default ServiceAccount, which pods need to be admitted.
      for (;;) {
        if (Date.now() > deadline) throw new Error(`the controller manager did not create default/default ServiceAccount within ${readyTimeoutMs} ms: ${await lastLines(join(dir, 'logs', 'kube-controller-manager.log'))}`);
        const status = await request(`${server}/api/v1/namespaces/default/serviceaccounts/default`, { dispatcher: tls, headers: { authorization: `Bearer ${tokens.admin}` } })
          .then(async (r) => { await r.body.dump(); return r.statusCode; }, () => 0);
        if (status === 200) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      startupMs.controllers = Math.round(performance.now() - (spawnedAt['kube-controller-manager'] ?? 0));
    }

    const version = await request(`${server}/version`, { dispatcher: tls, headers: { authorization: `Bearer ${tokens.admin}` } }).then((r) => r.body.json() as Promise<{ gitVersion: string }>);
    const etcdVersion = await request(`${etcdUrl}/version`).then((r) => r.body.json() as Promise<{ etcdserver: string }>);
    return {
      server, kubeconfig, caPem: ca.cert, ca, token: tokens.admin, dir, pids, startupMs,
      versions: { kubernetes: version.gitVersion, etcd: etcdVersion.etcdserver },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** 3.6.14 → 6 (from `etcd --version`); 0 when unreadable. */
async function etcdMinor(binary: string): Promise<number> {
  const out = await new Promise<string>((resolve) => {
    execFile(binary, ['--version'], { timeout: 10_000 }, (_e, stdout) => resolve(String(stdout)));
  });
  return Number(/etcd Version: 3\.(\d+)\./.exec(out)?.[1] ?? 0);
}

/** 10.96.0.0/16 → 10.96.0.1 (the kubernetes Service's ClusterIP, in the serving certificate as in kubeadm). */
function firstIP(cidr: string): string {
  const parts = (cidr.split('/')[0] ?? '').split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p))) throw new Error(`not an IPv4 CIDR: ${cidr}`);
  parts[3] = (parts[3] ?? 0) + 1;
  return parts.join('.');
}


async function lastLines(file: string, n = 3): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').map((l) => l.trim()).filter(Boolean).slice(-n).join(' | ') || '(no output)';
}
