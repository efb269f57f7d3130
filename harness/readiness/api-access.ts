import http from 'node:http';
import https from 'node:https';
import type { KubeAccess } from '../k8s/kube-access.ts';
import { formatDuration } from '../timeouts.ts';
import { errorText } from '../text.ts';
import { CredentialError } from '../k8s/exec-credential.ts';

/** Why the API server cannot be used, and what to do. */
export interface ApiProblem {
  message: string;
  hint: string;
  /** It stayed unavailable (429, 5xx, resets) through every retry within the budget: not the user's input. */
  unavailable?: true;
}

/** How one raw GET against the API server ended. */
export type ProbeOutcome =
  | { kind: 'response'; status: number; contentType: string; body: string; retryAfter?: string | undefined }
  | { kind: 'error'; code: string; message: string; hint?: string }
  | { kind: 'timeout' };

/** Node's codes for a server certificate the kubeconfig's CA does not vouch for (or a hostname it was not issued to). */
const tlsTrustCodes = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_SIGNATURE_FAILURE', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_UNTRUSTED', 'CERT_REJECTED',
]);

/**
 * GETs `path` from the current context's server with the kubeconfig's credentials (CA, client certificate, token,
 * exec plugin), bounded by `timeoutMs`. Never throws: every way it can end is an outcome to classify.
 */
export async function probe(kc: KubeAccess, path: string, timeoutMs: number): Promise<ProbeOutcome> {
  const server = kc.getCurrentCluster()?.server ?? '';
  const opts: https.RequestOptions = { method: 'GET', headers: { Accept: 'application/json' } };
  try {
    await kc.applyToHTTPSOptions(opts);
  } catch (err) {
    return { kind: 'error', code: 'CREDENTIALS', message: errorText(err), ...(err instanceof CredentialError ? { hint: err.hint } : {}) };
  }
  const url = new URL(path, server.endsWith('/') ? server : `${server}/`);
  return new Promise<ProbeOutcome>((resolve) => {
    const lib = url.protocol === 'http:' ? http : https;
    // The kubeconfig's agent: its proxy-url (or HTTPS_PROXY), CA and client certificate.
    const req = lib.request(url, opts, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size < 64 * 1024) chunks.push(c);
        size += c.length;
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ kind: 'response', status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks).toString('utf8'), retryAfter: res.headers['retry-after'] });
      });
      res.on('error', (err: NodeJS.ErrnoException) => resolve({ kind: 'error', code: err.code ?? 'ERR', message: err.message }));
    });
    const timer = setTimeout(() => {
      resolve({ kind: 'timeout' });
      req.destroy();
    }, timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ kind: 'error', code: err.code ?? 'ERR', message: err.message });
    });
    req.end();
  });
}

/** Transport failures worth another attempt: the connection was cut, not refused. */
const transientCodes = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ERR_STREAM_PREMATURE_CLOSE']);

/** An outcome another attempt may change: throttled (429), a server error (5xx), a reset connection. */
export function isTransient(o: ProbeOutcome): boolean {
  if (o.kind === 'response') return o.status === 429 || (o.status >= 500 && o.status <= 504);
  return o.kind === 'error' && (transientCodes.has(o.code) || /socket hang up/i.test(o.message));
}

/**
 * `probe`, retried as the run's calls are retried: on a transient outcome, again after a pause (Retry-After,
 * capped at 2 s and at half of what is left of the budget, so a last attempt still fits) until `budgetMs` is spent;
 * returns the last outcome. A last attempt that the deadline cut short says nothing about the server (on a loaded
 * machine it may have had 1 ms): the transient answer before it is returned instead, so a server that kept answering
 * 503 is reported as unavailable (exit 3), not as one that never answered (exit 2).
 */
export async function probeWithRetries(kc: KubeAccess, path: string, budgetMs: number): Promise<ProbeOutcome> {
  const deadline = Date.now() + budgetMs;
  let transient: ProbeOutcome | undefined;
  for (let attempt = 1; ; attempt += 1) {
    const outcome = await probe(kc, path, Math.max(1, deadline - Date.now()));
    if (outcome.kind === 'timeout' && transient) return transient;
    if (!isTransient(outcome)) return outcome;
    transient = outcome;
    const asked = outcome.kind === 'response' && outcome.retryAfter !== undefined ? Number(outcome.retryAfter) * 1000 : Number.NaN;
    // Capped at half of what is left: a full 2 s pause near the end of the budget used to forgo the last attempt.
    const left = deadline - Date.now();
    const pause = Math.min(Number.isFinite(asked) ? asked : 200 * attempt, 2_000, left / 2);
    if (left < 100) return outcome;
    await new Promise((r) => setTimeout(r, pause));
  }
}

function statusMessage(body: string): string {
  try {
    const s = JSON.parse(body) as { kind?: string; message?: string; reason?: string };
    if (s.kind === 'Status') return [s.reason, s.message].filter(Boolean).join(': ');
  } catch {
    // not a Status
  }
  const line = body.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? '';
  return line.length > 80 ? `${line.slice(0, 80)}…` : line;
}

/** The hint for refreshing credentials, in the words of the target. */
function refreshHint(target: string): string {
  if (target === 'aks') return 'refresh them with `az aks get-credentials -g <group> -n <cluster> --overwrite-existing` (Entra ID clusters: `kubelogin convert-kubeconfig -l azurecli`)';
  if (target === 'kind') return 'refresh them with `kind export kubeconfig --name <cluster>`';
  return 'refresh the kubeconfig for this cluster';
}

/**
 * Classifies the outcome of `GET /version` + an authenticated read into at most one problem, with distinct
 * messages for TLS/CA trouble, 401, 403, a timeout, a server that is not Kubernetes and an unreachable one.
 */
export function classifyApiAccess(
  version: ProbeOutcome,
  authed: ProbeOutcome | undefined,
  ctx: { server: string; proxy?: string | undefined; target: string; timeoutMs: number },
): { problem: ApiProblem } | { version: string } {
  const problem = (message: string, hint: string): { problem: ApiProblem } => ({ problem: { message, hint } });
  const outcomes = authed ? [version, authed] : [version];
  const unavailableHint = 'the control plane is overloaded, restarting or behind a failing load balancer: retry later, or raise timeouts.apply if it only needs longer';
  for (const o of outcomes) {
    if (isTransient(o)) {
      const what = o.kind === 'response'
        ? `${o === version ? 'GET /version' : 'GET /api/v1/namespaces/default'} answered ${o.status}${statusMessage(o.body) ? ` (${statusMessage(o.body)})` : ''}`
        : `the connection failed (${o.kind === 'error' ? `${o.code}: ${o.message}` : 'timeout'})`;
      return { problem: { message: `the API server ${ctx.server} stayed unavailable through every retry within ${formatDuration(ctx.timeoutMs)} (timeouts.apply): ${what}`, hint: unavailableHint, unavailable: true } };
    }
    if (o.kind === 'timeout') {
      // Through a proxy, the proxy is as likely to be what never answered (a hung proxy accepts and says nothing).
      return ctx.proxy
        ? problem(`the API server ${ctx.server}, through the proxy ${ctx.proxy}, did not answer within ${formatDuration(ctx.timeoutMs)} (timeouts.apply)`,
          'check that the proxy (the cluster\'s proxy-url, or HTTPS_PROXY and NO_PROXY) is up and may reach the API server, then the server URL; raise timeouts.apply if the server is just slow')
        : problem(`the API server ${ctx.server} did not answer within ${formatDuration(ctx.timeoutMs)} (timeouts.apply)`,
          'check the server URL, VPN or firewall (a private AKS cluster is reachable only from its network); raise timeouts.apply if the server is just slow');
    }
    if (o.kind === 'error') {
      if (tlsTrustCodes.has(o.code)) {
        return problem(`TLS: the certificate of ${ctx.server} is not trusted with the kubeconfig's certificate authority (${o.code}: ${o.message})`,
          `the kubeconfig's certificate-authority-data belongs to another cluster or an older one: ${refreshHint(ctx.target)}; never work around it with insecure-skip-tls-verify`);
      }
      if (o.code === 'ERR_SSL_WRONG_VERSION_NUMBER' || o.code === 'EPROTO' || /wrong version number|ssl/i.test(o.message)) {
        return problem(`TLS: ${ctx.server} does not speak TLS (${o.code}: ${o.message})`, 'check the server URL in the kubeconfig (https and the API server port, usually 6443 or 443), not an HTTP port or a proxy');
      }
      if (o.code === 'CREDENTIALS') return problem(`cannot get credentials from the kubeconfig: ${o.message}`, o.hint ?? `${refreshHint(ctx.target)}; an exec plugin (kubelogin, aws, gke-gcloud-auth-plugin) must be on PATH`);
      if (o.code === 'ECONNREFUSED') return problem(`nothing listens at ${ctx.server} (connection refused)`, ctx.target === 'kind' ? 'is the kind cluster running? `kind get clusters`, or create it with `node scripts/kind-up.mjs`' : 'is the cluster running and the server URL in the kubeconfig right?');
      if (o.code === 'ENOTFOUND' || o.code === 'EAI_AGAIN') return problem(`the API server host of ${ctx.server} does not resolve (${o.code})`, 'check the server URL and your DNS or VPN');
      const proxyStatus = /Bad response: (\d+)/.exec(o.message)?.[1];
      if (proxyStatus === '407') {
        return problem(`the proxy in front of ${ctx.server} refused the credentials it was given, or wants some (407 Proxy Authentication Required)`,
          'fix the user and password in the cluster\'s proxy-url (or in HTTPS_PROXY when the kubeconfig names no proxy-url)');
      }
      if (proxyStatus) return problem(`the proxy in front of ${ctx.server} refused to connect to it (CONNECT answered ${proxyStatus})`, 'check the cluster\'s proxy-url (or HTTPS_PROXY, NO_PROXY) and that the proxy may reach the API server');
      return problem(`cannot reach the API server ${ctx.server}: ${o.code} ${o.message}`, 'check the server URL, network and proxy settings');
    }
    if (o.status === 401) {
      return problem(`the API server ${ctx.server} rejected the credentials: 401 Unauthorized (${statusMessage(o.body) || 'no message'})`,
        `the token or client certificate is expired, revoked or for another cluster: ${refreshHint(ctx.target)}`);
    }
    if (o.status === 403) {
      return problem(`authenticated, but the API server ${ctx.server} forbids this user: 403 Forbidden (${statusMessage(o.body) || 'no message'})`,
        'ask a cluster admin for the permissions listed in docs/preflight.md (the suite creates a namespace and works in it), or use a context with them');
    }
  }
  if (version.kind !== 'response') return problem('unexpected probe outcome', 'report a bug');
  let info: { gitVersion?: unknown; major?: unknown } | undefined;
  try {
    info = JSON.parse(version.body) as { gitVersion?: unknown; major?: unknown };
  } catch {
    info = undefined;
  }
  if (version.status !== 200 || typeof info?.gitVersion !== 'string') {
    const what = `${version.status} ${version.contentType || 'without content type'}${version.body.trim() ? ` "${statusMessage(version.body)}"` : ''}`;
    return problem(`${ctx.server} is not a Kubernetes API server: GET /version answered ${what}`,
      'the kubeconfig points at something else (a web server, a proxy, a load balancer or a wrong port): fix the cluster\'s server URL or pick another --context');
  }
  if (authed?.kind === 'response' && authed.status >= 500) {
    return problem(`the API server ${ctx.server} fails: GET /api/v1/namespaces/default answered ${authed.status} (${statusMessage(authed.body)})`, 'the control plane is unhealthy: check it, then retry');
  }
  return { version: info.gitVersion };
}
