/** istio-proxy starts but never gets its configuration: as a native sidecar it never passes its startup probe, so the app never starts. */
import { istioFlavors } from '../flavors/names.ts';
import { defineFault } from './fault.ts';

export const nativeSidecarNeverReady = defineFault({
  name: 'native-sidecar-never-ready',
  outcome: 'fail',
  flavors: istioFlavors,
  description: 'istio-proxy (a native sidecar) never becomes ready, so the app container never starts and the pod stays Init:1/2 (0/2)',
  hooks: () => ({ node: { sidecarNeverReady: true } }),
});
