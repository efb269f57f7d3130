/**
 * The upstream control plane as a simulated cluster's core (`sim --control-plane upstream`): etcd, kube-apiserver,
 * kube-controller-manager and kube-scheduler (control-plane.ts), with the simulator's parts attached the way real ones
 * attach to a cluster:
 *
 *   clients (harness, kubectl) ──▶ API front (api-front.ts: fault hooks, request log) ──▶ kube-apiserver ◀─▶ etcd
 *   components ── ApiBackedStore (informers; writes through the API) ──────────────────▶ kube-apiserver
 *   kube-apiserver ──▶ cluster egress (cluster-egress.ts, HTTP CONNECT) ──▶ admission webhooks (admission-webhooks.ts)
 *                                                                      ├─▶ kubelet API per node (kubelet-server.ts)
 *                                                                      └─▶ pods (services/pods proxy) on loopback
 *   node agent: Node objects, Lease heartbeats (node-heartbeat.ts), pods bound by kube-scheduler, status through the API
 *
 * Deployments, ReplicaSets, Endpoints/EndpointSlices, garbage collection, namespace deletion, service accounts,
 * admission, CRD validation, field management and watch are upstream's; our controller manager and scheduler do not run.
 * The fault hooks that act on the embedded API server or controllers have an upstream form here (upstream-hooks.ts).
 */
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClusterCore, CoreOptions } from '../cluster-core.ts';
import type { Kubelet } from '../node/kubelet.ts';
import { ApiBackedStore } from './api-backed-store.ts';
import { ApiClient } from './api-client.ts';
import { startAdmissionWebhookServer } from './admission-webhooks.ts';
import type { AdmissionWebhookServer } from './admission-webhooks.ts';
import { startApiFront } from './api-front.ts';
import { startClusterEgress } from './cluster-egress.ts';
import { startUpstreamControlPlane, upstreamBinariesPresent, upstreamBinDir } from './control-plane.ts';
import { startKubeletServers } from './kubelet-server.ts';
import type { KubeletServers } from './kubelet-server.ts';
import { startNodeHeartbeats } from './node-heartbeat.ts';
import { upstreamControlPlaneArgs, upstreamPodSecurity, upstreamWriteHooks } from './upstream-hooks.ts';

/** Thrown when the binaries are not built: the CLI turns it into a one-line error and its own exit code. */
export class UpstreamBinariesMissingError extends Error {
  constructor(readonly binDir: string) {
    super(`the upstream control plane is not built (no binaries in ${binDir}): run \`npm run upstream:build\` (needs Go >= 1.25) and try again`);
  }
}

export interface UpstreamCoreOptions extends CoreOptions {
  /** Bound on the control plane becoming ready (default 90 s). */
  readyTimeoutMs?: number;
}

export async function startUpstreamCore(opts: UpstreamCoreOptions): Promise<ClusterCore> {
  const binDir = upstreamBinDir();
  if (!upstreamBinariesPresent(binDir)) throw new UpstreamBinariesMissingError(binDir);
  const { hooks, network, log } = opts;
  const closers: (() => Promise<void> | void)[] = [];
  const close = async (): Promise<void> => {
    for (const c of closers.splice(0).reverse()) {
      try {
        await c();
      } catch (error) {
        log(`upstream shutdown step failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  };
  try {
    // The egress starts first (kube-apiserver needs its socket); it reaches the store and webhooks once they exist.
    const late: { store?: ApiBackedStore; webhooks?: AdmissionWebhookServer } = {};
    const egress = await startClusterEgress({
      socket: join(tmpdir(), `mesh-egress-${randomBytes(6).toString('hex')}.sock`),
      network, store: () => late.store, webhooks: () => late.webhooks, log,
    });
    closers.push(() => egress.close());

    const podSecurity = upstreamPodSecurity(hooks);
    const cp = await startUpstreamControlPlane({
      clusterEgressSocket: egress.socket,
      ...(opts.token ? { adminToken: opts.token } : {}),
      ...(podSecurity ? { podSecurity } : {}),
      extraArgs: upstreamControlPlaneArgs(hooks),
      readyTimeoutMs: opts.readyTimeoutMs ?? 90_000,
    });
    closers.push(() => cp.stop());
    log(`upstream control plane: kube-apiserver ${cp.versions.kubernetes} at ${cp.server}, etcd ${cp.versions.etcd} (${cp.dir}); startup ${Object.entries(cp.startupMs).map(([k, v]) => `${k}=${v}ms`).join(' ')}`);

    const webhooks = await startAdmissionWebhookServer({ ca: cp.ca, store: () => store, log });
    late.webhooks = webhooks;
    closers.push(() => webhooks.close());
    const client = new ApiClient({ server: cp.server, caPem: cp.caPem, token: cp.token, userAgent: 'mesh-conformance-simulator' });
    closers.push(() => client.close());
    const store = new ApiBackedStore({ client, admission: webhooks, beforeWrite: upstreamWriteHooks(hooks), log });
    late.store = store;
    closers.push(() => store.stop());
    await store.start();
    for (const policy of hooks.cluster.admissionPolicies) if (!policy.builtin) store.addAdmissionPlugin(policy);
    await webhooks.registerPolicies();

    const front = await startApiFront({ upstream: cp.server, ca: cp.ca, hooks: hooks.api, ...(opts.requestLog ? { requestLogFile: opts.requestLog } : {}), ...(opts.port !== undefined ? { port: opts.port } : {}) });
    closers.push(() => front.close());
    const heartbeats = startNodeHeartbeats({ store, log });
    closers.push(() => heartbeats.stop());
    log(`api front listening on ${front.url}`);

    const direct = { url: cp.server, caPem: cp.caPem, token: cp.token };
    let kubeletServers: KubeletServers | undefined;
    return {
      store: store,
      api: direct,
      client: { url: front.url, caPem: cp.caPem, token: cp.token },
      kubernetesVersion: cp.versions.kubernetes,
      attach(kubelet: Kubelet) {
        kubeletServers = startKubeletServers({ store: store, kubelet, ca: cp.ca, log });
        closers.push(() => kubeletServers?.close());
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
