/**
 * Sidecars match an AuthorizationPolicy's `paths` only exactly: a prefix (`/api/*`) or suffix (`*.css`) pattern matches
 * no request, so a route an ALLOW rule admits by prefix is refused (403). The conformance flow's ingress policy names no
 * paths and passes; `migrate verify` catches it on a migrated cluster, where translated TrafficTargets allow routes by
 * prefix (docs/migration.md).
 */
import { istioFlavors } from '../flavors/names.ts';
import { defineFault } from './fault.ts';

export const authzPathPrefixIgnored = defineFault({
  name: 'authz-path-prefix-ignored',
  outcome: 'pass',
  // aks: the OSM cluster an `az aks mesh enable` turns into an Istio one (the osm-migration-demo scenario).
  flavors: [...istioFlavors, 'aks'],
  description: 'sidecars match AuthorizationPolicy paths only exactly, so a prefix or suffix pattern (/api/*) admits nothing: 403 for routes allowed by prefix (migrate verify catches it; the conformance flow names no paths)',
  hooks: () => ({ mesh: { authzPathsExact: true } }),
});
