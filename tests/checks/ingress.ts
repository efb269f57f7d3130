// Check `ingress`: traffic from the ingress reaches the meshed app only once the mesh's ingress policy admits it:
// refused before, 200 through the sidecar after.
import type { CheckBody } from '../../fixtures/index.ts';
import { applyIngressPolicy, ingressRouteContext } from './ingress-policy.ts';
import {
  answerStatuses, describeSource, expect, expectAnswer, expectOkThroughSidecar, ingressBaseUrl, intervals, requireConsecutive, runLabels, test,
  waitForVerdict,
} from '../../fixtures/index.ts';

export const ingressCheck: CheckBody = async ({ cluster, ns, mesh, ingressController, http, runId, conformanceConfig: config }, testInfo) => {
  if (!ingressController) {
    testInfo.skip(true, 'ingress profile none: the cluster has no ingress controller to route through (set ingress: to the cluster\'s controller to check it)');
    return;
  }
  const { budgetMs, times, sample, policy, host, routeRequest } = ingressRouteContext({ ns, mesh, runId, conformanceConfig: config });
  const route = ingressController.route(routeRequest);
  try {
    await test.step(`setup: route ${host} to ${sample.name}:${sample.port} through ${ingressController.title} (${route.objects.map((o) => o.kind).join(', ')})`, async () => {
      for (const obj of route.objects) ns.cleanup.register(await cluster.apply(obj, { budgetMs }));
    });
    for (const v of route.accepted) {
      await test.step(`assess: ${v.description}`, async () => {
        await waitForVerdict(cluster, v, { timeoutMs: config.timeouts.assert });
      });
    }
    const address = await test.step('assess: the ingress gets an address', async () => {
      const { value } = await waitForVerdict(cluster, route.address, { timeoutMs: config.timeouts.assert });
      if (!value) throw new Error(`${route.address.type.kind} ${ns.name}/${route.address.name} has no address`);
      return value;
    });
    // ingressAddress (config) replaces the published address as the place to send traffic, e.g. localhost on kind.
    const url = `${config.ingressAddress ? ingressBaseUrl(config.ingressAddress) : address.url}/get`;

    const source = await test.step('setup: the mesh can admit the identity the ingress presents', async () => {
      const s = await ingressController.source(cluster, routeRequest, budgetMs);
      const problem = await policy.sourceProblem(cluster, s, budgetMs);
      expect(problem, `${describeSource(s)}: ${problem ?? ''}`).toBeUndefined();
      return s;
    });
    const policyRequest = {
      namespace: ns.name, name: sample.name, service: sample.name, port: sample.port, source, labels: runLabels(runId),
      backendResetStatuses: ingressController.backendResetStatuses ?? [502],
    };

    const refused = policy.refused(policyRequest);
    const expectRefused = (when: string) => test.step(`assess: ${when}${url} answers ${refused.answer.description}`, async () => {
      await requireConsecutive({
        description: `GET ${url} (Host: ${host}) to return ${answerStatuses(refused.answer)}${refused.answer.bodyIncludes ? ` "${refused.answer.bodyIncludes}"` : ''}`, times,
        timeoutMs: config.timeouts.http, retryIntervalMs: intervals.httpRetry,
        attempt: expectAnswer(http, url, refused.answer, intervals.httpRequest, host),
      });
    });
    if (refused.objects.length) {
      await test.step(`setup: apply ${refused.objects.map((o) => o.kind).join(', ')} so the mesh refuses the ingress`, async () => {
        for (const obj of refused.objects) ns.cleanup.register(await cluster.apply(obj, { budgetMs }));
      });
    }
    // Where the address comes before the route, a refusal now could be the missing route's: it is proven after a 200.
    if (!ingressController.addressBeforeRoute) await expectRefused('');

    const admitting = policy.admit(policyRequest);
    await applyIngressPolicy({ cluster, ns, mesh, conformanceConfig: config }, admitting, `${describeSource(source)} to ${sample.name}:${sample.port}`);

    await test.step(`assess: HEAD and GET ${url} return 200 through the sidecar ${times} times in a row`, async () => {
      await requireConsecutive({
        description: `HEAD and GET ${url} (Host: ${host}) to return 200 ${policy.throughSidecarDescription}`, times,
        timeoutMs: config.timeouts.http, retryIntervalMs: intervals.httpRetry,
        attempt: expectOkThroughSidecar(http, url, (res) => policy.throughSidecar(policyRequest, res), intervals.httpRequest, host),
      });
    });

    if (ingressController.addressBeforeRoute) {
      await test.step(`setup: revoke the ${policy.kind} (the route is proven: it answered 200)`, async () => {
        for (const obj of admitting) await cluster.delete({ apiVersion: obj.apiVersion ?? '', kind: obj.kind ?? '', namespace: ns.name, name: obj.metadata?.name ?? '' }, { budgetMs });
      });
      await expectRefused('without it, ');
    }
  } finally {
    if (http.recent.length) await testInfo.attach('http exchanges', { body: JSON.stringify(http.recent, null, 2), contentType: 'application/json' });
  }
};
