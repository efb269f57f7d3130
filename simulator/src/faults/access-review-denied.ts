/**
 * SelfSubjectAccessReview answers `allowed: false` for every verb on the mesh's policy resource (a user without that
 * RBAC): OSM's ingressbackends, Istio's authorizationpolicies. Requests themselves are still allowed, so only the
 * pre-flight of a real-target run notices.
 */
import { defineFault } from './fault.ts';

export const accessReviewDenied = defineFault({
  name: 'access-review-denied',
  outcome: 'pass',
  description: 'SelfSubjectAccessReview denies every verb on ingressbackends (a user without that RBAC); only the pre-flight of a real-target run asks, so a local run passes',
  descriptions: {
    'istio-kind': 'SelfSubjectAccessReview denies every verb on authorizationpolicies (a user without that RBAC); only the pre-flight of a real-target run asks, so a local run passes',
    'istio-aks': 'SelfSubjectAccessReview denies every verb on authorizationpolicies (a user without that RBAC); only the pre-flight of a real-target run asks, so a local run passes',
  },
  hooks: ({ flavor }) => {
    const resource = flavor.mesh === 'istio' ? { name: 'authorizationpolicies', qualified: 'authorizationpolicies.security.istio.io' } : { name: 'ingressbackends', qualified: 'ingressbackends.policy.openservicemesh.io' };
    return {
      api: {
        accessReview: (spec) => {
          const attrs = (spec.resourceAttributes ?? {}) as { resource?: string };
          return attrs.resource === resource.name ? { allowed: false, reason: `no RBAC rule grants ${resource.qualified} (simulator fault access-review-denied)` } : { allowed: true };
        },
      },
    };
  },
});
