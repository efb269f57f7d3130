// The mesh's ingress policy objects, applied and awaited until the mesh accepts them: shared by the checks that admit
// the ingress (`ingress`, and `ingress-mtls` with its TLS-only admission).
import type { KubernetesObject } from '@kubernetes/client-node';
import type { CheckFixtures } from '../../fixtures/index.ts';
import { ingressHostFor, runLabels, test, waitForObject } from '../../fixtures/index.ts';

/**
 * What every check that routes the ingress to the sample starts from: the budgets, the sample and the mesh's ingress
 * policy, and the route request for a host of the run's own (parallel copies and concurrent runs share the ingress
 * controller, so each namespace gets `<namespace>.mesh-conformance.test`).
 */
export function ingressRouteContext(ctx: Pick<CheckFixtures, 'ns' | 'mesh' | 'runId' | 'conformanceConfig'>) {
  const { ns, mesh, runId, conformanceConfig: config } = ctx;
  const sample = mesh.sample;
  const host = ingressHostFor(ns.name);
  return {
    budgetMs: config.timeouts.apply,
    times: config.consecutiveSuccesses,
    sample,
    policy: mesh.ingressPolicy,
    host,
    routeRequest: { namespace: ns.name, name: sample.name, service: sample.name, port: sample.port, labels: runLabels(runId), host },
  };
}

/** Applies `admitting` (registered for cleanup), then waits until the mesh accepts each, as two report steps. */
export async function applyIngressPolicy(
  ctx: Pick<CheckFixtures, 'cluster' | 'ns' | 'mesh' | 'conformanceConfig'>,
  admitting: readonly KubernetesObject[],
  what: string,
): Promise<void> {
  const { cluster, ns, conformanceConfig: config } = ctx;
  const policy = ctx.mesh.ingressPolicy;
  await test.step(`setup: apply the ${policy.kind} admitting ${what}`, async () => {
    for (const obj of admitting) ns.cleanup.register(await cluster.apply(obj, { budgetMs: config.timeouts.apply }));
  });
  await test.step(`assess: the ${policy.kind} is ${policy.acceptedDescription}`, async () => {
    for (const obj of admitting) {
      const type = policy.types.find((t) => t.kind === obj.kind && t.apiVersion === obj.apiVersion);
      if (!type) throw new Error(`the mesh profile wrote a ${obj.kind} but lists no such type among its ingress policy types`);
      await waitForObject(cluster, type, ns.name, obj.metadata?.name ?? '', `${obj.kind} ${ns.name}/${obj.metadata?.name ?? ''} to be ${policy.acceptedDescription}`,
        (o) => policy.accepted(o), { timeoutMs: config.timeouts.assert });
    }
  });
}
