/**
 * The cluster enforces the Pod Security Standards' baseline level on every namespace (Pod Security Admission with
 * `enforce: baseline` as its default, as AKS Automatic's Deployment Safeguards and hardened clusters do): an injected
 * pod whose init container adds NET_ADMIN (OSM's osm-init; Istio's istio-init without CNI) is refused at admission,
 * with upstream's message, so the ReplicaSet reports FailedCreate and never gets a pod.
 */
import { ApiError } from '../cluster/types.ts';
import type { KubeObject } from '../cluster/types.ts';
import { defineFault } from './fault.ts';
import type { FlavorName } from '../flavors/names.ts';

/** Capabilities baseline allows to be added (pod-security-admission's `capabilities_baseline` check). */
const allowed = new Set(['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT']);
/** Namespaces exempt from the policy (the control planes'). */
const exemptNamespaces = ['kube-system', 'osm-system', 'istio-system', 'aks-istio-system', 'aks-istio-ingress', 'ingress-nginx'];
const exempt = (ns: string | undefined): boolean => exemptNamespaces.includes(ns ?? '');

interface Container { name?: string; securityContext?: { capabilities?: { add?: string[] } } }

/** Upstream's words for the first violating container (k8s.io/pod-security-admission, check `capabilities_baseline`). */
export function baselineViolation(pod: KubeObject): string | undefined {
  const spec = (pod.spec ?? {}) as { initContainers?: Container[]; containers?: Container[] };
  const bad = [...(spec.initContainers ?? []), ...(spec.containers ?? [])]
    .map((c) => ({ name: c.name ?? '', caps: (c.securityContext?.capabilities?.add ?? []).filter((cap) => !allowed.has(cap)) }))
    .filter((c) => c.caps.length);
  if (!bad.length) return undefined;
  const parts = bad.map((c) => `container "${c.name}" must not include ${c.caps.map((cap) => `"${cap}"`).join(', ')} in securityContext.capabilities.add`);
  return `pods "${pod.metadata.name}" is forbidden: violates PodSecurity "baseline:latest": non-default capabilities (${parts.join('; ')})`;
}

export const podSecurityBaseline = defineFault({
  name: 'pod-security-baseline',
  outcome: 'fail',
  description: 'Pod Security Admission enforces baseline on every namespace: the injected init container\'s NET_ADMIN is refused, the ReplicaSet reports FailedCreate',
  // The AKS Istio add-on runs CNI: its istio-validation init container adds no capability, so baseline admits it.
  flavors: ['kind', 'aks', 'istio-kind'] satisfies FlavorName[],
  hooks: () => ({
    cluster: {
      admissionPolicies: [{
        name: 'PodSecurity',
        // On a real API server (upstream mode), kube-apiserver's own PodSecurity plugin with these defaults.
        builtin: { podSecurity: { enforce: 'baseline', exemptNamespaces } },
        validate: (req) => {
          if (req.resource.kind !== 'Pod' || req.operation !== 'CREATE' || exempt(req.namespace)) return undefined;
          const violation = baselineViolation(req.object);
          if (violation) throw new ApiError(403, 'Forbidden', violation);
          return undefined;
        },
      }],
    },
  }),
});
