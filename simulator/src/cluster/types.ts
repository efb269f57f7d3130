/**
 * The contract between the simulated API server (simulator/src/api) and the simulated cluster's
 * behaviour (controllers, admission, data path). Everything in-process talks to the ObjectStore;
 * every client outside the process talks to the HTTPS API server, which is a thin layer on top of it.
 */

/** Minimal shape of any Kubernetes object held by the store. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  managedFields?: unknown[];
  [field: string]: unknown;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** One printer column of server-side Table output (what `kubectl get` prints). */
export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'date' | 'number' | 'boolean';
  format?: string;
  description?: string;
  priority?: number;
  /** Computes the cell from the object. */
  cell: (obj: KubeObject) => string | number | boolean;
}

/** A kind the API server serves: its REST coordinates and discovery data. */
export interface ResourceType {
  group: string; // '' for the core group
  version: string;
  plural: string;
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  verbs: string[];
  /** Subresources served under /<plural>/<name>/<sub>, e.g. 'status', 'log', 'proxy', 'portforward'. */
  subresources: string[];
  printerColumns: PrinterColumn[];
  /** Served from a CustomResourceDefinition (set by resourceTypesFromCrd). */
  custom?: boolean;
  /** A custom resource's `schema.openAPIV3Schema` for this version, when its CRD declares one. */
  schema?: JsonSchema;
}

/** An OpenAPI v3 (structural) schema node, as CRDs and the published OpenAPI documents hold them. */
export type JsonSchema = Record<string, unknown>;

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface StoreEvent {
  type: Exclude<WatchEventType, 'BOOKMARK' | 'ERROR'>;
  resource: ResourceType;
  object: KubeObject;
  /** For MODIFIED and DELETED, the object before the change. */
  oldObject?: KubeObject;
}

/** What an admission plugin sees: the object after defaulting, before it is stored. */
export interface AdmissionRequest {
  operation: 'CREATE' | 'UPDATE' | 'DELETE';
  resource: ResourceType;
  namespace?: string;
  object: KubeObject; // mutable for mutating plugins (on DELETE: the object being deleted)
  oldObject?: KubeObject;
  subresource?: string;
  dryRun: boolean;
}

/**
 * An admission plugin, like a MutatingWebhookConfiguration / ValidatingWebhookConfiguration entry.
 * mutate() may change req.object in place; validate() returns a denial message or undefined.
 * Either may throw an ApiError (e.g. failurePolicy: Fail with the webhook down).
 */
export interface AdmissionPlugin {
  name: string;
  mutate?(req: AdmissionRequest): void | Promise<void>;
  validate?(req: AdmissionRequest): string | undefined | Promise<string | undefined>;
  /**
   * Where the webhook is served, as its webhook configuration's `clientConfig.service` names it: on a real API server
   * (upstream mode) the calls to that Service and path reach this plugin. Absent: a cluster policy without a webhook
   * configuration of its own; upstream mode then registers one for it (or `builtin` stands for it).
   */
  endpoint?: {
    namespace: string; service: string; path: string;
    /**
     * The CA that signs the certificate this webhook serves: the root its component publishes in the configuration's
     * caBundle (istiod signs its webhook certificate with its own CA). Absent: the cluster's CA, as `caPem` gives it.
     */
    servingCa?: { certPem: string; keyPem: string };
  };
  /** A kube-apiserver admission plugin that does the same on a real API server (upstream mode), instead of a webhook. */
  builtin?: { podSecurity: { enforce: 'baseline' | 'restricted'; exemptNamespaces: string[] } };
}

/** A Kubernetes Status failure, thrown by the store and rendered by the API server as-is. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string, // NotFound, AlreadyExists, Conflict, Invalid, Forbidden, BadRequest, Expired, Gone, InternalError, TooManyRequests, ServiceUnavailable
    message: string,
    readonly details?: { name?: string; group?: string; kind?: string; causes?: { reason?: string; message: string; field?: string }[]; retryAfterSeconds?: number },
  ) {
    super(message);
  }

  toStatus(): KubeObject {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Page size (0 or absent: everything). */
  limit?: number;
  /** The token of the previous page. */
  continue?: string;
  /** '' (latest), '0' (any: complete, limit ignored) or a resourceVersion (not older than it, or exactly it). */
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
}

export interface ListResult {
  items: KubeObject[];
  resourceVersion: string;
  /** Set when a limited list has more: pass it back as `continue`. */
  continue?: string;
  /** How many objects the following pages hold (only for lists without selectors, as upstream). */
  remainingItemCount?: number;
}

export interface WatchOptions extends ListOptions {
  /** Send events after this resourceVersion; '' or '0' means: send ADDED for every current object first. */
  resourceVersion?: string;
  allowBookmarks?: boolean;
}

/**
 * Computes `metadata.managedFields` of a write from the stored object (undefined on create) and the object about to be
 * stored (defaulted); may throw an ApiError (a server-side apply conflict). The API server supplies it; in-process
 * writers leave managedFields as they were.
 */
export type ManagedFieldsHook = (live: KubeObject | undefined, next: KubeObject) => unknown[];

/**
 * The cluster's state: every object of every kind, a single resourceVersion counter,
 * admission on writes, and watches. Synchronous reads; writes are async because admission may be.
 */
export interface ObjectStore {
  readonly types: ResourceTypeRegistry;
  create(resource: ResourceType, obj: KubeObject, opts?: { dryRun?: boolean; managedFields?: ManagedFieldsHook }): Promise<KubeObject>;
  /** Replaces the object; fails with 409 Conflict when metadata.resourceVersion is set and stale. */
  update(resource: ResourceType, obj: KubeObject, opts?: { subresource?: string; dryRun?: boolean; managedFields?: ManagedFieldsHook }): Promise<KubeObject>;
  /** Read-modify-write with retries on conflict; the mutator gets a deep copy. */
  mutate(resource: ResourceType, namespace: string | undefined, name: string, mutator: (obj: KubeObject) => void, opts?: { subresource?: string }): Promise<KubeObject>;
  /** Marks for deletion (finalizers) or removes; the garbage-collector controller then takes care of owned objects. */
  delete(resource: ResourceType, namespace: string | undefined, name: string, opts?: { dryRun?: boolean; propagationPolicy?: string }): Promise<KubeObject>;
  get(resource: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined;
  list(resource: ResourceType, opts?: ListOptions): ListResult;
  /** Streams events; returns an unsubscribe function. Throws ApiError 410 Gone when resourceVersion is too old. */
  watch(resource: ResourceType, opts: WatchOptions, onEvent: (type: WatchEventType, obj: KubeObject) => void): () => void;
  /** In-process controllers subscribe to every change of every kind. */
  onChange(listener: (event: StoreEvent) => void): () => void;
  addAdmissionPlugin(plugin: AdmissionPlugin): void;
  currentResourceVersion(): string;
}

export interface ResourceTypeRegistry {
  all(): ResourceType[];
  /** By group/version/plural as in a URL path. */
  byPath(group: string, version: string, plural: string): ResourceType | undefined;
  /** By kind, optionally restricted to an apiVersion ('v1', 'apps/v1', 'policy.openservicemesh.io/v1alpha1'). */
  byKind(kind: string, apiVersion?: string): ResourceType | undefined;
  register(type: ResourceType): void;
}

/**
 * How the simulated network maps the loopback addresses that sockets really use to the addresses
 * the cluster reports (status.podIP, endpoints) and that mesh policy is written against.
 * Pods and nodes use their loopback address as their cluster address; an out-of-cluster peer such as
 * the AKS Application Gateway has a private cluster address (10.x) that is never bound or dialled.
 */
export interface SimNetwork {
  /** Allocates a fresh loopback address (127.N.x.y) for a pod, node or load balancer of this instance. */
  allocate(purpose: string): string;
  release(address: string): void;
  /** Registers an out-of-cluster peer whose loopback address stands for a virtual cluster address. */
  mapVirtual(loopback: string, clusterAddress: string): void;
  /** The address the mesh sees for a connection from this loopback address. */
  clusterAddressOf(loopback: string): string;
  /**
   * Who takes the outbound connections of a pod (what iptables redirection achieves on a node): its sidecar's handler,
   * `refused` while the redirection exists but nothing listens yet (the sidecar has not started or has no
   * configuration), or undefined (no sidecar: the pod's own connections go out directly through kube-proxy).
   */
  setOutbound(podIP: string, handler: OutboundHandler | 'refused' | undefined): void;
  outboundOf(podIP: string): OutboundHandler | 'refused' | undefined;
  /**
   * Where a connection to a cluster address (a pod IP or an endpoint read from the API) really goes: its loopback
   * address. The identity for an address that is its own loopback address (nodes, load balancers, and every pod when
   * pods use loopback addresses). Dial pod and endpoint addresses through it.
   */
  dialAddressOf(clusterAddress: string): string;
}

/** An HTTP request a pod's process sends to a Service (by name or ClusterIP) or an address. */
export interface OutboundRequest {
  host: string;
  port: number;
  method: string;
  /** Path and query. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** The sending pod's address. */
  from: string;
  /** The sending pod's namespace (short Service names resolve in it). */
  namespace: string;
}

export interface OutboundResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/**
 * Sends one outbound request as the pod's network path does; rejects with an Error carrying a Node `code`
 * (`ECONNREFUSED`, `ECONNRESET`, `ENOTFOUND`, `ETIMEDOUT`) when no HTTP answer comes back.
 */
export type OutboundHandler = (req: OutboundRequest) => Promise<OutboundResponse>;

/** What a sidecar's HTTP filters answer themselves (an Envoy local reply). */
export interface LocalReply {
  status: number;
  body: string;
  /** Why, for the access log. */
  reason: string;
}

/** An inbound HTTP request as route matching and RBAC see it. */
export interface InboundRequestFacts {
  method: string;
  /** Without the query string. */
  path: string;
  /** Lower-cased names. */
  headers: Record<string, string | string[] | undefined>;
}

/**
 * The external authorization a sidecar's HTTP filters ask about each inbound request (Envoy's ext_authz filter): the
 * service, the deadline of one check, and whether a request passes when the check fails (otherwise Envoy answers its
 * `status_on_error`, 403 by default).
 */
export interface ExternalAuthorizationSettings {
  address: string;
  port: number;
  timeoutMs: number;
  failureModeAllow: boolean;
  statPrefix: string;
}

/** Where a sidecar's outbound listener sends a request to a Service port. */
export type OutboundRoute =
  /** Nothing listens on the outbound port (no configuration yet): connection refused. */
  | { kind: 'refused'; reason: string }
  /** No filter chain matches: the proxy closes the connection. */
  | { kind: 'reset'; reason: string }
  /** The proxy answers itself. */
  | { kind: 'local'; status: number; body: string; reason: string }
  /** To one endpoint of the mesh (mTLS stands for the mesh's own, see simulator/README.md). */
  | { kind: 'upstream'; address: string; port: number; service: string; reason: string }
  /** Out of the mesh, as sent: plain TCP to the original destination (kube-proxy picks the endpoint). */
  | { kind: 'passthrough'; reason: string };

/**
 * What the mesh control plane tells a sidecar about inbound traffic, as xDS does for Envoy.
 * The OSM control plane (simulator/src/mesh) implements it; the sidecar (simulator/src/node) asks it
 * for each new inbound connection.
 */
export interface InboundPolicySource {
  /**
   * Whether a connection from `peerClusterAddress` to `port` of this pod may pass. A sidecar whose control
   * plane is unreachable has no configuration for the port, which is a denial too.
   */
  inboundAllowed(pod: KubeObject, port: number, peerClusterAddress: string): boolean;
  /**
   * The HTTP filters' verdict on one request of an allowed connection (route match and per-route RBAC): a local reply,
   * or undefined to pass it to the app. Absent: every request of an allowed connection passes.
   */
  inboundRequest?(pod: KubeObject, port: number, peerClusterAddress: string, req: InboundRequestFacts): LocalReply | undefined;
  /** The external authorization inbound requests of this port go through (after `inboundRequest`), or undefined: none. */
  externalAuthorization?(pod: KubeObject, port: number): ExternalAuthorizationSettings | undefined;
  /** The outbound listener's decision for a request to `host:port` (a Service name or ClusterIP). Absent: no outbound interception. */
  outbound?(pod: KubeObject, host: string, port: number): OutboundRoute;
  /**
   * What the filter chain an allowed ingress connection matched expects on the wire (OSM: the IngressBackend
   * backend's protocol): TLS, with the client certificate it requires and the principals it admits, or plain HTTP.
   * Undefined (or absent): not an ingress filter chain; the connection is served as plain HTTP.
   */
  inboundTransport?(pod: KubeObject, port: number, peerClusterAddress: string): InboundTransport | undefined;
}

/** The transport of an inbound ingress filter chain (see `InboundPolicySource.inboundTransport`). */
export type InboundTransport =
  | { kind: 'plain' }
  /** TLS terminated by the sidecar; with `requireClientCert`, the client's certificate must chain to the mesh's root and carry one of `principals` as a SAN. */
  | { kind: 'tls'; requireClientCert: boolean; principals: readonly string[] };

/** The container runtime's view, for `kubectl logs` and diagnostics. */
export interface LogSource {
  logs(namespace: string, pod: string, container: string, opts?: { tailLines?: number; previous?: boolean }): string | undefined;
}
