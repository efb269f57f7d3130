/** The IngressBackend becomes committed, but sidecars never admit the ingress source: requests keep getting 502. */
import { osmFlavors } from '../flavors/names.ts';
import { defineFault } from './fault.ts';

export const ingressStuck502 = defineFault({
  name: 'ingress-stuck-502',
  outcome: 'fail',
  flavors: osmFlavors,
  description: 'the sidecar never accepts the ingress source, so requests keep failing with 502 after commit',
  hooks: () => ({ mesh: { rejectIngressTraffic: true } }),
});
