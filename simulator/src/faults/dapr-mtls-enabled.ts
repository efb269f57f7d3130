/**
 * Dapr installed with its own mTLS on (Dapr's default), against OSM's Dapr guide, which installs it with
 * `--enable-mtls=false` because OSM's sidecars already provide mTLS: `check` warns on dapr/mtls. A run passes: the
 * simulated daprd does not use sentry. Kind only (src/dapr/dapr-install.ts).
 */
import { defineFault } from './fault.ts';

export const daprMtlsEnabled = defineFault({
  name: 'dapr-mtls-enabled',
  outcome: 'pass',
  flavors: ['kind'],
  description: 'Dapr\'s global Configuration daprsystem has mTLS on, against OSM\'s Dapr guide: `check` warns on dapr/mtls; a conformance run still passes',
  hooks: () => ({ mesh: { daprMtlsEnabled: true } }),
});
