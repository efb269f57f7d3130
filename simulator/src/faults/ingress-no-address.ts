/** The ingress controller (ingress-nginx or the Application Gateway) never publishes an address on the Ingress. */
import { osmFlavors } from '../flavors/names.ts';
import { defineFault } from './fault.ts';

export const ingressNoAddress = defineFault({
  name: 'ingress-no-address',
  outcome: 'fail',
  flavors: osmFlavors,
  description: 'the ingress controller never publishes an address on the Ingress',
  hooks: () => ({ ingress: { withholdAddress: true } }),
});
