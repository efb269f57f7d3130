/** The load balancer provider never assigns an address: Gateways stay Programmed=False (AddressNotAssigned). */
import { istioFlavors } from '../flavors/names.ts';
import { defineFault } from './fault.ts';

export const gatewayNotProgrammed = defineFault({
  name: 'gateway-not-programmed',
  outcome: 'fail',
  flavors: istioFlavors,
  description: 'the load balancer never assigns an address: every Gateway stays Programmed=False (AddressNotAssigned) without an address, and LoadBalancer Services (the add-on ingress gateway\'s too) stay <pending>',
  hooks: () => ({ ingress: { withholdLoadBalancerAddress: true } }),
});
