/** Istio's label and annotation keys, and the facts the profile relies on (../shared/reference/istio.md). */
export const istioKeys = {
  /** Namespace (and pod) label selecting a revision's injector (istio.md §1.1). */
  rev: 'istio.io/rev',
  /** The legacy namespace label; only a default revision or the `default` tag honours it (§1.2). */
  injection: 'istio-injection',
  /** Pod opt-out (label; the webhook's objectSelector sees only labels). */
  inject: 'sidecar.istio.io/inject',
  /** What the injector injected (§2.4). */
  status: 'sidecar.istio.io/status',
  tlsMode: 'security.istio.io/tlsMode',
  /** A revision tag's MWC label (§1.1). */
  tag: 'istio.io/tag',
} as const;

/** The sidecar and its init containers (§2.1, §2.2). */
export const istioContainers = { proxy: 'istio-proxy', init: 'istio-init', validation: 'istio-validation' } as const;

/**
 * The Kubernetes versions each Istio minor supports (istio.md §8: 1.29 on 1.31–1.35; 1.30 and 1.31 on 1.32–1.36).
 * Older or newer minors fall back to the nearest known one.
 */
export const supportedKubernetes: Record<string, { min: readonly [number, number, number]; maxMinor: readonly [number, number] }> = {
  '1.29': { min: [1, 31, 0], maxMinor: [1, 35] },
  '1.30': { min: [1, 32, 0], maxMinor: [1, 36] },
  '1.31': { min: [1, 32, 0], maxMinor: [1, 36] },
};

/** `asm-1-30` → `1.30`; `1.30.3` → `1.30`. */
export function istioMinor(version: string): string | undefined {
  const m = /(\d+)[.-](\d+)/.exec(version);
  return m ? `${m[1]}.${m[2]}` : undefined;
}

/** A SPIFFE identity in AuthorizationPolicy form (no `spiffe://`, istio.md §4) and in metrics form (with it, §5.1). */
export function principal(namespace: string, serviceAccount: string, trustDomain = 'cluster.local'): { policy: string; spiffe: string } {
  const id = `${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
  return { policy: id, spiffe: `spiffe://${id}` };
}

/** The istiod Deployment and Service of a revision (`istiod` unrevisioned, `istiod-<rev>` otherwise). */
export function istiodName(revision: string | undefined): string {
  return revision ? `istiod-${revision}` : 'istiod';
}
