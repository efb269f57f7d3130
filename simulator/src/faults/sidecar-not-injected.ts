/** The injector webhook admits pods unchanged: httpbin runs 1/1, without envoy. */
import { osmFlavors } from '../flavors/names.ts';
import { defineFault } from './fault.ts';

export const sidecarNotInjected = defineFault({
  name: 'sidecar-not-injected',
  outcome: 'fail',
  flavors: osmFlavors,
  description: 'the injector webhook lets pods through without the envoy sidecar',
  hooks: () => ({ mesh: { skipInjection: true } }),
});
