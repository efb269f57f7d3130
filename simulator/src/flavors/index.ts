/** The flavors the simulator can start, by name. */
import { aksFlavor } from './aks.ts';
import type { Flavor, FlavorName } from './flavor.ts';
import { kindFlavor } from './kind.ts';

export const flavors: Record<FlavorName, Flavor> = { kind: kindFlavor, aks: aksFlavor };

export { flavorNames, isFlavorName } from './flavor.ts';
export type { Flavor, FlavorName } from './flavor.ts';
