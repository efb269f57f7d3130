/** Public DNS never learns the names of Application Gateway for Containers' frontends: a Gateway is Programmed with its FQDN, which does not resolve. */
import { defineFault } from './fault.ts';

export const agcFrontendUnresolvable = defineFault({
  name: 'agc-frontend-unresolvable',
  outcome: 'fail',
  flavors: ['aks'],
  description: 'Application Gateway for Containers (ingress agc): a Gateway is Accepted and Programmed with its frontend\'s FQDN in status.addresses, but DNS answers NXDOMAIN for it, so no request reaches the frontend',
  hooks: () => ({ ingress: { agcFrontendUnresolvable: true } }),
});
