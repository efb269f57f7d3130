/**
 * What the core needs from an ingress: the objects that route a host to a backend Service, the verdict that the
 * controller accepted them, where the address comes from, and the identity the mesh's ingress policy must admit.
 * An ingress profile is one folder under harness/ingress/<profile>/, registered in harness/ingress/index.ts.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { FeatureProbeContext } from '../checks/features.ts';
import type { KubeClient } from '../k8s/kube-client.ts';
import type { ResourceType } from '../k8s/resources.ts';
import type { AccessRequirement } from '../readiness/access-review.ts';
import type { ReadinessCategory } from '../readiness/readiness-registry.ts';
import type { Observation } from '../wait/wait-for.ts';

/**
 * Who sends the ingress traffic, as the mesh's policy names it: an in-cluster controller's Service, an address
 * range (a gateway outside the cluster), or a workload identity (a mesh gateway's ServiceAccount).
 */
export type IngressSource =
  | { kind: 'Service'; name: string; namespace: string }
  | { kind: 'IPRange'; cidr: string }
  | { kind: 'ServiceAccount'; name: string; namespace: string };
export type IngressSourceKind = IngressSource['kind'];

/** `Service ingress-nginx/ingress-nginx-controller`, `IPRange 10.0.0.0/8`. */
export function describeSource(s: IngressSource): string {
  return s.kind === 'IPRange' ? `IPRange ${s.cidr}` : `${s.kind} ${s.namespace}/${s.name}`;
}

/** What a route to one backend needs. */
export interface RouteRequest {
  namespace: string;
  /** Name of the objects the profile creates. */
  name: string;
  service: string;
  port: number;
  labels: Record<string, string>;
  /** Host the route matches; requests send it as `Host`. Keeps concurrent runs from routing each other's traffic. */
  host: string;
}

/** Where the ingress can be reached. */
export interface IngressAddress {
  host: string;
  port: number;
  url: string;
}

/** A condition on one object, watched until it holds. */
export interface ObjectVerdict<T = KubernetesObject> {
  type: ResourceType;
  namespace: string | undefined;
  name: string;
  /** Completes "waiting for …": `Gateway ns/httpbin to be Accepted and Programmed`. */
  description: string;
  verdict(obj: KubernetesObject | undefined): Observation<T>;
}

/** The route a profile builds: objects to apply, the controller's verdicts on them, and the address. */
export interface IngressRoute {
  objects: KubernetesObject[];
  /** Conditions that must hold before traffic is sent (Gateway API status); empty when the API has none. */
  accepted: ObjectVerdict[];
  address: ObjectVerdict<IngressAddress>;
}

/** What an ingress needs to speak mTLS to a backend's sidecar. */
export interface BackendMtlsRequest {
  /** The Secret holding the client certificate, its key and the CA that verifies the backend (`tls.crt`, `tls.key`, `ca.crt`). */
  secret: { namespace: string; name: string };
  /** The name the backend's certificate must carry. */
  backendName: string;
}

/** One ingress: how to route through it, whom the mesh must trust, what must run for it. */
export interface IngressProfile {
  /** The registry key (`nginx`). */
  readonly name: string;
  /** For titles: `ingress-nginx`, `Application Gateway Ingress Controller`. */
  readonly title: string;
  /** The kind of identity it presents, so a mesh that cannot admit that kind is refused before a run. */
  readonly sourceKind: IngressSourceKind;
  /**
   * The controller publishes the address before the route is programmed (AGIC writes the Ingress IP, then programs
   * the Application Gateway over minutes), so a refusal seen before any 200 could come from a route that is not there
   * yet. The ingress check then proves the refusal after the route has answered 200: it revokes the admission.
   */
  readonly addressBeforeRoute?: boolean;
  /**
   * What the ingress answers when the backend resets the connection (a mesh sidecar that refuses its source): 502 for
   * ingress-nginx and the Application Gateway; default [502].
   */
  readonly backendResetStatuses?: readonly number[];
  /** Features extended checks may need (see harness/checks/catalogue.ts). */
  readonly features?: readonly string[];
  /** Features it can never serve, with the reason and what to use instead (harness/checks/features.ts). */
  readonly refusedFeatures?: Readonly<Record<string, string>>;
  /** Why this cluster lacks one of `features` (harness/checks/features.ts); undefined: it has it. */
  featureUnavailable?(feature: string, ctx: FeatureProbeContext): Promise<string | undefined>;
  /** The resource types it writes into the run's namespace (RBAC, diagnostics). */
  readonly writes: readonly ResourceType[];
  route(req: RouteRequest): IngressRoute;
  /** The route over mTLS to the backend (feature `ingress-mtls`): the same objects, set to present the client certificate. */
  mtlsRoute?(req: RouteRequest, mtls: BackendMtlsRequest): IngressRoute;
  /** The identity the mesh's policy must admit for this route (read from the cluster when it depends on it). */
  source(client: KubeClient, req: RouteRequest, budgetMs: number): Promise<IngressSource>;
  /** Readiness categories: the controller runs, its class exists. */
  readiness(): ReadinessCategory[];
  /** Permissions beyond writing its kinds in the run's namespace (reading the controller's pods, say). */
  access(runNamespace: string): AccessRequirement[];
  /** What its readiness checkers read beyond the core's reads (its own kinds): granted by the shipped RBAC, not reviewed. */
  reads?(): AccessRequirement[];
}

/**
 * The host of a run namespace: every namespace gets a rule of its own, so N copies of the flow (or two runs)
 * behind one controller never route each other's traffic. `.test` is reserved (RFC 2606).
 */
export function ingressHostFor(namespace: string): string {
  return `${namespace}.mesh-conformance.test`;
}
