/**
 * The ingress profiles the harness knows: the one place a new ingress is registered (add its folder, then one line
 * here), and `none` for a cluster without one (the ingress check, and the metrics check that counts its traffic, are
 * skipped with that reason).
 */
import type { Flavor, Target } from '../config/targets.ts';
import type { Timeouts } from '../timeouts.ts';
import { agcIngressProfile } from './agc/profile.ts';
import { agicIngressProfile } from './agic/profile.ts';
import { gatewayApiIngressProfile } from './gateway-api/profile.ts';
import type { IngressProfile } from './ingress-profile.ts';
import { istioGatewayIngressProfile } from './istio-gateway/profile.ts';
import { nginxIngressProfile } from './nginx/profile.ts';

/** What an ingress profile is created with (resolved configuration; each profile reads what concerns it). */
export interface IngressSettings {
  flavor: Flavor;
  /** The address range of a gateway outside the cluster (AGIC's Application Gateway subnet). */
  sourceCidr: string;
  /** The GatewayClass a Gateway API profile writes (default: the profile's). */
  gatewayClass: string | undefined;
  /** `namespace/name` of an existing gateway Service to route through (default: the profile's, by flavor). */
  gatewayService: string | undefined;
  /** `namespace/name` of the ApplicationLoadBalancer an Application Gateway for Containers Gateway binds to. */
  applicationLoadBalancer: string | undefined;
}

/** `ns/name` → { namespace, name }. */
function namespacedName(text: string): { namespace: string; name: string } {
  const [namespace = '', name = ''] = text.split('/');
  return { namespace, name };
}

/** How an ingress profile is registered. */
export interface IngressProfileFactory {
  readonly name: string;
  /** Budgets this ingress needs per target, over the defaults (a user's configuration still wins). */
  readonly budgets: Partial<Record<Target, Partial<Timeouts>>>;
  create(settings: IngressSettings): IngressProfile;
}

export const ingressProfiles = [
  // ingress-nginx publishes the address at leader start, then every --status-update-interval (60 s unless set lower):
  // the address wait must outlast one interval (kind-up sets 5 s).
  { name: 'nginx', budgets: { kind: { assert: 90_000 } }, create: () => nginxIngressProfile() },
  // AGIC writes the address before it programs the Application Gateway, whose updates take minutes, and the gateway
  // probes backends every 30 s with an unhealthy threshold of 3 (AGIC issues #725, #1425, #1124; docs/aks.md).
  { name: 'agic', budgets: { aks: { assert: 300_000, http: 600_000 } }, create: (s) => agicIngressProfile({ sourceCidr: s.sourceCidr }) },
  // AGC: a new Gateway gets a frontend and its FQDN, which must resolve (public DNS) before traffic flows; the
  // ApplicationLoadBalancer itself is deployed beforehand (aks-up). Frontend times are UNCONFIRMED (docs/aks.md).
  { name: 'agc', budgets: { aks: { assert: 300_000, http: 300_000 } }, create: (s) => agcIngressProfile({ sourceCidr: s.sourceCidr, applicationLoadBalancer: s.applicationLoadBalancer }) },
  { name: 'gateway-api', budgets: {}, create: (s) => gatewayApiIngressProfile({ gatewayClassName: s.gatewayClass ?? 'istio' }) },
  {
    name: 'istio-gateway', budgets: {},
    // The AKS add-on's external gateway; elsewhere the istio/gateway Helm chart's release `istio-ingress`.
    create: (s) => istioGatewayIngressProfile({ service: namespacedName(s.gatewayService ?? (s.flavor === 'aks' ? 'aks-istio-ingress/aks-istio-ingressgateway-external' : 'istio-ingress/istio-ingress')) }),
  },
] as const satisfies readonly IngressProfileFactory[];

/** `nginx`, `agic`, …, or `none`. */
export type IngressProfileName = (typeof ingressProfiles)[number]['name'] | 'none';
export const ingressProfileNames = [...ingressProfiles.map((p): IngressProfileName => p.name), 'none'] as unknown as [IngressProfileName, ...IngressProfileName[]];

/** The factory of a registered ingress profile (undefined for `none`). */
export function ingressFactory(name: IngressProfileName): IngressProfileFactory | undefined {
  return ingressProfiles.find((p) => p.name === name);
}

/** The profile for a name; `none` has none. */
export function ingressProfileFor(name: IngressProfileName, settings: IngressSettings): IngressProfile | undefined {
  if (name === 'none') return undefined;
  const f = ingressFactory(name);
  if (!f) throw new Error(`unknown ingress profile ${name}`);
  return f.create(settings);
}

/** The ingress profile of a resolved configuration (undefined for `none`). */
export function createIngressProfile(c: { ingress: IngressProfileName; flavor: Flavor; ingressSourceCidr: string; gatewayClass: string | undefined; gatewayService: string | undefined; applicationLoadBalancer?: string | undefined }): IngressProfile | undefined {
  return ingressProfileFor(c.ingress, { flavor: c.flavor, sourceCidr: c.ingressSourceCidr, gatewayClass: c.gatewayClass, gatewayService: c.gatewayService, applicationLoadBalancer: c.applicationLoadBalancer });
}
