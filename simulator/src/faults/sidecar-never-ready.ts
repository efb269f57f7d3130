/** envoy runs but never reports ready and opens no inbound listeners: the pod stays 1/2. */
import { osmFlavors } from '../flavors/names.ts';
import { defineFault } from './fault.ts';

export const sidecarNeverReady = defineFault({
  name: 'sidecar-never-ready',
  outcome: 'fail',
  flavors: osmFlavors,
  description: 'the envoy container starts but never becomes ready (pod 1/2)',
  hooks: () => ({ node: { sidecarNeverReady: true } }),
});
