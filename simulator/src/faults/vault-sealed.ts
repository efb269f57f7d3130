/**
 * OSM issues certificates from HashiCorp Vault, and Vault is sealed (src/certificates/certificate-providers.ts):
 * `check` fails certificates/vault (503 sealed), and osm-injector cannot issue a sidecar's bootstrap certificate, so
 * it refuses every meshed pod: the httpbin check fails at once on FailedCreate with Vault's error. Kind only.
 */
import { defineFault } from './fault.ts';

export const vaultSealed = defineFault({
  name: 'vault-sealed',
  outcome: 'fail',
  flavors: ['kind'],
  description: 'OSM uses Vault (--certificate-manager vault) and Vault is sealed: osm-injector cannot issue sidecar bootstrap certificates, so meshed pods are refused (FailedCreate); `check` fails certificates/vault',
  hooks: () => ({ mesh: { vaultSealed: true } }),
});
