/** osm-init exits 1 like a failed iptables-restore, so the pod crash-loops in its init phase. */
import { osmFlavors } from '../flavors/names.ts';
import { defineFault } from './fault.ts';

export const initContainerFails = defineFault({
  name: 'init-container-fails',
  outcome: 'fail',
  flavors: osmFlavors,
  description: 'osm-init exits 1 (iptables setup fails), the pod stays in Init:CrashLoopBackOff',
  hooks: () => ({ node: { initContainerFails: true } }),
});
