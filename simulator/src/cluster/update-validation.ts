/**
 * The update rules of kube-apiserver's validation for builtin kinds that clients run into (pkg/apis/core/validation
 * ValidatePodUpdate, apps ValidateDeploymentUpdate / ValidateReplicaSetUpdate): a Pod's spec is immutable but for the
 * fields upstream lets change, its status.qosClass never changes (ValidatePodStatusUpdate), and a workload's selector
 * is immutable. Returns field errors for `invalid()`.
 */
import { deepEqualJson } from './json-equal.ts';
import { GoSyntax } from './field-errors.ts';
import type { FieldError } from './field-errors.ts';
import type { KubeObject, ResourceType } from './types.ts';

type Obj = Record<string, unknown>;

/** Upstream's list, in its words and order (validation.go updatablePodSpecFields). */
const updatablePodSpecFields = [
  '`spec.containers[*].image`',
  '`spec.initContainers[*].image`',
  '`spec.activeDeadlineSeconds`',
  '`spec.tolerations` (only additions to existing tolerations)',
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
];

function spec(o: KubeObject): Obj {
  return (o.spec ?? {}) as Obj;
}

function list(v: unknown): Obj[] {
  return Array.isArray(v) ? (v as Obj[]) : [];
}

/** `RestartPolicy`, `InitContainers`: the Go field name of a JSON field, as go-cmp's diff prints it. */
function goName(field: string): string {
  const special: Record<string, string> = { hostIPC: 'HostIPC', hostPID: 'HostPID', dnsPolicy: 'DNSPolicy', dnsConfig: 'DNSConfig', serviceAccountName: 'ServiceAccountName' };
  return special[field] ?? field.charAt(0).toUpperCase() + field.slice(1);
}

/**
 * The diff upstream appends (`diff.Diff(oldPod.Spec, mungedPodSpec)`), approximated: kube-apiserver prints a unified
 * diff of the Go structs as JSON (1.35) or go-cmp's (1.27); this prints the changed top-level PodSpec fields in the
 * first style, old with `-`, new with `+`, without hunk headers or context.
 */
function podSpecDiff(oldSpec: Obj, newSpec: Obj): string {
  const lines: string[] = [];
  for (const key of [...new Set([...Object.keys(oldSpec), ...Object.keys(newSpec)])]) {
    if (deepEqualJson(oldSpec[key], newSpec[key])) continue;
    lines.push(`- ${JSON.stringify(goName(key))}: ${JSON.stringify(oldSpec[key] ?? null)},`);
    lines.push(`+ ${JSON.stringify(goName(key))}: ${JSON.stringify(newSpec[key] ?? null)},`);
  }
  return `${lines.join('\n')}\n`;
}

function sameToleration(a: Obj, b: Obj): boolean {
  const { tolerationSeconds: _a, ...ra } = a;
  const { tolerationSeconds: _b, ...rb } = b;
  return deepEqualJson(ra, rb);
}

/** ValidatePodUpdate's spec rules (metadata and the per-field validation of the new spec are not modelled). */
export function validatePodUpdate(next: KubeObject, old: KubeObject): FieldError[] {
  const errors: FieldError[] = [];
  const ns = spec(next);
  const os = spec(old);
  for (const key of ['containers', 'initContainers'] as const) {
    if (list(ns[key]).length !== list(os[key]).length) return [{ type: 'Forbidden', field: `spec.${key}`, detail: 'pod updates may not add or remove containers' }];
    list(ns[key]).forEach((c, i) => {
      if (typeof c.image !== 'string' || c.image === '') errors.push({ type: 'Required', field: `spec.${key}[${i}].image` });
    });
  }
  if (errors.length > 0) return errors;

  const newDeadline = ns.activeDeadlineSeconds;
  const oldDeadline = os.activeDeadlineSeconds;
  if (typeof newDeadline === 'number') {
    if (newDeadline < 0 || newDeadline > 2147483647) return [{ type: 'Invalid', field: 'spec.activeDeadlineSeconds', value: newDeadline, detail: 'must be between 0 and 2147483647, inclusive' }];
    if (typeof oldDeadline === 'number' && oldDeadline < newDeadline) return [{ type: 'Invalid', field: 'spec.activeDeadlineSeconds', value: newDeadline, detail: 'must be less than or equal to previous value' }];
  } else if (typeof oldDeadline === 'number') {
    errors.push({ type: 'Invalid', field: 'spec.activeDeadlineSeconds', value: null, detail: 'must not update from a positive integer to nil value' });
  }

  // Only additions to tolerations (an existing one may change its tolerationSeconds only); one error at most.
  const newTolerations = list(ns.tolerations);
  if (list(os.tolerations).some((t) => !newTolerations.some((n) => sameToleration(n, t)))) {
    errors.push({ type: 'Forbidden', field: 'spec.tolerations', detail: 'existing toleration can not be modified except its tolerationSeconds' });
  }

  if (deepEqualJson(ns, os)) return errors;
  const munged: Obj = structuredClone(ns);
  for (const key of ['containers', 'initContainers'] as const) {
    if (Array.isArray(munged[key])) munged[key] = list(munged[key]).map((c, i) => ({ ...c, image: list(os[key])[i]?.image }));
  }
  if (oldDeadline !== undefined) munged.activeDeadlineSeconds = oldDeadline;
  else delete munged.activeDeadlineSeconds;
  if (os.schedulingGates !== undefined) munged.schedulingGates = os.schedulingGates;
  else delete munged.schedulingGates;
  if (os.tolerations !== undefined) munged.tolerations = os.tolerations;
  else delete munged.tolerations;
  if (typeof os.terminationGracePeriodSeconds === 'number' && os.terminationGracePeriodSeconds < 0 && munged.terminationGracePeriodSeconds === 1) {
    munged.terminationGracePeriodSeconds = os.terminationGracePeriodSeconds;
  }
  if (!deepEqualJson(munged, os)) {
    errors.push({ type: 'Forbidden', field: 'spec', detail: `pod updates may not change fields other than ${updatablePodSpecFields.join(',')}\n${podSpecDiff(os, munged)}` });
  }
  return errors;
}

/** `v1.LabelSelector{MatchLabels:map[string]string{"app":"x"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}`, as %#v prints it. */
function goLabelSelector(selector: unknown): string {
  const s = (selector ?? {}) as { matchLabels?: Record<string, string>; matchExpressions?: unknown[] };
  const labels = s.matchLabels ? `map[string]string{${Object.entries(s.matchLabels).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(', ')}}` : 'map[string]string(nil)';
  const expressions = s.matchExpressions?.length ? `[]v1.LabelSelectorRequirement{${s.matchExpressions.map((e) => JSON.stringify(e)).join(', ')}}` : '[]v1.LabelSelectorRequirement(nil)';
  return `v1.LabelSelector{MatchLabels:${labels}, MatchExpressions:${expressions}}`;
}

/** ValidatePodStatusUpdate's rule that clients meet: the QoS class set at creation never changes. */
export function validatePodStatusUpdate(next: KubeObject, old: KubeObject): FieldError[] {
  const qos = (o: KubeObject) => (o.status as Obj | undefined)?.qosClass;
  if (qos(next) === qos(old)) return [];
  return [{ type: 'Invalid', field: 'status.qosClass', value: qos(next) ?? '', detail: 'field is immutable' }];
}

/** The update rules of the builtin kinds that have them (of their status subresource, with `subresource`); [] for everything else. */
export function validateBuiltinUpdate(type: ResourceType, next: KubeObject, old: KubeObject, subresource?: string): FieldError[] {
  if (subresource === 'status') return `${type.group}/${type.kind}` === '/Pod' ? validatePodStatusUpdate(next, old) : [];
  if (subresource !== undefined) return [];
  switch (`${type.group}/${type.kind}`) {
    case '/Pod':
      return validatePodUpdate(next, old);
    case 'apps/Deployment':
    case 'apps/ReplicaSet': {
      const selector = spec(next).selector;
      if (!deepEqualJson(selector, spec(old).selector)) {
        return [{ type: 'Invalid', field: 'spec.selector', value: new GoSyntax(goLabelSelector(selector)), detail: 'field is immutable' }];
      }
      return [];
    }
    default:
      return [];
  }
}
