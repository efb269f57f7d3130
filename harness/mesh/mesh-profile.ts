/**
 * What the core needs from a service mesh, and nothing it may assume about one. A mesh profile (one folder under
 * harness/mesh/<mesh>/, registered in harness/mesh/index.ts) owns: how a namespace is onboarded, what an injected
 * pod looks like, the ingress policy and its verdict, the proof that a response went through the sidecar, the
 * metrics that count the suite's traffic, its control plane's readiness categories and RBAC, and its report title.
 * Specs, fixtures and the CLI reach a mesh only through this interface.
 */
import type { KubernetesObject, V1Namespace, V1Pod } from '@kubernetes/client-node';
import type { FeatureProbeContext } from '../checks/features.ts';
import type { IngressSource, IngressSourceKind } from '../ingress/ingress-profile.ts';
import type { KubeClient } from '../k8s/kube-client.ts';
import type { ResourceType } from '../k8s/resources.ts';
import type { SharedChange } from '../k8s/shared-change.ts';
import type { SharedObject } from '../k8s/write-scope.ts';
import type { MeshMetrics } from '../metrics/mesh-metrics.ts';
import type { AccessRequirement } from '../readiness/access-review.ts';
import type { ReadinessCategory } from '../readiness/readiness-registry.ts';
import type { Observation } from '../wait/wait-for.ts';
import type { SampleWorkload } from '../workloads/sample-workload.ts';
import type { WorkloadCertificates } from '../certificates/workload-certificates.ts';
import type { MeshDapr } from '../dapr/dapr-readiness.ts';
import type { MeshFlagger } from '../progressive-delivery/flagger-readiness.ts';

/** Labels and annotations of a namespace (a strategic-merge patch, or what must read back). */
export interface NamespaceMetadata {
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** One write that onboards a namespace, named as the mesh's own tooling names it (`<mesh> namespace add`). */
export interface OnboardingStep {
  title: string;
  metadata: NamespaceMetadata;
}

/** How a namespace joins the mesh. */
export interface Onboarding {
  /** The writes, in order (injection reads them at pod CREATE, so they come before any workload). */
  steps(): OnboardingStep[];
  /** What an onboarded namespace (with metrics enabled) reads back. */
  expected(): NamespaceMetadata;
  /** Whether pods created in this namespace get the sidecar (the readiness check looks for pods without one). */
  injectionEnabled(ns: V1Namespace): boolean;
}

/** What an injected pod looks like. */
export interface SidecarShape {
  /** For step titles: `the proxy sidecar and its init container`. */
  readonly description: string;
  readonly containerName: string;
  /** Every way the pod falls short of being injected (empty when it is). */
  problems(pod: V1Pod): string[];
  /** The pod carries the sidecar (in `containers`, or as a native sidecar in `initContainers`). */
  present(pod: V1Pod): boolean;
  /** The pod opted out of injection on purpose (it is not a pod "without a sidecar"). */
  optedOut(pod: V1Pod): boolean;
}

/** What the ingress policy needs to admit traffic from the ingress to one backend Service port. */
export interface IngressPolicyRequest {
  namespace: string;
  name: string;
  service: string;
  port: number;
  /** The identity the ingress presents (from the ingress profile). */
  source: IngressSource;
  labels: Record<string, string>;
  /** What the ingress answers when the backend resets the connection (from the ingress profile; 502 for most). */
  backendResetStatuses: readonly number[];
}

/** An HTTP answer the mesh must give, as the ingress client sees it. */
export interface ExpectedAnswer {
  status: number;
  /** Other statuses that count as this answer (an ingress whose error status for a reset backend is not known for sure). */
  alsoStatuses?: readonly number[];
  /** Text the body must contain (`RBAC: access denied`). */
  bodyIncludes?: string;
  /** For step titles and messages: `502 while nothing admits the ingress`. */
  description: string;
}

/** A mesh policy that admits ingress traffic to a backend only over TLS. */
export interface TlsBackendPolicy {
  namespace: string;
  /** The backend Service. */
  service: string;
  /** The policy object, as the mesh names it: `<Kind> ns/name`. */
  policy: string;
  /** What makes it TLS: `protocol https`, `tls set`. */
  why: string;
}

/** The response the client saw, as far as the proof of the sidecar needs it. */
export interface SeenResponse {
  method: 'GET' | 'HEAD';
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * The mesh's gate on ingress traffic, proven in two phases: refused before the mesh admits the ingress, then
 * answered through the sidecar once it does.
 */
export interface IngressPolicy {
  /** The admitting object's kind, for titles (the mesh's own API kind). */
  readonly kind: string;
  /** The resource types the policy writes: RBAC, diagnostics, the write guard. */
  readonly types: readonly ResourceType[];
  /** The source kinds this mesh can admit; an ingress profile presenting another one cannot be paired with it. */
  readonly admits: readonly IngressSourceKind[];
  /**
   * The mesh's ingress policies that expect the ingress to speak TLS to a backend (HTTPS, or mTLS with a client
   * certificate), cluster-wide: an ingress that speaks only HTTP to backends cannot serve them.
   */
  tlsBackends?(client: KubeClient, budgetMs: number): Promise<TlsBackendPolicy[]>;
  /** Why the source cannot work with this mesh as it is set up (OSM: the controller's namespace must be in the mesh). */
  sourceProblem(client: KubeClient, source: IngressSource, budgetMs: number): Promise<string | undefined>;
  /** Objects that make the mesh refuse the ingress (none when the absence of an admitting object already refuses), and the refusal. */
  refused(req: IngressPolicyRequest): { objects: KubernetesObject[]; answer: ExpectedAnswer };
  /** Objects that admit the ingress. */
  admit(req: IngressPolicyRequest): KubernetesObject[];
  /** The control plane accepted one of the admitting objects; fails fast when it reports an error. */
  accepted(obj: KubernetesObject | undefined): Observation<KubernetesObject>;
  /** What "accepted" means, for step titles (`committed`). */
  readonly acceptedDescription: string;
  /** Proof that a 2xx went through the workload's sidecar (a HEAD has no body): a problem in words, or undefined. */
  throughSidecar(req: IngressPolicyRequest, res: SeenResponse): string | undefined;
  /** For titles and messages: `with x-envoy-upstream-service-time`. */
  readonly throughSidecarDescription: string;
}

/** Inbound external authorization as the mesh's configuration sets it: where the sidecars ask, and what they do when it does not answer. */
export interface ExternalAuthorizationState {
  enabled: boolean;
  /** The authorization service (`opa.opa.svc.cluster.local:9191`), when enabled. */
  address: string;
  port: number;
  /** Whether requests pass when the service fails or does not answer in time. */
  failureModeAllow: boolean;
  timeout: string | undefined;
  /** The object that holds the settings, in words (`<Kind> <namespace>/<name>`). */
  source: string;
}

/**
 * A mesh whose sidecars can ask an external authorization service (Envoy's ext_authz) about every inbound request:
 * how to read the setting, and the cluster-wide change that turns it on with a given service (docs/external-authorization.md).
 */
export interface MeshExternalAuthorization {
  /** The setting as it is now; undefined when the object that holds it does not exist. */
  current(client: KubeClient, budgetMs: number): Promise<ExternalAuthorizationState | undefined>;
  /** The authorization service the check turns it on with when it is off (the mesh's docs' OPA demo). */
  readonly defaultService: { namespace: string; name: string; port: number };
  /** The cluster-wide change this needs (`clusterChangeNames`: `external-authorization`). */
  readonly clusterChange: string;
  /** The change (name `clusterChange`) that turns it on with the default service, failing closed. */
  enable(): SharedChange;
  /** The permission that change needs (pre-flight asks for it when cluster changes are allowed; the shipped RBAC grants it). */
  readonly changeAccess: AccessRequirement;
}

/** Where the mesh puts the ingress's client certificate, and what it must hold. */
export interface GatewayCertificate {
  /** The cluster-wide change that makes the mesh issue it (applied only when allowed, restored after the check). */
  change: SharedChange;
  secret: { namespace: string; name: string };
  /** The keys the Secret must hold (`ca.crt`, `tls.crt`, `tls.key`). */
  keys: readonly string[];
  /** The key of the certificate chain whose SAN must be the principal. */
  certificateKey: string;
}

/**
 * Ingress over mTLS (the extended check `ingress-mtls`): the mesh issues the ingress a client certificate, and its
 * ingress policy admits the ingress only over TLS with that identity (the OSM profile: its configuration's ingress
 * gateway certificate, and an https backend with an authenticated-principal source).
 */
export interface MeshIngressMtls {
  /** The cluster-wide change this needs (`clusterChangeNames`), named in the skip reason when it is not allowed. */
  readonly clusterChange: string;
  /** The permission that change needs (pre-flight asks for it when the change is allowed; the shipped RBAC grants it). */
  readonly changeAccess: AccessRequirement;
  /** The identity (a SAN) the ingress's client certificate carries for this source. */
  principal(source: IngressSource): string;
  /** The mesh's configuration change that issues the certificate into a Secret in `namespace`. */
  gatewayCertificate(req: { namespace: string; principal: string }): GatewayCertificate;
  /** The name the backend's sidecar certificate carries, which the ingress verifies (`<sa>.<ns>.<trust domain>`). */
  backendName(namespace: string, serviceAccount: string): string;
  /** The objects that admit the ingress only over TLS with `principal` (they replace the core check's admission). */
  admit(req: IngressPolicyRequest, principal: string): KubernetesObject[];
  /** What the ingress answers while it still speaks plain HTTP to the backend that now expects TLS. */
  plainRefused(req: IngressPolicyRequest): ExpectedAnswer;
  /**
   * Why an answer over mTLS cannot turn into 200 by waiting (undefined: it may): the sidecar completed the handshake
   * and its policy refused the certificate's identity, which only a configuration change can lift.
   */
  principalRefused(res: SeenResponse, principal: string): string | undefined;
}

/** The settings a profile is created with (resolved configuration). */
export interface MeshSettings {
  /** Where the control plane runs. */
  namespace: string;
  /** OSM's mesh name (`osm`); unused by meshes without one. */
  meshName: string;
  /** Istio's revision (`asm-1-30`); undefined for an unrevisioned install or a mesh without revisions. */
  revision: string | undefined;
  target: 'local' | 'kind' | 'aks';
}

/** Everything mesh-specific the suite relies on. */
export interface MeshProfile {
  /** The registry key (`osm`). */
  readonly name: string;
  /** The mesh as people name it: the report's epic (`Open Service Mesh (OSM)`). */
  readonly title: string;
  readonly settings: MeshSettings;
  /** One line for run headers and the report environment: `<mesh> (in <namespace>)`. */
  describe(): string;
  /** The sample workload this mesh's docs use. */
  readonly sample: SampleWorkload;
  readonly onboarding: Onboarding;
  readonly sidecar: SidecarShape;
  readonly ingressPolicy: IngressPolicy;
  readonly metrics: MeshMetrics;
  /** Features extended checks may need (see harness/checks/catalogue.ts). */
  readonly features: readonly string[];
  /** How the mesh admits the ingress over mTLS (the extended check `ingress-mtls`). */
  readonly ingressMtls?: MeshIngressMtls;
  /** The identity its sidecars present and where to read it (the extended check `workload-identity`). */
  readonly workloadCertificates?: WorkloadCertificates;
  /** How Flagger works with this mesh (its `-mesh-provider`), for `check` (harness/progressive-delivery/). */
  readonly flagger?: MeshFlagger;
  /** The mesh's inbound external authorization (the extended check `external-authorization`). */
  readonly externalAuthorization?: MeshExternalAuthorization;
  /** How the mesh keeps Dapr's control-plane traffic out of its sidecar, for `check` (harness/dapr/). */
  readonly dapr?: MeshDapr;
  /** Why this cluster lacks one of `features` (harness/checks/features.ts); undefined: it has it. */
  featureUnavailable?(feature: string, ctx: FeatureProbeContext): Promise<string | undefined>;
  /** Readiness categories of this mesh: control plane, CRDs and webhooks, its configuration, namespaces. */
  readiness(): ReadinessCategory[];
  /** Permissions a run needs for what this mesh makes it write or read (besides the core's). */
  access(runNamespace: string): AccessRequirement[];
  /** What its readiness checkers read beyond the core's reads (its own kinds): granted by the shipped RBAC, not reviewed. */
  reads?(): AccessRequirement[];
  /** Cluster-wide objects a run may edit, each with the cluster change that allows it (merged and restored): the write guard's exceptions. */
  sharedObjects(): SharedObject[];
  /** The control plane's version as the cluster reports it (undefined: not found). */
  version(client: KubeClient, budgetMs: number): Promise<string | undefined>;
  /** What the report's environment shows besides the version (a revision, the data-plane mode), read from the cluster. */
  environment(client: KubeClient, budgetMs: number): Promise<Record<string, string>>;
}
