/**
 * The RBAC a run needs, as Kubernetes objects, generated from the same lists pre-flight reviews (`runRequirements`)
 * plus what the probes read (`coreReadRequirements`, the profiles' `reads`). `scripts/render-rbac.ts` writes them to
 * deploy/rbac.yaml and into docs/preflight.md; a unit test fails when either is stale, so the shipped role and
 * pre-flight cannot drift apart.
 *
 * Two roles, because a run's rights are of two shapes:
 * - `mesh-conformance-runner` (ClusterRole + ClusterRoleBinding): everything cluster-scoped, every read, and what the
 *   run does inside the namespaces it creates. Those namespaces get a random name (`generateName`) at run time, so no
 *   RoleBinding can exist in them beforehand; binding in them at run time would need the `bind`/`escalate` verbs or
 *   RoleBinding creation rights, which are more than the role itself. So these namespaced rights are granted
 *   cluster-wide, and the harness's write guard (harness/k8s/write-scope.ts) refuses, client-side, any write outside
 *   the namespaces it created.
 * - `mesh-conformance-mesh-namespace` (ClusterRole, bound with a RoleBinding in each namespace that needs it): what a
 *   run does in a namespace that already exists (the mesh's Prometheus through the service proxy or a port-forward,
 *   an Azure Monitor ConfigMap merged and restored). A RoleBinding that references a ClusterRole grants it in that
 *   namespace only.
 */
import { clusterChangeNames } from '../config/config-schema.ts';
import type { MetricsConfig } from '../config/resolve-config.ts';
import type { Flavor } from '../config/targets.ts';
import { flavors } from '../config/targets.ts';
import { ingressProfileFor, ingressProfileNames } from '../ingress/index.ts';
import type { IngressProfileName } from '../ingress/index.ts';
import type { MeshName } from '../mesh/index.ts';
import { createMeshProfile, meshFactory, meshNames } from '../mesh/index.ts';
import type { AccessAlternatives, AccessRequirement } from '../readiness/access-review.ts';
import { placeholderRunNamespace } from '../readiness/access-review.ts';
import { runRequirements } from '../readiness/core-categories.ts';
import { coreReadRequirements } from '../readiness/read-requirements.ts';

/** One PolicyRule of a (Cluster)Role. */
export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

/** The names the shipped manifests use (deploy/, docs/preflight.md). */
export const rbacNames = {
  namespace: 'mesh-conformance',
  serviceAccount: 'mesh-conformance',
  runnerRole: 'mesh-conformance-runner',
  meshNamespaceRole: 'mesh-conformance-mesh-namespace',
} as const;

/** The metrics paths a run may take: each asks for different rights (core-categories.ts `metricsAccess`). */
export const metricsPaths = {
  'in-cluster-prometheus': { prometheusUrl: undefined, logAnalytics: undefined },
  'log-analytics': { prometheusUrl: undefined, logAnalytics: { workspaceId: 'w', endpoint: undefined, token: undefined, tokenFile: undefined, caFile: undefined } },
  external: { prometheusUrl: 'http://prometheus.invalid', logAnalytics: undefined },
} as const;
export type MetricsPath = keyof typeof metricsPaths;

function metricsConfig(path: MetricsPath): MetricsConfig {
  return { ...metricsPaths[path], prometheusToken: undefined, prometheusTokenFile: undefined, prometheusCaFile: undefined, prometheusAuth: 'bearer', cluster: undefined, timeoutMs: 1 };
}

/** One profile combination a run may use. */
export interface RunShape {
  mesh: MeshName;
  flavor: Flavor;
  ingress: IngressProfileName;
  metrics: MetricsPath;
  /** The user allowed cluster-wide changes (`--allow-cluster-change metrics-collection`). */
  clusterChanges: boolean;
}

/** Every requirement of one run shape: its writes and metrics path (what pre-flight reviews) and its reads. */
export function shapeRequirements(shape: RunShape): AccessRequirement[] {
  const d = meshFactory(shape.mesh).defaults(shape.flavor);
  const mesh = createMeshProfile({ mesh: shape.mesh, meshNamespace: d.namespace, meshName: d.meshName, meshRevision: undefined, target: shape.flavor });
  const ingress = ingressProfileFor(shape.ingress, { flavor: shape.flavor, sourceCidr: '10.0.0.0/8', gatewayClass: undefined, gatewayService: undefined, applicationLoadBalancer: undefined });
  const reviewed = runRequirements({ mesh, ingress, metrics: metricsConfig(shape.metrics), clusterChanges: shape.clusterChanges ? clusterChangeNames : [] });
  const flat = reviewed.flatMap((r: AccessRequirement | AccessAlternatives) => ('anyOf' in r ? r.anyOf : [r]));
  return [...flat, ...coreReadRequirements(), ...(mesh.reads?.() ?? []), ...(ingress?.reads?.() ?? [])];
}

/** Every shape the harness supports: each mesh on each flavor, with each ingress profile and each metrics path. */
export function allRunShapes(): RunShape[] {
  const shapes: RunShape[] = [];
  for (const mesh of meshNames) {
    for (const flavor of flavors) {
      for (const ingress of ingressProfileNames) {
        for (const metrics of Object.keys(metricsPaths) as MetricsPath[]) shapes.push({ mesh, flavor, ingress, metrics, clusterChanges: true });
      }
    }
  }
  return shapes;
}

/** Whether a requirement belongs in the cluster-wide role: cluster-scoped, cluster-wide reads, or in the run's own namespaces. */
export function isClusterWide(r: AccessRequirement): boolean {
  return r.namespace === undefined || r.namespace === placeholderRunNamespace;
}

const verbOrder = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'];
const byVerbOrder = (a: string, b: string): number => (verbOrder.indexOf(a) + 1 || 99) - (verbOrder.indexOf(b) + 1 || 99) || a.localeCompare(b);

/**
 * The smallest stable rule list granting every requirement: verbs merged per resource, then resources with the same
 * verbs merged per API group; sorted, so the output only changes when a requirement does.
 */
export function rulesFor(reqs: AccessRequirement[]): PolicyRule[] {
  const verbs = new Map<string, Set<string>>(); // "group\0resource" -> verbs
  for (const r of reqs) {
    const key = `${r.group}\0${r.subresource ? `${r.resource}/${r.subresource}` : r.resource}`;
    const set = verbs.get(key) ?? new Set<string>();
    for (const v of r.verbs) set.add(v);
    verbs.set(key, set);
  }
  const grouped = new Map<string, PolicyRule>(); // "group\0verbs" -> rule
  for (const [key, set] of verbs) {
    const [group = '', resource = ''] = key.split('\0');
    const vs = [...set].sort(byVerbOrder);
    const gk = `${group}\0${vs.join(',')}`;
    const rule = grouped.get(gk) ?? { apiGroups: [group], resources: [], verbs: vs };
    rule.resources.push(resource);
    grouped.set(gk, rule);
  }
  const rules = [...grouped.values()];
  for (const r of rules) r.resources.sort();
  return rules.sort((a, b) => (a.apiGroups[0] ?? '').localeCompare(b.apiGroups[0] ?? '') || (a.resources[0] ?? '').localeCompare(b.resources[0] ?? ''));
}

/** Whether `rules` grant `verb` on a requirement's resource (no wildcards: the generated roles have none). */
export function rulesGrant(rules: PolicyRule[], r: { group: string; resource: string; subresource?: string | undefined }, verb: string): boolean {
  const resource = r.subresource ? `${r.resource}/${r.subresource}` : r.resource;
  return rules.some((rule) => (rule.apiGroups.includes(r.group) || rule.apiGroups.includes('*'))
    && (rule.resources.includes(resource) || rule.resources.includes('*')) && (rule.verbs.includes(verb) || rule.verbs.includes('*')));
}

/** The namespaces outside the run's own that a shape needs rights in (its RoleBindings go there). */
export function boundNamespaces(shape: RunShape): string[] {
  return [...new Set(shapeRequirements(shape).filter((r) => !isClusterWide(r)).map((r) => r.namespace ?? ''))].sort();
}

/** The default shape of the shipped manifests: the first registered mesh on kind, with its own Prometheus. */
export function defaultShape(): RunShape {
  const mesh = meshNames[0];
  return { mesh, flavor: 'kind', ingress: meshFactory(mesh).defaults('kind').ingress as IngressProfileName, metrics: 'in-cluster-prometheus', clusterChanges: false };
}

/** A Kubernetes object as the renderer emits it. */
export type RbacObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> } } & Record<string, unknown>;

const labels = { 'app.kubernetes.io/name': 'mesh-conformance', 'app.kubernetes.io/component': 'rbac' };

/**
 * The RBAC objects: the ServiceAccount a Job or an engine runs the harness as, the two ClusterRoles (over every shape,
 * so one role serves every mesh), the ClusterRoleBinding, and a RoleBinding of the mesh-namespace role in each of
 * `bindIn` (default: the namespaces the default shape needs).
 */
export function rbacObjects(opts: { bindIn?: string[]; namespace?: string } = {}): RbacObject[] {
  const ns = opts.namespace ?? rbacNames.namespace;
  const all = allRunShapes().flatMap(shapeRequirements);
  const runner = rulesFor(all.filter(isClusterWide));
  const meshNamespace = rulesFor(all.filter((r) => !isClusterWide(r)));
  const subject = { kind: 'ServiceAccount', name: rbacNames.serviceAccount, namespace: ns };
  const bindIn = opts.bindIn ?? boundNamespaces(defaultShape());
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: rbacNames.serviceAccount, namespace: ns, labels } },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: rbacNames.runnerRole, labels }, rules: runner },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: rbacNames.meshNamespaceRole, labels }, rules: meshNamespace },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: rbacNames.runnerRole, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: rbacNames.runnerRole }, subjects: [subject],
    },
    ...bindIn.map((where): RbacObject => ({
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: rbacNames.meshNamespaceRole, namespace: where, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: rbacNames.meshNamespaceRole }, subjects: [subject],
    })),
  ];
}

/** Per mesh and flavor (with its default ingress), the namespaces to bind the mesh-namespace role in, per metrics path. */
export function bindingTable(): { mesh: string; flavor: Flavor; metrics: MetricsPath; namespaces: string[] }[] {
  const rows: { mesh: string; flavor: Flavor; metrics: MetricsPath; namespaces: string[] }[] = [];
  for (const mesh of meshNames) {
    for (const flavor of flavors) {
      const ingress = meshFactory(mesh).defaults(flavor).ingress as IngressProfileName;
      for (const metrics of Object.keys(metricsPaths) as MetricsPath[]) {
        rows.push({ mesh, flavor, metrics, namespaces: boundNamespaces({ mesh, flavor, ingress, metrics, clusterChanges: true }) });
      }
    }
  }
  return rows;
}
