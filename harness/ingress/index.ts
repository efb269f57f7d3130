/**
 * The ingress profiles the harness knows: the one place a new ingress is registered (add its folder, then one line
 * here), and `none` for a cluster without one (the ingress check, and the metrics check that counts its traffic, are
 * skipped with that reason).
 */
import { agicIngressProfile } from './agic/profile.ts';
import type { Target } from '../config/targets.ts';
import type { Timeouts } from '../timeouts.ts';
import type { IngressProfile } from './ingress-profile.ts';
import { nginxIngressProfile } from './nginx/profile.ts';

/** What an ingress profile is created with (resolved configuration). */
export interface IngressSettings {
  /** The address range of a gateway outside the cluster (AGIC's Application Gateway subnet). */
  sourceCidr: string;
}

/** How an ingress profile is registered. */
export interface IngressProfileFactory {
  readonly name: string;
  /** Budgets this ingress needs per target, over the defaults (a user's configuration still wins). */
  readonly budgets: Partial<Record<Target, Partial<Timeouts>>>;
  create(settings: IngressSettings): IngressProfile;
}

export const ingressProfiles = [
  { name: 'nginx', budgets: {}, create: () => nginxIngressProfile() },
  { name: 'agic', budgets: {}, create: (s) => agicIngressProfile({ sourceCidr: s.sourceCidr }) },
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
