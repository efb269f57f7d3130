/** istiod runs with ENABLE_NATIVE_SIDECARS=false: pods get a classic istio-proxy container; a conformance run still passes. */
import { istioFlavors } from '../flavors/names.ts';
import { defineFault } from './fault.ts';

export const classicSidecars = defineFault({
  name: 'classic-sidecars',
  outcome: 'pass',
  flavors: istioFlavors,
  description: 'istiod runs with ENABLE_NATIVE_SIDECARS=false, so istio-proxy is a classic sidecar (last in containers, 2/2); a conformance run still passes',
  hooks: () => ({ mesh: { forceClassicSidecars: true } }),
});
