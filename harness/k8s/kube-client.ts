import { AsyncLocalStorage } from 'node:async_hooks';
import http, { STATUS_CODES } from 'node:http';
import https from 'node:https';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import type { KubernetesListObject, KubernetesObject, PatchStrategy, V1APIResource, V1APIResourceList } from '@kubernetes/client-node';
import { patchStrategies } from './client-node.ts';
import type { KubeAccess } from './kube-access.ts';
import { KubeconfigAccess } from './kube-access.ts';
import type { ApiFailureDetail, ApiRequest } from './api-error.ts';
import { ApiStatusError, KubeApiError, isRetryable, retryAfterMs, toKubeApiError } from './api-error.ts';
import type { ObjectRef } from './resources.ts';
import type { WriteScope } from './write-scope.ts';
import { CredentialError } from './exec-credential.ts';
import { resolveKubeconfig } from './kubeconfig.ts';
import type { ResolvedKubeconfig } from './kubeconfig.ts';
import { describeRef } from './resources.ts';
import { pauseBetweenAttempts } from '../wait/delay.ts';
import { formatDuration, timeouts } from '../timeouts.ts';
import { redactUrl } from '../report/redact.ts';

/** What the API server's audit log and request logs show for the harness's requests. */
export const userAgent = `mesh-conformance (node ${process.version})`;

/** The field manager of every server-side apply the harness makes. */
export const fieldManager = 'mesh-conformance';

/** Where the cluster is: a kubeconfig file and (optionally) a context in it. */
export interface ClusterAccess {
  /** A kubeconfig file, or several as KUBECONFIG lists them (`a:b`). */
  kubeconfig: string;
  context?: string | undefined;
  /** How long an exec credential plugin may take (timeouts.apply). */
  credentialBudgetMs?: number | undefined;
}

/** Per-call limits: the budget (from `timeouts.apply`) covers retries of throttled or failed requests. */
export interface CallOptions {
  budgetMs: number;
  signal?: AbortSignal | undefined;
}

/**
 * Label each create carries with a random value, so that after an ambiguous failure (5xx, reset) the client can
 * tell whether the object was created (generateName leaves no name to read it back by).
 */
export const createMarkerLabel = 'mesh-conformance.io/create-id';

interface CallScope {
  request?: ApiRequest;
  /** Aborts the request when the call's budget runs out, so a server that never answers cannot hang the run. */
  signal?: AbortSignal;
}

const maxFailuresKept = 50;

/** One write the harness made, as sent. */
export interface SentManifest {
  verb: 'apply' | 'create' | 'patch';
  object: KubernetesObject;
}

/**
 * The harness's only door to the API server: client-node's generic and core APIs behind calls that
 * retry throttling (429, Retry-After) and server hiccups within a budget, and fail with a one-line `KubeApiError`.
 */
export class KubeClient {
  /** How requests reach the cluster (kube-access.ts); client-node's KubeConfig serves as well. */
  readonly kubeConfig: KubeAccess;
  /** Raw details of recent failed calls (headers, body), for the diagnostics attachment. */
  readonly failures: ApiFailureDetail[] = [];
  /** When set, every write outside the run's own namespaces (and named shared objects) is refused before it is sent. */
  writeScope: WriteScope | undefined;
  /** Every manifest the harness sent (apply, create, patch), in order: the report attaches those of each check. */
  readonly sent: SentManifest[] = [];
  private readonly scope = new AsyncLocalStorage<CallScope>();
  /** The API server's resources by group/version (discovery), as client-node's KubernetesObjectApi caches them. */
  private readonly discovery = new Map<string, V1APIResourceList>();

  /**
   * Loads a kubeconfig (one file or a KUBECONFIG-style list, read once per process) and selects the context;
   * throws a one-line `KubeconfigError` when it is unusable. Exec plugins are bounded by `credentialBudgetMs`
   * (default timeouts.apply).
   */
  static connect(access: ClusterAccess): KubeClient {
    const resolved = resolveKubeconfig(access.kubeconfig, access.context);
    return new KubeClient(new KubeconfigAccess(resolved, { budgetMs: access.credentialBudgetMs ?? timeouts.apply }), resolved);
  }

  constructor(kubeConfig: KubeAccess, readonly resolved?: ResolvedKubeconfig) {
    this.kubeConfig = kubeConfig;
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error(`kubeconfig has no cluster for context "${kubeConfig.getCurrentContext()}"`);
  }

  /** The API server URL of the current context, for messages (credentials in it redacted). */
  get server(): string {
    return redactUrl(this.kubeConfig.getCurrentCluster()?.server ?? '');
  }

  /** The proxy the API server is reached through (the cluster's proxy-url, or HTTPS_PROXY), credentials redacted; undefined when none. */
  get proxy(): string | undefined {
    const url = this.kubeConfig.getCurrentCluster()?.proxyUrl;
    return url ? redactUrl(url) : undefined;
  }

  /** The selected context name. */
  get context(): string {
    return this.kubeConfig.getCurrentContext();
  }

  /**
   * Runs one client-node call with retries on 429/5xx within the budget; any failure becomes a one-line
   * `KubeApiError` naming the request (`what` names it when the request was never sent).
   */
  async call<T>(what: string, fn: () => Promise<T>, opts: CallOptions & { retryable?: (err: KubeApiError) => boolean }): Promise<T> {
    const deadline = Date.now() + opts.budgetMs;
    for (let attempt = 1; ; attempt += 1) {
      const remainingMs = Math.max(1, deadline - Date.now());
      const timeout = AbortSignal.timeout(remainingMs);
      const scope: CallScope = { signal: opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout };
      try {
        // Wall-clock true: whatever the call is stuck in (a TLS handshake, a proxy that never answers, a credential
        // plugin), it ends at the budget.
        return await untilAborted(this.scope.run(scope, fn), scope.signal);
      } catch (err) {
        const credentials = err instanceof CredentialError;
        const wrapped = credentials
          ? new KubeApiError(`${what} → cannot get credentials: ${err.message}`, undefined, 'Credentials', { request: what, code: undefined, headers: {}, body: err.message, at: new Date().toISOString() })
          : timeout.aborted && !opts.signal?.aborted
            ? toKubeApiError(new Error(`no answer within ${formatDuration(opts.budgetMs)} (the call's budget)`), scope.request, what)
            : toKubeApiError(err, scope.request, what);
        this.remember(wrapped.detail);
        // Retry-After is honoured up to the call's own pace, and never past its budget.
        const pause = Math.min(retryAfterMs(wrapped) ?? 200 * attempt, 2_000, Math.max(0, deadline - Date.now()));
        if (credentials || !(opts.retryable ?? isRetryable)(wrapped) || opts.signal?.aborted || Date.now() + pause >= deadline) throw wrapped;
        await pauseBetweenAttempts(pause, opts.signal);
      }
    }
  }

  /** Server-side applies an object (fieldManager `mesh-conformance`, force) and returns what the server stored. */
  async apply<T extends KubernetesObject>(obj: T, opts: CallOptions): Promise<T> {
    this.writeScope?.check('apply', refLike(obj));
    this.sent.push({ verb: 'apply', object: obj });
    return this.call(`apply ${describeRef(refLike(obj))}`,
      () => this.send<T>('PATCH', obj, 'one', { fieldManager, force: 'true' }, { body: obj, contentType: patchStrategies.ServerSideApply }), opts)
      .catch((err: unknown) => { throw typeNotServed(err, obj); });
  }

  /**
   * Creates an object as given (use for `generateName`, which apply cannot do). `nonPersisted` marks a create the
   * API server evaluates without storing anything (SelfSubjectAccessReview, TokenReview): it is safe to repeat, so
   * it is retried like a read, never looked up by marker.
   */
  async create<T extends KubernetesObject>(obj: T, opts: CallOptions & { nonPersisted?: boolean }): Promise<T> {
    if (opts.nonPersisted) {
      return this.call(`create ${obj.kind ?? 'object'}`, () => this.send<T>('POST', obj, 'create', {}, { body: obj }), opts);
    }
    const ref = { ...refLike(obj), name: obj.metadata?.name ?? '' };
    this.writeScope?.check('create', ref, obj.metadata?.generateName);
    const created = await this.createUnscoped(obj, opts).catch((err: unknown) => { throw typeNotServed(err, obj); });
    // A namespace the run created is its own from now on: it may write into it.
    if (this.writeScope && obj.kind === 'Namespace' && created.metadata?.name) this.writeScope.adopt(created.metadata.name);
    return created;
  }

  private async createUnscoped<T extends KubernetesObject>(obj: T, opts: CallOptions): Promise<T> {
    this.sent.push({ verb: 'create', object: obj });
    // A create is not idempotent. Only a refusal made before the server acted (429) is retried as is; after an
    // ambiguous failure (5xx, connection reset) the object may exist, so it is looked up by its marker first and
    // created again only when it is not there: never a blind second create.
    // Reviews (SelfSubjectAccessReview and the like) are answered, never stored, so a retry is harmless, and
    // kube-apiserver refuses them any metadata ("metadata: must be empty"): they go as given.
    if (obj.kind?.endsWith('Review')) return this.call(`create ${obj.kind}`, () => this.send<T>('POST', obj, 'create', { fieldManager }, { body: obj }), opts);
    const marker = randomBytes(8).toString('hex');
    const body = { ...obj, metadata: { ...obj.metadata, labels: { ...obj.metadata?.labels, [createMarkerLabel]: marker } } } as T;
    const deadline = Date.now() + opts.budgetMs;
    const remaining = (): CallOptions => ({ budgetMs: Math.max(1, deadline - Date.now()), signal: opts.signal });
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.call(`create ${obj.kind ?? 'object'}`, () => this.send<T>('POST', body, 'create', { fieldManager }, { body }),
          { ...remaining(), retryable: (err) => err.code === 429 });
      } catch (err) {
        if (!(err instanceof KubeApiError) || err.code === 429 || !isRetryable(err) || opts.signal?.aborted || Date.now() >= deadline) throw err;
        let landed: T | undefined;
        try {
          const found = await this.list<T>({ apiVersion: obj.apiVersion ?? '', kind: obj.kind ?? '' },
            { namespace: obj.metadata?.namespace, labelSelector: `${createMarkerLabel}=${marker}` }, remaining());
          landed = found.items[0];
        } catch (lookup) {
          throw new KubeApiError(`${err.message}; could not tell whether it was created (${lookup instanceof Error ? lookup.message : String(lookup)})`, err.code, err.reason, err.detail);
        }
        if (landed) return { apiVersion: obj.apiVersion, kind: obj.kind, ...landed };
        await pauseBetweenAttempts(Math.min(retryAfterMs(err) ?? 200 * attempt, 2_000), opts.signal);
      }
    }
  }

  /** Patches an object as `kubectl patch` / the osm CLI do: strategic merge by default. */
  async patch<T extends KubernetesObject>(ref: ObjectRef, patch: Record<string, unknown>, opts: CallOptions & { strategy?: PatchStrategy }): Promise<T> {
    this.writeScope?.check('patch', ref);
    const body = { apiVersion: ref.apiVersion, kind: ref.kind, ...patch, metadata: { ...(patch.metadata as object | undefined), name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) } };
    this.sent.push({ verb: 'patch', object: body });
    return this.call(`patch ${describeRef(ref)}`,
      () => this.send<T>('PATCH', body, 'one', { fieldManager }, { body, contentType: opts.strategy ?? patchStrategies.StrategicMergePatch }), opts);
  }

  /** Reads one object; `undefined` when it does not exist (404). */
  async read<T extends KubernetesObject>(ref: ObjectRef, opts: CallOptions): Promise<T | undefined> {
    try {
      return await this.call(`read ${describeRef(ref)}`,
        () => this.send<T>('GET', specOf(ref), 'one', {}), opts);
    } catch (err) {
      if (err instanceof KubeApiError && err.code === 404) return undefined;
      throw err;
    }
  }

  /** Lists objects of a kind, optionally in one namespace and filtered by selectors. */
  async list<T extends KubernetesObject>(
    type: { apiVersion: string; kind: string },
    query: { namespace?: string | undefined; labelSelector?: string | undefined; fieldSelector?: string | undefined },
    opts: CallOptions,
  ): Promise<KubernetesListObject<T>> {
    return this.call(`list ${type.kind}${query.namespace ? ` in ${query.namespace}` : ''}`,
      () => this.send<KubernetesListObject<T>>('GET', { apiVersion: type.apiVersion, kind: type.kind, metadata: query.namespace ? { namespace: query.namespace } : {} }, 'list',
        { fieldSelector: query.fieldSelector, labelSelector: query.labelSelector }), opts);
  }

  /**
   * Deletes one object (background propagation); `false` when it was already gone. `preconditions.resourceVersion`
   * makes the delete conditional (409 Conflict when the object changed since it was read).
   */
  async delete(ref: ObjectRef, opts: CallOptions & { preconditions?: { resourceVersion?: string | undefined } }): Promise<boolean> {
    this.writeScope?.check('delete', ref);
    const body = opts.preconditions?.resourceVersion ? { preconditions: { resourceVersion: opts.preconditions.resourceVersion } } : undefined;
    try {
      await this.call(`delete ${describeRef(ref)}`,
        () => this.send('DELETE', specOf(ref), 'one', { propagationPolicy: 'Background' }, body ? { body } : {}), opts);
      return true;
    } catch (err) {
      if (err instanceof KubeApiError && err.code === 404) return false;
      throw err;
    }
  }

  /**
   * GETs a path of the API server as JSON (discovery documents, collections of any type), with the kubeconfig's
   * credentials, proxy and CA, retried and bounded like every other call.
   */
  async getJson<T>(path: string, opts: CallOptions): Promise<T> {
    return this.call(`GET ${path}`, async () => JSON.parse((await this.request('GET', path, { accept: 'application/json' })).body) as T, opts);
  }

  /** The log of one container (init and sidecar containers included); `previous` for the last crashed run. */
  async podLog(namespace: string, pod: string, container: string, opts: CallOptions & { previous?: boolean; tailLines?: number }): Promise<string> {
    const query = new URLSearchParams({ container, previous: String(opts.previous ?? false), tailLines: String(opts.tailLines ?? 500) });
    return this.call(`read log of ${namespace}/${pod} container ${container}`,
      async () => (await this.request('GET', `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/log?${query.toString()}`, { accept: 'text/plain, application/json' })).body, opts);
  }

  /**
   * Opens one watch stream, as client-node's `Watch` does: resolves once the server has answered; `done` gets null
   * when the server closed the stream, an error otherwise (with `statusCode` for a non-200 answer). Prefer
   * `WatchedCollection`, which relists and re-establishes cut streams.
   */
  async watch(path: string, query: Record<string, string | number | boolean | undefined>,
    onEvent: (type: string, obj: KubernetesObject) => void, done: (err: unknown) => void): Promise<AbortController> {
    const params = new URLSearchParams({ watch: 'true' });
    for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
    const controller = new AbortController();
    let ended = false;
    const end = (err: unknown): void => {
      if (ended) return;
      ended = true;
      controller.abort();
      done(err);
    };
    try {
      // A stream's connection is its own: it is never handed back to the pool for another request to reuse.
      const res = await this.open('GET', `${path}?${params.toString()}`, { accept: 'application/json', connection: 'close' }, controller.signal);
      res.socket.setKeepAlive(true, 30_000);
      if (res.statusCode !== 200) {
        res.resume();
        throw Object.assign(new Error(res.statusMessage || STATUS_CODES[res.statusCode ?? 500] || 'Internal Server Error'), { statusCode: res.statusCode });
      }
      res.on('error', end);
      // The last line is handed on before the stream counts as closed.
      res.on('close', () => setImmediate(() => end(null)));
      const lines = createInterface({ input: res, crlfDelay: Infinity });
      lines.on('line', (line) => {
        let event: { type?: string; object?: KubernetesObject };
        try {
          event = JSON.parse(line) as typeof event;
        } catch {
          return; // not an event (client-node skips these too)
        }
        onEvent(event.type ?? '', event.object ?? {});
      });
      lines.on('error', end); // readline re-emits the stream's errors
      lines.on('close', () => end(null));
    } catch (err) {
      end(err);
    }
    return controller;
  }

  /**
   * One object request as client-node's KubernetesObjectApi makes it: the path from discovery (the kind's resource,
   * namespaced or not; a namespaced object without a namespace goes to `default`), the query, a JSON body. The
   * answer is the server's JSON as sent (no model classes: timestamps stay strings).
   */
  private async send<T>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', spec: KubernetesObject, action: 'one' | 'create' | 'list',
    query: Record<string, string | undefined>, opts: { body?: unknown; contentType?: string } = {}): Promise<T> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, value);
    const path = await this.objectPath(spec, action);
    const res = await this.request(method, params.size ? `${path}?${params.toString()}` : path, {
      accept: 'application/json, */*;q=0.8',
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body), contentType: opts.contentType ?? 'application/json' } : {}),
    });
    return (res.body ? JSON.parse(res.body) : {}) as T;
  }

  private async objectPath(spec: KubernetesObject, action: 'one' | 'create' | 'list'): Promise<string> {
    if (!spec.kind) throw new Error('Required spec property kind is not set');
    const apiVersion = spec.apiVersion || 'v1';
    const resource = await this.resource(apiVersion, spec.kind);
    if (!resource) throw new Error(`Unrecognized API version and kind: ${apiVersion} ${spec.kind}`);
    const namespace = spec.metadata?.namespace || (resource.namespaced && action !== 'list' ? 'default' : undefined);
    const parts = [apiVersionPath(apiVersion)];
    if (resource.namespaced && namespace) parts.push('namespaces', encodeURIComponent(namespace));
    parts.push(resource.name);
    if (action === 'one') {
      if (!spec.metadata?.name) throw new Error('Required spec property name is not set');
      parts.push(encodeURIComponent(spec.metadata.name));
    }
    return parts.join('/').toLowerCase();
  }

  /** The resource serving a kind (discovery, cached per group/version; asked again when the kind is not in it yet). */
  private async resource(apiVersion: string, kind: string): Promise<V1APIResource | undefined> {
    const known = this.discovery.get(apiVersion)?.resources.find((r) => r.kind === kind);
    if (known) return known;
    const list = JSON.parse((await this.request('GET', apiVersionPath(apiVersion), { accept: 'application/json, */*;q=0.8' })).body) as V1APIResourceList;
    this.discovery.set(apiVersion, list);
    return list.resources.find((r) => r.kind === kind);
  }

  /**
   * One request to the API server as the context's user; resolves with the whole answer when it is a 2xx, raises
   * an `ApiStatusError` otherwise. The call's scope names the request (for messages) and aborts it at the budget.
   */
  private async request(method: string, path: string, opts: { accept: string; body?: string; contentType?: string }): Promise<{ status: number; body: string }> {
    const store = this.scope.getStore();
    const res = await this.open(method, path, {
      accept: opts.accept,
      ...(opts.body !== undefined ? { 'content-type': opts.contentType ?? 'application/json', 'content-length': String(Buffer.byteLength(opts.body)) } : {}),
    }, store?.signal, opts.body);
    const chunks: Buffer[] = [];
    for await (const chunk of res) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const status = res.statusCode ?? 0;
    if (status < 200 || status > 299) {
      const headers = Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v ?? '']));
      throw new ApiStatusError(status, body, headers);
    }
    return { status, body };
  }

  /** Sends a request (the path is appended to the server URL, keeping any prefix it has) and resolves with the answer's head. */
  private async open(method: string, path: string, headers: Record<string, string>, signal: AbortSignal | undefined, body?: string): Promise<http.IncomingMessage> {
    const server = this.kubeConfig.getCurrentCluster()?.server ?? '';
    const url = new URL(`${server.replace(/\/+$/, '')}${path}`);
    const store = this.scope.getStore();
    if (store) store.request = { method, path: `${url.pathname}${url.search}` };
    const options: https.RequestOptions = { method, headers: { 'user-agent': userAgent, ...headers } };
    await this.kubeConfig.applyToHTTPSOptions(options);
    const lib = url.protocol === 'http:' ? http : https;
    return new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = lib.request(url, { ...options, ...(signal ? { signal } : {}) }, resolve);
      req.on('error', reject);
      req.end(body);
    });
  }

  private remember(detail: ApiFailureDetail): void {
    this.failures.push(detail);
    if (this.failures.length > maxFailuresKept) this.failures.shift();
  }
}

/**
 * A 404 on a type's collection (not on one object) means the API server does not serve the type at all: say so,
 * with the likely cause, instead of a bare "could not find the requested resource".
 */
export function typeNotServed(err: unknown, obj: KubernetesObject): unknown {
  if (!(err instanceof KubeApiError)) return err;
  const collection404 = err.code === 404 && /could not find the requested resource/i.test(err.message);
  if (!collection404 && !/Unrecognized API version and kind/i.test(err.message)) return err;
  return new KubeApiError(`${err.message}: the API server does not serve ${obj.apiVersion ?? '?'} ${obj.kind ?? '?'} (its CustomResourceDefinition was deleted or is not installed)`, err.code, err.reason, err.detail);
}

/** Settles with `p`, or rejects when `signal` aborts first (`p` is then left to settle unobserved). */
export function untilAborted<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  p.catch(() => undefined);
  if (signal.aborted) return Promise.reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then((v) => {
      signal.removeEventListener('abort', onAbort);
      resolve(v);
    }, (e: unknown) => {
      signal.removeEventListener('abort', onAbort);
      reject(e instanceof Error ? e : new Error(String(e)));
    });
  });
}

/** The root of a group/version's paths: `/api/v1`, `/apis/apps/v1`. */
function apiVersionPath(apiVersion: string): string {
  return `/${apiVersion.includes('/') ? 'apis' : 'api'}/${apiVersion}`;
}

/** The object a reference names, as the object requests take it. */
function specOf(ref: ObjectRef): KubernetesObject {
  return { apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) } };
}

function refLike(obj: KubernetesObject): ObjectRef {
  return { apiVersion: obj.apiVersion ?? '?', kind: obj.kind ?? '?', name: obj.metadata?.name ?? '?', ...(obj.metadata?.namespace ? { namespace: obj.metadata.namespace } : {}) };
}
