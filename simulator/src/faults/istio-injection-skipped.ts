/** Istio's injector webhook admits pods unchanged: httpbin runs 1/1, without istio-proxy. */
import { istioFlavors } from '../flavors/names.ts';
import { defineFault } from './fault.ts';

export const istioInjectionSkipped = defineFault({
  name: 'istio-injection-skipped',
  outcome: 'fail',
  flavors: istioFlavors,
  description: 'the Istio injector webhook admits pods unchanged, so httpbin runs 1/1 without istio-proxy',
  emulatedMeshControlPlaneOnly: true,
  hooks: () => ({ mesh: { skipInjection: true } }),
});
