/**
 * OSM issues certificates through cert-manager, and its Issuer is not Ready (src/certificates/certificate-providers.ts):
 * `check` fails certificates/cert-manager. What OSM does with certificate requests the Issuer never signs is not
 * emulated (simulator/README.md), so a run passes here. Kind only.
 */
import { defineFault } from './fault.ts';

export const certManagerIssuerNotReady = defineFault({
  name: 'cert-manager-issuer-not-ready',
  outcome: 'pass',
  flavors: ['kind'],
  description: 'OSM uses cert-manager (--certificate-manager cert-manager) and its Issuer osm-ca is not Ready (its CA key pair Secret is missing): `check` fails certificates/cert-manager; issuance itself is not emulated, so a run passes',
  hooks: () => ({ mesh: { certManagerIssuerNotReady: true } }),
});
