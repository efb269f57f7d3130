/**
 * The fault hooks (src/hooks.ts) whose embedded consumer is our API server or controller manager, in the form a real
 * control plane takes them (upstream mode). Every other hook is consulted by the simulator's own components (mesh,
 * nodes, ingress), which run unchanged in both modes; the API hooks are applied by the API front (api-front.ts).
 *
 * | hook | embedded | upstream |
 * |---|---|---|
 * | api.compactionWindowMs | the store's history window | kube-apiserver compacts etcd that often and serves watches from etcd (no watch cache), so an old resourceVersion gets 410 Gone |
 * | cluster.withholdEndpoints | our endpoints controller writes none | the Service's selector gets a label no pod has, so kube-controller-manager's endpoints controllers find no pod |
 * | cluster.admissionPolicies with `builtin` | an in-process plugin | kube-apiserver's own admission plugin (PodSecurity) |
 * | cluster.admissionPolicies (others) | an in-process plugin | a webhook configuration calling the plugin (admission-webhooks.ts) |
 */
import type { KubeObject, ResourceType } from '../cluster/types.ts';
import type { SimHooks } from '../hooks.ts';
import type { Component } from './control-plane.ts';

/** The label a withheld Service's selector asks for and no pod carries. */
export const withheldSelectorLabel = 'simulator.mesh-conformance.test/endpoints-withheld';

/** kube-apiserver flags for the active faults. */
export function upstreamControlPlaneArgs(hooks: SimHooks): Partial<Record<Component, string[]>> {
  const window = hooks.api.compactionWindowMs;
  if (window === undefined) return {};
  return { 'kube-apiserver': [`--etcd-compaction-interval=${window}ms`, '--watch-cache=false'] };
}

/** The PodSecurity defaults an admission policy stands for, if one does. */
export function upstreamPodSecurity(hooks: SimHooks): { enforce: 'baseline' | 'restricted'; exemptNamespaces: string[] } | undefined {
  return hooks.cluster.admissionPolicies.find((p) => p.builtin?.podSecurity)?.builtin?.podSecurity;
}

/** Rewrites objects the simulator's components write, as the hooks ask (ApiBackedStore's beforeWrite). */
export function upstreamWriteHooks(hooks: SimHooks): (type: ResourceType, obj: KubeObject) => void {
  return (type, obj) => {
    if (type.kind !== 'Service' || type.group !== '' || !hooks.cluster.withholdEndpoints(obj)) return;
    const spec = (obj.spec ?? {}) as { selector?: Record<string, string> };
    if (spec.selector && Object.keys(spec.selector).length > 0) spec.selector = { ...spec.selector, [withheldSelectorLabel]: 'true' };
  };
}
