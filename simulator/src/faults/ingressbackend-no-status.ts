/**
 * osm-controller is scaled to zero: no IngressBackend status is ever written, no validating webhook configuration
 * is published, and sidecars get no configuration.
 */
import { osmFlavors } from '../flavors/names.ts';
import { defineFault } from './fault.ts';

export const ingressbackendNoStatus = defineFault({
  name: 'ingressbackend-no-status',
  outcome: 'fail',
  flavors: osmFlavors,
  description: 'osm-controller is down: the IngressBackend never gets a status',
  hooks: () => ({ mesh: { controllerDown: true } }),
});
