/**
 * The mesh-neutral model of a migration from one mesh to another (docs/migration.md): what the source
 * mesh enforces, read from the cluster by its profile (MeshProfileFactory.migration.inventory), and what a target
 * mesh's profile writes for it (migration.plan). The access model is SMI's (Service Mesh Interface: TrafficTarget,
 * HTTPRouteGroup, TCPRoute, TrafficSplit, a mesh-neutral specification) with the semantics the source mesh gives it,
 * plus the mesh's admission of ingress traffic and its mesh-wide settings. Kubernetes facts the translation needs
 * (Services, workloads, Ingress routes) travel with it, so a plan is a pure function of an inventory.
 */
import type { KubernetesObject } from '@kubernetes/client-node';

/** An object in words: `TrafficTarget bookstore/bookstore`. */
export interface SourceRef {
  kind: string;
  namespace?: string;
  name: string;
}

export function describeSource(ref: SourceRef): string {
  return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
}

/** A workload identity: a ServiceAccount (both meshes derive certificates and principals from it). */
export interface WorkloadIdentity {
  namespace: string;
  serviceAccount: string;
}

export function describeIdentity(id: WorkloadIdentity): string {
  return `${id.namespace}/${id.serviceAccount}`;
}

/** A namespace the source mesh manages. */
export interface MigrationNamespace {
  name: string;
  /** New pods get the source mesh's sidecar. */
  injection: boolean;
  /** The mesh scrapes its sidecars' metrics. */
  metrics: boolean;
  /** The source mesh's keys on the namespace, to remove at the cutover. */
  labels: string[];
  annotations: string[];
}

/** One HTTP route of an access rule, as the source mesh matches it. */
export interface HttpRouteMatch {
  /** `<HTTPRouteGroup>/<match>`. */
  name: string;
  /** Matched against the whole path (without the query), RE2. */
  pathRegex: string;
  /** Upper case; `*` for any. */
  methods: string[];
  /** Lower-cased header name → RE2 pattern matched against the whole value. */
  headers: Record<string, string>;
}

/** Who may reach a destination identity, and how (SMI TrafficTarget with its route groups). */
export interface AccessRule {
  ref: SourceRef;
  destination: WorkloadIdentity;
  sources: WorkloadIdentity[];
  /** The HTTP routes it allows (empty: none on HTTP ports; the source mesh answers 404 there). */
  http: HttpRouteMatch[];
  /** The TCP ports it allows; undefined when it names no TCP route (any port at L4). */
  tcpPorts: number[] | undefined;
  /** What the source mesh ignores in it, and why (a match name not in its group, an invalid rule). */
  ignored: string[];
}

/** A weighted split of a Service's traffic over other Services (SMI TrafficSplit). */
export interface TrafficSplitRule {
  ref: SourceRef;
  namespace: string;
  /** The apex Service clients call. */
  apex: string;
  backends: { service: string; weight: number }[];
}

/** Who sends ingress traffic to a backend, as the source mesh names it. */
export type IngressSourceRef =
  | { kind: 'Service'; namespace: string; name: string }
  | { kind: 'IPRange'; cidr: string }
  | { kind: 'AuthenticatedPrincipal'; name: string }
  | { kind: string; name: string };

/** The source mesh's admission of ingress traffic to backend Service ports. */
export interface IngressAdmission {
  ref: SourceRef;
  namespace: string;
  /** `port` is the Service's target port, `tls` an HTTPS backend. */
  backends: { service: string; port: number; protocol: string; tls: boolean }[];
  sources: IngressSourceRef[];
}

/** Mesh-wide settings that decide what the translation must reproduce. */
export interface MeshWideSettings {
  /** Every meshed client may reach every meshed service (no access rules enforced). */
  permissiveTraffic: boolean;
  /** Traffic to destinations outside the mesh passes. */
  egress: boolean;
  /** An external authorization service is called for inbound requests (address:port), or undefined. */
  externalAuthorization: string | undefined;
  /** Where workload certificates come from. */
  certificateProvider: string;
  trustDomain: string;
  /** The ingress admission objects are enforced. */
  ingressAdmissionEnforced: boolean;
}

/** Something of the source mesh's configuration, for the inventory table. */
export interface InventoryItem {
  kind: string;
  namespace?: string;
  name: string;
  /** One line: what it does. */
  summary: string;
}

/** What has no equivalent in the target, with why: listed, never dropped. */
export interface UntranslatableItem {
  ref: string;
  reason: string;
}

/** A Service as the translation needs it. */
export interface ServiceFact {
  namespace: string;
  name: string;
  selector: Record<string, string>;
  ports: { name?: string; port: number; targetPort: number | string; appProtocol?: string }[];
}

/** A workload controller's pods as the translation needs them. */
export interface WorkloadFact {
  kind: string;
  namespace: string;
  name: string;
  serviceAccount: string;
  podLabels: Record<string, string>;
}

/** An Ingress route: host and path to a Service port. */
export interface IngressRouteFact {
  namespace: string;
  /** The Ingress. */
  name: string;
  className: string | undefined;
  host: string | undefined;
  path: string;
  pathType: string;
  service: string;
  port: number | string;
}

/** The Kubernetes objects a translation reads. */
export interface ClusterFacts {
  services: ServiceFact[];
  workloads: WorkloadFact[];
  ingressRoutes: IngressRouteFact[];
}

/** Everything the source mesh enforces, read from the cluster (`migrate inventory`). */
export interface MeshInventory {
  kind: 'MeshMigrationInventory';
  version: 1;
  mesh: { profile: string; title: string; namespace: string | undefined; version: string | undefined; controlPlane: string };
  settings: MeshWideSettings;
  namespaces: MigrationNamespace[];
  accessRules: AccessRule[];
  trafficSplits: TrafficSplitRule[];
  ingress: IngressAdmission[];
  /** The source mesh's objects the neutral model has no place for: carried into the plan as untranslatable. */
  unmodelled: UntranslatableItem[];
  items: InventoryItem[];
  cluster: ClusterFacts;
}

/** Options of a translation. */
export interface PlanOptions {
  /** The target control plane's revision (`asm-1-30`); undefined for an unrevisioned install. */
  revision: string | undefined;
  /** Where the plan's ingress gateway goes. */
  gatewayNamespace: string;
  /** A named fault to inject into the translation (the self-tests' hook, docs/migration.md). */
  translationFault?: string | undefined;
}

/** The manifests of one namespace. */
export interface PlanFile {
  namespace: string;
  objects: KubernetesObject[];
  /** What the file does and what to do around it, as YAML comments. */
  notes: string[];
}

/** The target mesh's equivalent of an inventory (`migrate plan`). */
export interface MigrationPlan {
  kind: 'MeshMigrationPlan';
  version: 1;
  from: string;
  to: string;
  revision: string | undefined;
  files: PlanFile[];
  untranslatable: UntranslatableItem[];
  /** Commands around the apply (relabel namespaces, restart workloads), in order. */
  steps: string[];
  /** Set when a translation fault was injected: the plan is wrong on purpose. */
  translationFault?: string;
}

/** A named fault of a translation: a plan made wrong on purpose to prove `migrate verify` fails. */
export interface TranslationFault {
  name: string;
  description: string;
}
