/**
 * The contract of a fault module (one file per fault in this folder, registered in index.ts): its catalogue entry,
 * as `--list-faults` prints it, and its behaviour, as the hooks (src/hooks.ts) it supplies to the components.
 */
import type { Flavor, FlavorName } from '../flavors/index.ts';
import type { FaultHooks } from '../hooks.ts';

/** What a fault may read about the cluster it breaks. */
export interface FaultEnv {
  flavor: Flavor;
}

export interface Fault<N extends string = string> {
  readonly name: N;
  /** `fail`: the conformance check it exists to catch must fail; `pass`: a degraded but working cluster still passes. */
  readonly outcome: 'fail' | 'pass';
  readonly description: string;
  /**
   * The flavors (a mesh on a cluster shape, flavors/names.ts) where it has an effect; absent: every flavor. A fault
   * about one mesh's objects names that mesh's flavors (`osmFlavors`). Elsewhere the simulator refuses it (exit 2)
   * rather than run a `fail` fault that cannot fail, and `--list-faults` leaves it out of that flavor's list.
   */
  readonly flavors?: readonly FlavorName[];
  /**
   * It breaks our emulation of the mesh control plane itself (our injector, CA or Gateway controller), so it cannot
   * act when the real one runs (`sim --istiod upstream`): the simulator refuses it there (exit 2).
   */
  readonly emulatedMeshControlPlaneOnly?: boolean;
  /** What it breaks on the flavors whose objects differ from `description`'s (another mesh's resource names). */
  readonly descriptions?: Partial<Record<FlavorName, string>>;
  /** Its hooks for one simulator instance (called once per instance, so any state, such as a counter, is per instance). */
  hooks(env: FaultEnv): FaultHooks;
}

/** What `--list-faults` prints for the fault on one flavor. */
export function describeFault(fault: Fault, flavor: FlavorName): string {
  return fault.descriptions?.[flavor] ?? fault.description;
}

/** Declares a fault module, keeping its name as a literal type (so FaultName is the union of the registered names). */
export function defineFault<const N extends string>(fault: Fault<N>): Fault<N> {
  return fault;
}
