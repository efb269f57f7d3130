/** Test helper for component tests that switch faults on by name. */
import { kindFlavor } from '../../flavors/kind.ts';
import type { SimHooks } from '../../hooks.ts';
import { hooksFor } from '../index.ts';
import type { FaultName } from '../index.ts';

/** The merged hooks of the named faults on the kind flavor (the cluster the unit-test fixtures model). */
export function faultHooks(...names: FaultName[]): SimHooks {
  return hooksFor(names, { flavor: kindFlavor });
}
