/** The flavors the simulator can start, by name. Adding a flavor: its module (flavor.ts) and one line here. */
import { aksFlavor } from './aks.ts';
import type { Flavor } from './flavor.ts';
import { kindFlavor } from './kind.ts';

const registered = [kindFlavor, aksFlavor] as const satisfies readonly Flavor[];

export type FlavorName = (typeof registered)[number]['name'];

/** The registered names, in registration order (the first is the default). */
export const flavorNames: readonly FlavorName[] = registered.map((flavor) => flavor.name);

export function isFlavorName(name: string): name is FlavorName {
  return registered.some((flavor) => flavor.name === name);
}

/** The registered flavor of that name. */
export function flavorNamed(name: FlavorName): Flavor {
  return registered.find((flavor) => flavor.name === name)!;
}

export type { Flavor } from './flavor.ts';
