/**
 * A half-rolled-back upgrade: istiod's Deployment and Service still carry `istio.io/rev=asm-1-30` (what a client reads
 * as the installed revision), but istiod serves revision asm-1-29 (REVISION env, ConfigMaps `istio-asm-1-29` and
 * `istio-sidecar-injector-asm-1-29`, and the only injector webhook configuration selects `istio.io/rev=asm-1-29`). A
 * namespace labelled `istio.io/rev=asm-1-30` matches no webhook: its pods run without a sidecar (1/1), and its
 * Gateways are not this istiod's (no deployment, no status).
 */
import { istioFlavors } from '../flavors/names.ts';
import { defineFault } from './fault.ts';

export const staleRevision = 'asm-1-29';

export const istioRevisionMissing = defineFault({
  name: 'istio-revision-missing',
  outcome: 'fail',
  flavors: istioFlavors,
  description: `istiod's Deployment says istio.io/rev=asm-1-30 but istiod serves ${staleRevision} only (its injector webhook selects ${staleRevision}), so a namespace labelled asm-1-30 gets no sidecar (1/1) and its Gateways no status`,
  hooks: () => ({ mesh: { istiodServedRevision: staleRevision } }),
});
