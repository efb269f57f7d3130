/**
 * How requests reach the API server of a resolved kubeconfig context: its URL, TLS material and credentials, without
 * loading @kubernetes/client-node. The package costs a process about 70 MB (its generated models and API classes),
 * and the harness's CLI and workers need none of it for what they send: JSON over HTTPS (issue 17: summed RSS).
 *
 * What this reads natively is what `kind export kubeconfig`, `az aks get-credentials`, kubelogin and in-cluster
 * service accounts write: a CA (file or data), a client certificate and key, a token or token file, basic auth, an
 * exec credential plugin (bounded, exec-credential.ts), `insecure-skip-tls-verify`, `tls-server-name` and `as`
 * (impersonation). A context that needs more (a proxy, from `proxy-url` or the environment; a legacy
 * `auth-provider`; a plain-http server without `insecure-skip-tls-verify`) is handed to client-node's KubeConfig,
 * loaded then, so those behave exactly as before. Port-forwards (WebSocket) always use client-node:
 * `clientNodeConfig` gives its KubeConfig.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { proxyForUrl } from '../http/proxy.ts';
import { BoundedExecAuthenticator } from './exec-credential.ts';
import type { ExecConfig } from './exec-credential.ts';
import type { ResolvedKubeconfig } from './kubeconfig.ts';
import { toKubeConfig } from './kubeconfig.ts';

/** The cluster of the current context, as client-node's `Cluster` names its fields. */
export interface AccessCluster {
  readonly name: string;
  readonly server: string;
  readonly skipTLSVerify?: boolean | undefined;
  readonly tlsServerName?: string | undefined;
  readonly proxyUrl?: string | undefined;
}

/**
 * What the harness uses of a kubeconfig: the current cluster and context, and the options that make a Node
 * `http(s).request` reach that cluster as the context's user. client-node's KubeConfig has the same shape, so either
 * serves.
 */
export interface KubeAccess {
  getCurrentCluster(): AccessCluster | null;
  getCurrentContext(): string;
  applyToHTTPSOptions(opts: https.RequestOptions): Promise<void>;
}

type Doc = Record<string, unknown>;

const isRecord = (v: unknown): v is Doc => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** A file's bytes, or base64 data decoded; the file wins, as in client-node and kubectl. */
function fileOrData(file: unknown, data: unknown): Buffer | undefined {
  if (text(file)) return readFileSync(file as string);
  if (text(data)) return Buffer.from(data as string, 'base64');
  return undefined;
}

/** The access of one resolved kubeconfig context (kubeconfig.ts `resolveKubeconfig`). */
export class KubeconfigAccess implements KubeAccess {
  private readonly cluster: AccessCluster;
  private readonly clusterDoc: Doc;
  private readonly user: Doc;
  private readonly userName: string;
  private readonly exec: BoundedExecAuthenticator | undefined;
  /** Why client-node has to do this context's requests; undefined when this class does them. */
  private readonly delegateReason: string | undefined;
  private delegate: KubeConfig | undefined;
  private tls: { ca?: Buffer; cert?: Buffer; key?: Buffer } | undefined;
  private agent: http.Agent | undefined;

  constructor(private readonly resolved: ResolvedKubeconfig, private readonly opts: { budgetMs: number; env?: NodeJS.ProcessEnv }) {
    const clusterEntry = (resolved.doc.clusters as Doc[] | undefined)?.[0];
    const userEntry = (resolved.doc.users as Doc[] | undefined)?.[0];
    this.clusterDoc = isRecord(clusterEntry?.cluster) ? clusterEntry.cluster : {};
    this.user = isRecord(userEntry?.user) ? userEntry.user : {};
    this.userName = text(userEntry?.name) ?? '';
    const server = text(this.clusterDoc.server) ?? '';
    const insecure = this.clusterDoc['insecure-skip-tls-verify'] === true;
    const proxyUrl = text(this.clusterDoc['proxy-url']) ?? (server ? proxyForUrl(server, opts.env ?? process.env) : undefined);
    this.cluster = {
      name: text(clusterEntry?.name) ?? '',
      server,
      skipTLSVerify: insecure,
      tlsServerName: text(this.clusterDoc['tls-server-name']),
      proxyUrl,
    };
    this.delegateReason = proxyUrl ? 'a proxy'
      : this.user['auth-provider'] !== undefined ? 'an auth-provider'
        : server.startsWith('http:') && !insecure ? 'a plain-http server' : undefined;
    this.exec = isRecord(this.user.exec) && !this.delegateReason
      ? new BoundedExecAuthenticator(new Map([[this.userName, this.user.exec as unknown as ExecConfig]]), opts.budgetMs)
      : undefined;
  }

  getCurrentCluster(): AccessCluster {
    return this.cluster;
  }

  getCurrentContext(): string {
    return this.resolved.context;
  }

  /** client-node's KubeConfig for this context (loaded on first use), for what needs the package: port-forwards. */
  clientNode(): KubeConfig {
    this.delegate ??= toKubeConfig(this.resolved, this.opts);
    return this.delegate;
  }

  async applyToHTTPSOptions(opts: https.RequestOptions): Promise<void> {
    if (this.delegateReason) return this.clientNode().applyToHTTPSOptions(opts);
    // TLS material is read once per process: a CA or client certificate does not change while a run lasts.
    this.tls ??= {
      ...optional('ca', fileOrData(this.clusterDoc['certificate-authority'], this.clusterDoc['certificate-authority-data'])),
      ...optional('cert', fileOrData(this.user['client-certificate'], this.user['client-certificate-data'])),
      ...optional('key', fileOrData(this.user['client-key'], this.user['client-key-data'])),
    };
    if (this.cluster.skipTLSVerify) opts.rejectUnauthorized = false;
    if (this.cluster.tlsServerName) opts.servername = this.cluster.tlsServerName;
    Object.assign(opts, this.tls);
    const headers: Record<string, string> = { ...(opts.headers as Record<string, string> | undefined) };
    const impersonate = text(this.user.as);
    if (impersonate) headers['Impersonate-User'] = impersonate;
    // As client-node orders them: the plugin's credential first, a static token over it.
    const fromPlugin: { headers?: Record<string, unknown>; cert?: unknown; key?: unknown } = {};
    if (this.exec) await this.exec.applyAuthentication({ name: this.userName }, fromPlugin as https.RequestOptions);
    if (typeof fromPlugin.headers?.Authorization === 'string') headers.Authorization = fromPlugin.headers.Authorization;
    const token = text(this.user.token) ?? this.tokenFromFile();
    if (token) headers.Authorization = `Bearer ${token}`;
    opts.headers = headers;
    const username = text(this.user.username);
    if (username) opts.auth = `${username}:${text(this.user.password) ?? ''}`;
    if (fromPlugin.cert || fromPlugin.key) {
      // A plugin's client certificate may rotate: its connections get an agent of their own, as client-node gives.
      if (fromPlugin.cert) opts.cert = fromPlugin.cert as string;
      if (fromPlugin.key) opts.key = fromPlugin.key as string;
      opts.agent = this.cluster.server.startsWith('http:') ? new http.Agent() : new https.Agent({ ca: opts.ca, cert: opts.cert, key: opts.key, rejectUnauthorized: opts.rejectUnauthorized, servername: opts.servername });
      return;
    }
    // One agent per context, keeping connections alive: a run's requests reuse them instead of a TLS handshake each.
    this.agent ??= this.cluster.server.startsWith('http:')
      ? new http.Agent({ keepAlive: true })
      : new https.Agent({ keepAlive: true, ...this.tls, ...(opts.rejectUnauthorized === false ? { rejectUnauthorized: false } : {}), ...(opts.servername ? { servername: opts.servername } : {}) });
    opts.agent = this.agent;
  }

  /** kubectl's `tokenFile` (client-node's `token-file`), read at each request: a projected token rotates. */
  private tokenFromFile(): string | undefined {
    const file = text(this.user.tokenFile) ?? text(this.user['token-file']);
    return file ? readFileSync(file, 'utf8').trim() || undefined : undefined;
  }
}

function optional<K extends string>(key: K, value: Buffer | undefined): Partial<Record<K, Buffer>> {
  return value ? ({ [key]: value } as Record<K, Buffer>) : {};
}

/** client-node's KubeConfig behind an access: itself when it is one, else built from the resolved kubeconfig. */
export function clientNodeConfig(access: KubeAccess): KubeConfig {
  if ('clientNode' in access && typeof access.clientNode === 'function') return (access as KubeconfigAccess).clientNode();
  return access as KubeConfig;
}
