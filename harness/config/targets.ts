import type { IngressProfileName } from '../ingress/ingress-profile.ts';
import type { MeshName } from '../mesh/mesh-profile.ts';

/** Where a run goes: the embedded simulated cluster, or a real cluster of a known shape. */
export const targets = ['local', 'kind', 'aks'] as const;
export type Target = (typeof targets)[number];

/** The cluster shapes (and simulator flavors) that decide the mesh and ingress profiles. */
export const flavors = ['kind', 'aks'] as const;
export type Flavor = (typeof flavors)[number];

/** Profile defaults per flavor: kind → OSM in osm-system + ingress-nginx; aks → OSM add-on in kube-system + AGIC. */
export const flavorDefaults = {
  kind: { mesh: 'osm', meshName: 'osm', meshNamespace: 'osm-system', ingress: 'nginx' },
  aks: { mesh: 'osm', meshName: 'osm', meshNamespace: 'kube-system', ingress: 'agic' },
} as const satisfies Record<Flavor, { mesh: MeshName; meshName: string; meshNamespace: string; ingress: IngressProfileName }>;

/** The flavor a target implies: a real target is its own flavor; local uses the chosen simulator flavor. */
export function flavorOf(target: Target, localFlavor: Flavor): Flavor {
  return target === 'local' ? localFlavor : target;
}
