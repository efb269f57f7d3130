/** The osm-validator webhook denies every IngressBackend. */
import { osmFlavors } from '../flavors/names.ts';
import { defineFault } from './fault.ts';

export const ingressbackendAdmissionDenied = defineFault({
  name: 'ingressbackend-admission-denied',
  outcome: 'fail',
  flavors: osmFlavors,
  description: 'the osm-validator webhook denies every IngressBackend',
  hooks: () => ({
    mesh: {
      policyAdmissionDenial: (ib) => `IngressBackend ${ib.metadata.namespace}/${ib.metadata.name} could not be validated: the validator rejects every IngressBackend (fault ingressbackend-admission-denied)`,
    },
  }),
});
