// Check: traffic from the ingress reaches the meshed app only once the mesh's ingress policy admits it.
import type { V1Namespace } from '@kubernetes/client-node';
import { ingressBaseUrl } from '../../harness/ingress/address-override.ts';
import { checkDetails, expect, expectOkThroughSidecar, expectStatus, httpbin, ingressHostFor, intervals, requireConsecutive, resourceTypes, runLabels, test, waitForIngressAddress, waitForObject } from '../../fixtures/index.ts';

export function ingressRoutesCheck(): void {
  test('ingress: GET /get through the ingress returns 200 via the sidecar once the IngressBackend is committed',
    checkDetails('ingress'),
    async ({ cluster, ns, mesh, ingressController, http, runId, conformanceConfig: config }, testInfo) => {
      if (!ingressController) {
        test.skip(true, 'ingress profile none: the cluster has no ingress controller to route through (set ingress: nginx or agic to check it)');
        return;
      }
      const budgetMs = config.timeouts.apply;
      const times = config.consecutiveSuccesses;
      // A host per namespace: parallel copies (--namespaces) and concurrent runs share the ingress controller.
      const host = ingressHostFor(ns.name);
      try {
        const controllerNs = ingressController.controllerNamespace;
        if (controllerNs) {
          await test.step(`setup: ingress controller namespace ${controllerNs} is watched by the mesh without sidecar injection`, async () => {
            const got = await cluster.read<V1Namespace>({ ...resourceTypes.namespace, name: controllerNs }, { budgetMs });
            const problem = mesh.ingressSourceNamespaceProblem(got, controllerNs);
            expect(problem, problem ?? '').toBeUndefined();
          });
        }

        await test.step(`setup: apply the Ingress for httpbin (${ingressController.name})`, async () => {
          const ing = ingressController.ingress({ namespace: ns.name, name: httpbin.name, service: httpbin.name, port: httpbin.port, labels: runLabels(runId), host });
          ns.cleanup.register(await cluster.apply(ing, { budgetMs }));
        });

        const address = await test.step('assess: the Ingress gets an address', async () => {
          const { value } = await waitForIngressAddress(cluster, ns.name, httpbin.name, { timeoutMs: config.timeouts.assert });
          if (!value) throw new Error(`Ingress ${ns.name}/${httpbin.name} has no address`);
          return value;
        });
        // ingressAddress (config) replaces the published address as the place to send traffic, e.g. localhost on kind.
        const url = `${config.ingressAddress ? ingressBaseUrl(config.ingressAddress) : address.url}/get`;

        await test.step(`assess: ${url} answers 502 while no IngressBackend admits the ingress`, async () => {
          await requireConsecutive({
            description: `GET ${url} (Host: ${host}) to return 502`, times, timeoutMs: config.timeouts.http, retryIntervalMs: intervals.httpRetry,
            attempt: expectStatus(http, url, 502, intervals.httpRequest, host),
          });
        });

        await test.step(`setup: apply the ${mesh.ingressPolicyType.kind} admitting the ingress to httpbin:${httpbin.port}`, async () => {
          const policy = mesh.ingressPolicy({ namespace: ns.name, name: httpbin.name, service: httpbin.name, port: httpbin.port, source: ingressController.policySource, labels: runLabels(runId) });
          ns.cleanup.register(await cluster.apply(policy, { budgetMs }));
        });

        await test.step(`assess: the ${mesh.ingressPolicyType.kind} is committed`, async () => {
          await waitForObject(cluster, mesh.ingressPolicyType, ns.name, httpbin.name,
            `${mesh.ingressPolicyType.kind} ${ns.name}/${httpbin.name} to be committed`,
            (obj) => mesh.ingressPolicyAccepted(obj), { timeoutMs: config.timeouts.assert });
        });

        await test.step(`assess: HEAD and GET ${url} return 200 through the sidecar ${times} times in a row`, async () => {
          await requireConsecutive({
            description: `HEAD and GET ${url} (Host: ${host}) to return 200 with x-envoy-upstream-service-time`, times,
            timeoutMs: config.timeouts.http, retryIntervalMs: intervals.httpRetry,
            attempt: expectOkThroughSidecar(http, url, intervals.httpRequest, host),
          });
        });
      } finally {
        if (http.recent.length) await testInfo.attach('http exchanges', { body: JSON.stringify(http.recent, null, 2), contentType: 'application/json' });
      }
    });
}
