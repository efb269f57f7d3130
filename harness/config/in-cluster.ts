/**
 * In-cluster mode: the harness runs in a pod and reaches the API server the way every in-cluster client does, with
 * `KUBERNETES_SERVICE_HOST`/`KUBERNETES_SERVICE_PORT` and the pod's service-account token and CA under
 * `/var/run/secrets/kubernetes.io/serviceaccount` (client-go's `rest.InClusterConfig`, client-node's `loadFromCluster`).
 * The rest of the harness reaches clusters only through a kubeconfig file, so this module writes one that points at
 * those files: the token is read from its file, again at least every minute (client-node's `tokenFile` provider), so
 * a rotated projected token keeps working during a long run.
 *
 * `MESH_CONFORMANCE_SERVICE_ACCOUNT_DIR` replaces the service-account directory. It is for testing: the simulated
 * kubelet runs the harness as a process on the host, where that path cannot be written, and hands the pod's token,
 * CA and namespace over in a directory of its own. A real pod never needs it.
 */
import { accessSync, constants, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';

/** Where a pod's service-account token, CA and namespace are mounted. */
export const defaultServiceAccountDir = '/var/run/secrets/kubernetes.io/serviceaccount';

/** Replaces `defaultServiceAccountDir` (for tests: the simulated kubelet cannot write that path). */
export const serviceAccountDirEnv = 'MESH_CONFORMANCE_SERVICE_ACCOUNT_DIR';

/** The context name of the kubeconfig written for in-cluster mode. */
export const inClusterContext = 'in-cluster';

/** What a pod gives an in-cluster client. */
export interface InClusterEnvironment {
  /** `https://<host>:<port>` (IPv6 hosts in brackets). */
  server: string;
  host: string;
  tokenFile: string;
  caFile: string;
  /** The pod's namespace (from the `namespace` file), when mounted. */
  namespace: string | undefined;
}

/** Why the in-cluster configuration is not usable here, or the environment. */
export type InClusterLookup = { ok: true; env: InClusterEnvironment } | { ok: false; reason: string };

const readable = (file: string): boolean => {
  try {
    accessSync(file, constants.R_OK);
    return true;
  } catch {
    return false;
  }
};

/** The service-account directory this process reads. */
export function serviceAccountDir(env: NodeJS.ProcessEnv): string {
  return env[serviceAccountDirEnv] || defaultServiceAccountDir;
}

/** Looks for the in-cluster configuration: the service variables and a readable token and CA. */
export function lookupInCluster(env: NodeJS.ProcessEnv): InClusterLookup {
  const host = env.KUBERNETES_SERVICE_HOST?.trim();
  const port = env.KUBERNETES_SERVICE_PORT?.trim();
  if (!host || !port) return { ok: false, reason: 'KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set (they are in every pod)' };
  if (!/^\d{1,5}$/.test(port)) return { ok: false, reason: `KUBERNETES_SERVICE_PORT is not a port number (got "${port}")` };
  const dir = serviceAccountDir(env);
  const tokenFile = join(dir, 'token');
  const caFile = join(dir, 'ca.crt');
  if (!readable(tokenFile)) return { ok: false, reason: `no service-account token at ${tokenFile} (is automountServiceAccountToken false on the pod or its ServiceAccount?)` };
  if (!readable(caFile)) return { ok: false, reason: `no cluster CA at ${caFile}` };
  const nsFile = join(dir, 'namespace');
  const namespace = readable(nsFile) ? readFileSync(nsFile, 'utf8').trim() || undefined : undefined;
  return { ok: true, env: { server: `https://${isIPv6(host) ? `[${host}]` : host}:${port}`, host, tokenFile, caFile, namespace } };
}

/** Whether this process runs in a pod (the service variables are set and a token is mounted). */
export function inClusterDetected(env: NodeJS.ProcessEnv): boolean {
  return lookupInCluster(env).ok;
}

/**
 * The kubeconfig of the in-cluster configuration: the CA and the token by file (never copied into the kubeconfig),
 * the token through client-node's `tokenFile` auth provider, which re-reads it (rotated projected tokens).
 */
export function renderInClusterKubeconfig(e: InClusterEnvironment): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: inClusterContext, cluster: { server: e.server, 'certificate-authority': e.caFile } }],
    users: [{ name: inClusterContext, user: { 'auth-provider': { name: 'tokenFile', config: { tokenFile: e.tokenFile } } } }],
    contexts: [{ name: inClusterContext, context: { cluster: inClusterContext, user: inClusterContext, ...(e.namespace ? { namespace: e.namespace } : {}) } }],
    'current-context': inClusterContext,
  });
}

/** Writes that kubeconfig (mode 0600; it names the token's file, not the token) and returns its path. */
export function writeInClusterKubeconfig(file: string, e: InClusterEnvironment): string {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, renderInClusterKubeconfig(e), { mode: 0o600 });
  return file;
}

/**
 * The target an in-cluster run takes when none is given: `aks` when the API server is an AKS one (its
 * `*.azmk8s.io` name, which AKS can put in `KUBERNETES_SERVICE_HOST`), else `kind`, the generic cluster's profile
 * defaults (as `mesh-conformance check` decides for a kubeconfig). The mesh itself is detected from the cluster.
 */
export function inClusterTarget(e: InClusterEnvironment): 'aks' | 'kind' {
  return /\.azmk8s\.io$/i.test(e.host) ? 'aks' : 'kind';
}
