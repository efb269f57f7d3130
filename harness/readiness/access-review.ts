import type { KubernetesObject } from '@kubernetes/client-node';
import type { KubeClient } from '../k8s/kube-client.ts';
import { namespacePrefix } from '../k8s/namespaces.ts';
import type { ReadinessLine } from './readiness-result.ts';
import { fail, ok } from './readiness-result.ts';

/** One permission the suite needs, asked as a SelfSubjectAccessReview. */
export interface AccessRequirement {
  verbs: string[];
  group: string;
  resource: string;
  subresource?: string;
  /** Undefined: cluster-scoped. */
  namespace?: string | undefined;
  why: string;
}

/** Alternatives: the suite needs one of them (e.g. the service proxy or, failing that, a port-forward). */
export interface AccessAlternatives {
  anyOf: AccessRequirement[];
  why: string;
}

/**
 * A namespace name of the shape the run will create (`mesh-conformance-xxxxx`): the real one does not exist yet, so
 * only permissions granted cluster-wide (ClusterRoleBinding) can cover it, which is what the review must find out.
 */
export const placeholderRunNamespace = `${namespacePrefix}preflight`;

/**
 * What every run does to the cluster whatever the mesh, as permissions: create, onboard and delete its namespace,
 * deploy the sample, watch its pods, read logs and events for diagnostics. Mesh, ingress and metrics requirements
 * are added by their owners (`MeshProfile.access`, `IngressProfile.access`, the metrics source).
 */
export function coreRequirements(): AccessRequirement[] {
  const ns = placeholderRunNamespace;
  const rw = ['create', 'patch', 'get', 'delete'];
  return [
    { verbs: ['create', 'get', 'list', 'watch', 'patch', 'delete'], group: '', resource: 'namespaces', why: 'create, onboard and delete the run\'s namespace' },
    { verbs: rw, group: '', resource: 'serviceaccounts', namespace: ns, why: 'deploy httpbin' },
    { verbs: rw, group: '', resource: 'services', namespace: ns, why: 'deploy httpbin' },
    { verbs: [...rw, 'list', 'watch'], group: 'apps', resource: 'deployments', namespace: ns, why: 'deploy httpbin' },
    { verbs: ['get', 'list', 'watch'], group: '', resource: 'pods', namespace: ns, why: 'wait for httpbin to be Ready with its sidecar' },
    { verbs: ['list', 'watch'], group: 'apps', resource: 'replicasets', namespace: ns, why: 'fail at once when the ReplicaSet cannot create the pod (FailedCreate)' },
    { verbs: ['get'], group: '', resource: 'pods', subresource: 'log', namespace: ns, why: 'collect container logs when a check fails' },
    { verbs: ['list'], group: '', resource: 'events', namespace: ns, why: 'collect events when a check fails' },
  ];
}

/** Read-write permissions on a resource type in the run's namespace (what a profile needs for the kinds it writes). */
export function writeRequirement(type: { apiVersion: string; plural: string }, why: string): AccessRequirement {
  const group = type.apiVersion.includes('/') ? type.apiVersion.slice(0, type.apiVersion.indexOf('/')) : '';
  return { verbs: ['create', 'patch', 'get', 'delete', 'list', 'watch'], group, resource: type.plural, namespace: placeholderRunNamespace, why };
}

/** `deployments.apps`, `pods/log`. */
export function resourceName(r: { group: string; resource: string; subresource?: string | undefined }): string {
  return `${r.resource}${r.group ? `.${r.group}` : ''}${r.subresource ? `/${r.subresource}` : ''}`;
}

interface ReviewVerdict {
  allowed: boolean;
  reason: string | undefined;
}

async function review(client: KubeClient, r: AccessRequirement, verb: string, budgetMs: number): Promise<ReviewVerdict> {
  const got = await client.create<KubernetesObject & { status?: { allowed?: boolean; denied?: boolean; reason?: string; evaluationError?: string } }>({
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectAccessReview',
    spec: {
      resourceAttributes: {
        verb, group: r.group, resource: r.resource,
        ...(r.subresource ? { subresource: r.subresource } : {}),
        ...(r.namespace ? { namespace: r.namespace } : {}),
      },
    },
  } as KubernetesObject, { budgetMs, nonPersisted: true });
  return { allowed: got.status?.allowed === true, reason: got.status?.reason || got.status?.evaluationError || undefined };
}

function where(r: AccessRequirement): string {
  if (!r.namespace) return 'cluster-wide';
  return r.namespace === placeholderRunNamespace ? 'in the namespaces the run creates' : `in namespace ${r.namespace}`;
}

function canI(r: AccessRequirement, verb: string): string {
  return `kubectl auth can-i ${verb} ${resourceName(r)}${r.namespace ? ` -n ${r.namespace}` : ''}`;
}

/**
 * Asks the API server (SelfSubjectAccessReview) for every permission; one fail line per resource with the verbs
 * denied, the reason the authorizer gave, and the `kubectl auth can-i` line that reproduces it; one ok line when
 * everything is granted.
 */
export async function checkAccess(client: KubeClient, reqs: (AccessRequirement | AccessAlternatives)[], budgetMs: number, idPrefix = 'permissions'): Promise<ReadinessLine[]> {
  const lines: ReadinessLine[] = [];
  let granted = 0;
  const hint = (r: AccessRequirement, denied: string[]): string =>
    `a cluster admin must grant it with a ClusterRole bound to you (docs/preflight.md lists the full role); reproduce with \`${canI(r, denied[0] ?? 'get')}\``;
  const denials = async (r: AccessRequirement): Promise<{ denied: string[]; reasons: string[] }> => {
    const verdicts = await Promise.all(r.verbs.map(async (v) => ({ v, ...(await review(client, r, v, budgetMs)) })));
    granted += verdicts.filter((x) => x.allowed).length;
    return { denied: verdicts.filter((x) => !x.allowed).map((x) => x.v), reasons: [...new Set(verdicts.filter((x) => !x.allowed && x.reason).map((x) => x.reason ?? ''))] };
  };
  for (const req of reqs) {
    if ('anyOf' in req) {
      const results = await Promise.all(req.anyOf.map(async (r) => ({ r, ...(await denials(r)) })));
      if (results.every((x) => x.denied.length)) {
        const options = results.map((x) => `${x.denied.join(', ')} ${resourceName(x.r)} ${where(x.r)} (${x.r.why})`).join(', or ');
        const first = results[0];
        lines.push(fail(`${idPrefix}/${first ? resourceName(first.r) : 'alternatives'}`, `RBAC: may not ${options}; one of them is needed to ${req.why}${first?.reasons.length ? ` (${first.reasons.join('; ')})` : ''}`, first ? hint(first.r, first.denied) : ''));
      }
      continue;
    }
    const { denied, reasons } = await denials(req);
    if (denied.length) {
      lines.push(fail(`${idPrefix}/${resourceName(req)}`, `RBAC: may not ${denied.join(', ')} ${resourceName(req)} ${where(req)}, needed to ${req.why}${reasons.length ? ` (${reasons.join('; ')})` : ''}`, hint(req, denied)));
    }
  }
  return lines.length ? lines : [ok(`${idPrefix}/granted`, `RBAC: ${granted} permissions granted (SelfSubjectAccessReview)`)];
}
