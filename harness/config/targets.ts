
/** Where a run goes: the embedded simulated cluster, or a real cluster of a known shape. */
export const targets = ['local', 'kind', 'aks'] as const;
export type Target = (typeof targets)[number];

/** The cluster shapes (and simulator flavors) that decide the mesh and ingress profiles. */
export const flavors = ['kind', 'aks'] as const;
export type Flavor = (typeof flavors)[number];

/** The flavor a target implies: a real target is its own flavor; local uses the chosen simulator flavor. */
export function flavorOf(target: Target, localFlavor: Flavor): Flavor {
  return target === 'local' ? localFlavor : target;
}
