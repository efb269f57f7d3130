/**
 * The flavors the simulator can start: one per mesh and cluster shape (names.ts). Adding a flavor: its module
 * (flavor.ts), its name in names.ts, and one line here.
 */
import { aksFlavor } from './aks.ts';
import type { Flavor } from './flavor.ts';
import { istioAksFlavor } from './istio-aks.ts';
import { istioKindFlavor } from './istio-kind.ts';
import { kindFlavor } from './kind.ts';
import { flavorNameFor, flavorNames } from './names.ts';
import type { ClusterShape, FlavorName, MeshName } from './names.ts';

const registered = [kindFlavor, aksFlavor, istioKindFlavor, istioAksFlavor] as const satisfies readonly Flavor<FlavorName>[];

// Every name in names.ts is registered, in the same order (checked by flavors.test.ts).
export { flavorNames, isFlavorName } from './names.ts';
export type { ClusterShape, FlavorName, MeshName } from './names.ts';

/** The registered flavor of that name. */
export function flavorNamed(name: FlavorName): Flavor<FlavorName> {
  const flavor = registered.find((f) => f.name === name);
  if (!flavor) throw new Error(`flavor ${name} is named in names.ts but not registered (${flavorNames.join(', ')})`);
  return flavor;
}

/** The flavor of a mesh on a cluster shape. */
export function flavorFor(mesh: MeshName, shape: ClusterShape): Flavor<FlavorName> {
  return flavorNamed(flavorNameFor(mesh, shape));
}

/** The registered flavors, in registration order. */
export function registeredFlavors(): readonly Flavor<FlavorName>[] {
  return registered;
}

export type { Flavor } from './flavor.ts';
