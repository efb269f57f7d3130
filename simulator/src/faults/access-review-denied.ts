/**
 * SelfSubjectAccessReview answers `allowed: false` for every verb on ingressbackends (a user without that RBAC);
 * requests themselves are still allowed, so only the pre-flight of a real-target run notices.
 */
import { defineFault } from './fault.ts';

export const accessReviewDenied = defineFault({
  name: 'access-review-denied',
  outcome: 'pass',
  description: 'SelfSubjectAccessReview denies every verb on ingressbackends (a user without that RBAC); only the pre-flight of a real-target run asks, so a local run passes',
  hooks: () => ({
    api: {
      accessReview: (spec) => {
        const attrs = (spec.resourceAttributes ?? {}) as { resource?: string };
        return attrs.resource === 'ingressbackends' ? { allowed: false, reason: 'no RBAC rule grants ingressbackends.policy.openservicemesh.io (simulator fault access-review-denied)' } : { allowed: true };
      },
    },
  }),
});
