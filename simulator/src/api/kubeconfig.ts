/**
 * Writes the kubeconfig through which kubectl, client-node and the harness reach the simulated cluster.
 */
import { mkdirSync, writeFileSync, chmodSync } from 'node:fs';
import { dirname } from 'node:path';
import { stringify } from 'yaml';

export interface KubeconfigOptions {
  /** The API server URL, e.g. https://127.0.0.1:6443. */
  server: string;
  caPem: string;
  token: string;
  /** Context name; the cluster and user entries take the same name. */
  context: string;
  namespace?: string;
}

/** The kubeconfig document for one cluster, user and context, as YAML. */
export function renderKubeconfig(opts: KubeconfigOptions): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: opts.context, cluster: { server: opts.server, 'certificate-authority-data': Buffer.from(opts.caPem).toString('base64') } }],
    users: [{ name: opts.context, user: { token: opts.token } }],
    contexts: [{ name: opts.context, context: { cluster: opts.context, user: opts.context, ...(opts.namespace ? { namespace: opts.namespace } : {}) } }],
    'current-context': opts.context,
    preferences: {},
  });
}

/** Writes a kubeconfig file (mode 0600, parent directories created). Use once the API server listens. */
export function writeKubeconfig(file: string, opts: KubeconfigOptions): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, renderKubeconfig(opts), { mode: 0o600 });
  // writeFileSync keeps the mode of an existing file: tighten it explicitly, since it holds a token.
  chmodSync(file, 0o600);
}
