/**
 * Every node is arm64: the sample's amd64 nodeSelector leaves httpbin Pending, while the control-plane pods,
 * which allow arm64 as OSM's chart does, still run.
 */
import { osmFlavors } from '../flavors/names.ts';
import { defineFault } from './fault.ts';

export const podUnschedulable = defineFault({
  name: 'pod-unschedulable',
  outcome: 'fail',
  flavors: osmFlavors,
  description: 'every node is arm64, so the sample\'s amd64 nodeSelector leaves the pod Pending',
  hooks: () => ({ cluster: { nodeArch: 'arm64' } }),
});
