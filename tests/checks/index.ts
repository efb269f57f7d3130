// The body of every check in the catalogue (harness/checks/catalogue.ts), by id: the type makes a missing one an error.
import type { CheckBody } from '../../fixtures/index.ts';
import { canaryCheck } from './canary.ts';
import { daprInvocationCheck } from './dapr-invocation.ts';
import { externalAuthorizationCheck } from './external-authorization.ts';
import { httpbinCheck } from './httpbin.ts';
import { ingressCheck } from './ingress.ts';
import { ingressMtlsCheck } from './ingress-mtls.ts';
import { metricsCheck } from './metrics.ts';
import { namespaceCheck } from './namespace.ts';
import { workloadIdentityCheck } from './workload-identity.ts';

export const checkBodies = {
  namespace: namespaceCheck,
  httpbin: httpbinCheck,
  ingress: ingressCheck,
  metrics: metricsCheck,
  'workload-identity': workloadIdentityCheck,
  'external-authorization': externalAuthorizationCheck,
  'ingress-mtls': ingressMtlsCheck,
  canary: canaryCheck,
  'dapr-invocation': daprInvocationCheck,
} satisfies Record<string, CheckBody>;
