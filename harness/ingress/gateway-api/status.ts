/**
 * Gateway API status as a verdict (gateway-api v1 CRDs; istio.md §3a for Istio's wording): a Gateway is ready when
 * `Accepted` and `Programmed` are True and fresh (`observedGeneration == metadata.generation`) and every listener is
 * Accepted, Programmed and ResolvedRefs; a route when its entry for the Gateway in `status.parents[]` is Accepted and
 * ResolvedRefs, fresh. Failing conditions are reported with their reason and message; reasons no wait can fix fail
 * at once. Shared by every Gateway API ingress profile (Istio's class, Application Gateway for Containers).
 */
import type { KubernetesObject, V1Condition } from '@kubernetes/client-node';
import type { Observation } from '../../wait/wait-for.ts';
import type { IngressAddress } from '../ingress-profile.ts';

export const gatewayApiGroup = 'gateway.networking.k8s.io';
export const gatewayTypes = {
  gateway: { apiVersion: `${gatewayApiGroup}/v1`, kind: 'Gateway', plural: 'gateways', namespaced: true },
  httpRoute: { apiVersion: `${gatewayApiGroup}/v1`, kind: 'HTTPRoute', plural: 'httproutes', namespaced: true },
  gatewayClass: { apiVersion: `${gatewayApiGroup}/v1`, kind: 'GatewayClass', plural: 'gatewayclasses', namespaced: false },
} as const;

interface Listener { name?: string; attachedRoutes?: number; conditions?: V1Condition[] }
export interface GatewayObject extends KubernetesObject {
  spec?: { listeners?: { name?: string; port?: number }[] };
  status?: { conditions?: V1Condition[]; addresses?: { type?: string; value?: string }[]; listeners?: Listener[] };
}
export interface RouteObject extends KubernetesObject {
  status?: { parents?: { parentRef?: { name?: string; namespace?: string }; controllerName?: string; conditions?: V1Condition[] }[] };
}

/**
 * Route reasons a controller gives when the route as written can never attach or resolve. BackendNotFound is among
 * them because the suite writes its route only after the backend Service exists and its pods are Ready: a controller
 * that still cannot find it does not see the Service it was given.
 */
const terminalRouteReasons = new Set(['NotAllowedByListeners', 'NoMatchingListenerHostname', 'NoMatchingParent', 'UnsupportedValue', 'InvalidKind', 'RefNotPermitted', 'UnsupportedProtocol', 'BackendNotFound']);

/** `Accepted=True`, `Programmed=False (AddressNotAssigned: …)`, `Accepted=<none>`. */
function describeCondition(type: string, c: V1Condition | undefined, generation: number | undefined): string {
  if (!c) return `${type}=<none>`;
  const stale = generation !== undefined && c.observedGeneration !== undefined && c.observedGeneration < generation ? ` (stale: generation ${c.observedGeneration} < ${generation})` : '';
  return c.status === 'True' ? `${type}=True${stale}` : `${type}=${c.status} (${c.reason}${c.message ? `: ${c.message}` : ''})${stale}`;
}

function holds(c: V1Condition | undefined, generation: number | undefined): boolean {
  return c?.status === 'True' && (generation === undefined || c.observedGeneration === undefined || c.observedGeneration >= generation);
}

/** The Gateway is Accepted and Programmed, and so is each listener (ResolvedRefs too). Accepted=False fails at once. */
export function gatewayReady(gw: GatewayObject | undefined): Observation<KubernetesObject> {
  if (!gw) return { done: false, observed: 'Gateway not found' };
  const gen = gw.metadata?.generation;
  const cond = (type: string) => gw.status?.conditions?.find((c) => c.type === type);
  const parts = ['Accepted', 'Programmed'].map((t) => describeCondition(t, cond(t), gen));
  const listenerProblems = (gw.status?.listeners ?? []).flatMap((l) => ['Accepted', 'Programmed', 'ResolvedRefs']
    .map((t) => ({ t, c: l.conditions?.find((c) => c.type === t) }))
    .filter(({ c }) => c !== undefined && !holds(c, gen))
    .map(({ t, c }) => `listener ${l.name ?? '?'}: ${describeCondition(t, c, gen)}`));
  const observed = [...parts, ...listenerProblems].join(', ');
  const accepted = cond('Accepted');
  if (accepted?.status === 'False' && holds({ ...accepted, status: 'True' }, gen)) {
    return { done: false, observed, failure: `Gateway ${gw.metadata?.namespace ?? ''}/${gw.metadata?.name ?? ''} is not accepted: ${describeCondition('Accepted', accepted, gen)}` };
  }
  const done = holds(accepted, gen) && holds(cond('Programmed'), gen) && listenerProblems.length === 0;
  return { done, observed, value: gw };
}

/** The route's entry for the Gateway is Accepted and ResolvedRefs; a terminal reason fails at once. */
export function routeAccepted(gateway: { name: string; namespace: string }) {
  return (route: RouteObject | undefined): Observation<KubernetesObject> => {
    if (!route) return { done: false, observed: 'HTTPRoute not found' };
    const gen = route.metadata?.generation;
    const entry = route.status?.parents?.find((p) => p.parentRef?.name === gateway.name && (p.parentRef.namespace ?? route.metadata?.namespace) === gateway.namespace);
    if (!entry) return { done: false, observed: `no status.parents entry for Gateway ${gateway.namespace}/${gateway.name} yet` };
    const cond = (type: string) => entry.conditions?.find((c) => c.type === type);
    const observed = ['Accepted', 'ResolvedRefs'].map((t) => describeCondition(t, cond(t), gen)).join(', ');
    const terminal = ['Accepted', 'ResolvedRefs'].map(cond).find((c) => c?.status === 'False' && terminalRouteReasons.has(c.reason ?? '') && holds({ ...c, status: 'True' }, gen));
    if (terminal) return { done: false, observed, failure: `the HTTPRoute cannot work as written: ${describeCondition(terminal.type, terminal, gen)}` };
    return { done: holds(cond('Accepted'), gen) && holds(cond('ResolvedRefs'), gen), observed, value: route };
  };
}

/** Where a Gateway can be reached: its first status address and the listener's port. */
export function gatewayAddress(listenerPort: number) {
  return (gw: GatewayObject | undefined): Observation<IngressAddress> => {
    if (!gw) return { done: false, observed: 'Gateway not found' };
    const a = gw.status?.addresses?.[0]?.value;
    if (!a) return { done: false, observed: `status.addresses=${JSON.stringify(gw.status?.addresses ?? [])}` };
    const host = a.includes(':') && !a.startsWith('[') ? `[${a}]` : a;
    return { done: true, observed: `address=${a}`, value: { host: a, port: listenerPort, url: listenerPort === 80 ? `http://${host}` : `http://${host}:${listenerPort}` } };
  };
}
