/** Gateways send plaintext to their backends, as a DestinationRule with tls.mode DISABLE would make them. */
import { istioFlavors } from '../flavors/names.ts';
import { defineFault } from './fault.ts';

export const mtlsDisabled = defineFault({
  name: 'mtls-disabled',
  outcome: 'fail',
  flavors: istioFlavors,
  description: 'gateways send plaintext to their backends (as a DestinationRule tls.mode DISABLE would): connection_security_policy="none", source_principal unknown, no X-Forwarded-Client-Cert, and principal-based ALLOW rules no longer match (403)',
  hooks: () => ({ mesh: { gatewaySendsPlaintext: true } }),
});
