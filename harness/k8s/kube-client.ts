import { AsyncLocalStorage } from 'node:async_hooks';
import http from 'node:http';
import https from 'node:https';
import { randomBytes } from 'node:crypto';
import type {
  CoreV1Api, KubeConfig, KubernetesListObject, KubernetesObject, KubernetesObjectApi, PatchStrategy, RequestContext, Watch,
} from '@kubernetes/client-node';
import { clientNode, patchStrategies } from './client-node.ts';
import type { ApiFailureDetail, ApiRequest } from './api-error.ts';
import { KubeApiError, isRetryable, retryAfterMs, toKubeApiError } from './api-error.ts';
import type { ObjectRef } from './resources.ts';
import type { WriteScope } from './write-scope.ts';
import { CredentialError } from './exec-credential.ts';
import { resolveKubeconfig, toKubeConfig } from './kubeconfig.ts';
import type { ResolvedKubeconfig } from './kubeconfig.ts';
import { describeRef } from './resources.ts';
import { pauseBetweenAttempts } from '../wait/delay.ts';
import { formatDuration, timeouts } from '../timeouts.ts';
import { redactUrl } from '../report/redact.ts';

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
  readonly kubeConfig: KubeConfig;
  /** Raw details of recent failed calls (headers, body), for the diagnostics attachment. */
  readonly failures: ApiFailureDetail[] = [];
  /** When set, every write outside the run's own namespaces (and named shared objects) is refused before it is sent. */
  writeScope: WriteScope | undefined;
  /** Every manifest the harness sent (apply, create, patch), in order: the report attaches those of each check. */
  readonly sent: SentManifest[] = [];
  private readonly scope = new AsyncLocalStorage<CallScope>();
  private readonly objects: KubernetesObjectApi;
  private readonly core: CoreV1Api;
  private readonly watcher: Watch;

  /**
   * Loads a kubeconfig (one file or a KUBECONFIG-style list, read once per process) and selects the context;
   * throws a one-line `KubeconfigError` when it is unusable. Exec plugins are bounded by `credentialBudgetMs`
   * (default timeouts.apply).
   */
  static connect(access: ClusterAccess): KubeClient {
    const resolved = resolveKubeconfig(access.kubeconfig, access.context);
    return new KubeClient(toKubeConfig(resolved, { budgetMs: access.credentialBudgetMs ?? timeouts.apply }), resolved);
  }

  constructor(kubeConfig: KubeConfig, readonly resolved?: ResolvedKubeconfig) {
    this.kubeConfig = kubeConfig;
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error(`kubeconfig has no cluster for context "${kubeConfig.getCurrentContext()}"`);
    const capture = {
      pre: (ctx: RequestContext): Promise<RequestContext> => {
        const store = this.scope.getStore();
        if (store) {
          const url = new URL(ctx.getUrl());
          store.request = { method: ctx.getHttpMethod().toString(), path: `${url.pathname}${url.search}` };
          if (store.signal) ctx.setSignal(store.signal);
        }
        return Promise.resolve(ctx);
      },
      post: <R>(rsp: R): Promise<R> => Promise.resolve(rsp),
    };
    const { CoreV1Api, KubernetesObjectApi, ServerConfiguration, Watch, createConfiguration } = clientNode();
    const configuration = createConfiguration({
      baseServer: new ServerConfiguration(cluster.server, {}),
      authMethods: { default: kubeConfig },
      promiseMiddleware: [capture],
    });
    this.objects = new KubernetesObjectApi(configuration);
    this.core = new CoreV1Api(configuration);
    this.watcher = new Watch(kubeConfig);
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
      () => this.objects.patch<T>(obj, undefined, undefined, fieldManager, true, patchStrategies.ServerSideApply), opts)
      .catch((err: unknown) => { throw typeNotServed(err, obj); });
  }

  /**
   * Creates an object as given (use for `generateName`, which apply cannot do). `nonPersisted` marks a create the
   * API server evaluates without storing anything (SelfSubjectAccessReview, TokenReview): it is safe to repeat, so
   * it is retried like a read, never looked up by marker.
   */
  async create<T extends KubernetesObject>(obj: T, opts: CallOptions & { nonPersisted?: boolean }): Promise<T> {
    if (opts.nonPersisted) {
      return this.call(`create ${obj.kind ?? 'object'}`, () => this.objects.create<T>(obj), opts);
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
    if (obj.kind?.endsWith('Review')) return this.call(`create ${obj.kind}`, () => this.objects.create<T>(obj, undefined, undefined, fieldManager), opts);
    const marker = randomBytes(8).toString('hex');
    const body = { ...obj, metadata: { ...obj.metadata, labels: { ...obj.metadata?.labels, [createMarkerLabel]: marker } } } as T;
    const deadline = Date.now() + opts.budgetMs;
    const remaining = (): CallOptions => ({ budgetMs: Math.max(1, deadline - Date.now()), signal: opts.signal });
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.call(`create ${obj.kind ?? 'object'}`, () => this.objects.create<T>(body, undefined, undefined, fieldManager),
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
      () => this.objects.patch<T>(body as T, undefined, undefined, fieldManager, undefined, opts.strategy ?? patchStrategies.StrategicMergePatch), opts);
  }

  /** Reads one object; `undefined` when it does not exist (404). */
  async read<T extends KubernetesObject>(ref: ObjectRef, opts: CallOptions): Promise<T | undefined> {
    try {
      return await this.call(`read ${describeRef(ref)}`,
        () => this.objects.read<T>({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) } }), opts);
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
      () => this.objects.list<T>(type.apiVersion, type.kind, query.namespace, undefined, undefined, undefined, query.fieldSelector, query.labelSelector), opts);
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
        () => this.objects.delete({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) } },
          undefined, undefined, undefined, undefined, 'Background', body), opts);
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
    return this.call(`GET ${path}`, async () => {
      const store = this.scope.getStore();
      if (store) store.request = { method: 'GET', path };
      const server = this.kubeConfig.getCurrentCluster()?.server ?? '';
      const url = new URL(path, server.endsWith('/') ? server : `${server}/`);
      const options: https.RequestOptions = { method: 'GET', headers: { accept: 'application/json' } };
      await this.kubeConfig.applyToHTTPSOptions(options);
      const lib = url.protocol === 'http:' ? http : https;
      const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = lib.request(url, { ...options, ...(store?.signal ? { signal: store.signal } : {}) }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end();
      });
      if (status !== 200) throw Object.assign(new Error(body.slice(0, 300)), { code: status, body, headers: {} });
      return JSON.parse(body) as T;
    }, opts);
  }

  /** The log of one container (init and sidecar containers included); `previous` for the last crashed run. */
  async podLog(namespace: string, pod: string, container: string, opts: CallOptions & { previous?: boolean; tailLines?: number }): Promise<string> {
    return this.call(`read log of ${namespace}/${pod} container ${container}`,
      () => this.core.readNamespacedPodLog({ name: pod, namespace, container, previous: opts.previous ?? false, tailLines: opts.tailLines ?? 500 }), opts);
  }

  /**
   * Opens one watch stream (client-node `Watch`); `done` gets null when the server closed it, an error otherwise.
   * Prefer `WatchedCollection`, which relists and re-establishes cut streams.
   */
  async watch(path: string, query: Record<string, string | number | boolean | undefined>,
    onEvent: (type: string, obj: KubernetesObject) => void, done: (err: unknown) => void): Promise<AbortController> {
    return this.watcher.watch(path, query, (type: string, obj: unknown) => onEvent(type, obj as KubernetesObject), done);
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

function refLike(obj: KubernetesObject): ObjectRef {
  return { apiVersion: obj.apiVersion ?? '?', kind: obj.kind ?? '?', name: obj.metadata?.name ?? '?', ...(obj.metadata?.namespace ? { namespace: obj.metadata.namespace } : {}) };
}
