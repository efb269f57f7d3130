// Check: a workload deployed into an onboarded namespace runs with the mesh sidecar injected.
import type { V1Service } from '@kubernetes/client-node';
import { checkDetails, expect, httpbin, httpbinManifests, resourceTypes, runLabels, test, waitForPodRunningAndReady } from '../../fixtures/index.ts';

export function httpbinInjectedCheck(): void {
  test('httpbin: the sample runs 2/2 Ready with the envoy sidecar injected',
    checkDetails('httpbin'),
    async ({ cluster, ns, mesh, runId, conformanceConfig: config }) => {
      const budgetMs = config.timeouts.apply;

      await test.step('setup: deploy the httpbin sample (ServiceAccount, Service, Deployment)', async () => {
        for (const obj of httpbinManifests(ns.name, runLabels(runId))) {
          ns.cleanup.register(await cluster.apply(obj, { budgetMs }));
        }
      });

      const pod = await test.step('assess: httpbin pod is Running with 2/2 containers ready', async () => {
        const { value } = await waitForPodRunningAndReady(cluster, ns.name, httpbin.appLabel, { timeoutMs: config.timeouts.rollout, expectedContainers: 2 });
        const names = value?.spec?.containers.map((c) => c.name) ?? [];
        const problems = value ? mesh.sidecarProblems(value) : [];
        expect(names.length, [
          `Pod ${ns.name}/${value?.metadata?.name ?? '?'} is Running with ${names.length}/${names.length} ready, expected 2/2 (${httpbin.containerName} and the ${mesh.sidecar.containerName} sidecar)`,
          ...problems.map((p) => `- ${p}`),
        ].join('\n')).toBe(2);
        return value;
      });

      await test.step(`assess: pod has the ${mesh.sidecar.containerName} sidecar, the ${mesh.sidecar.initContainerName} init container and the ${mesh.sidecar.injectedLabel} label`, () => {
        const problems = pod ? mesh.sidecarProblems(pod) : ['no pod'];
        expect(problems, `Pod ${ns.name}/${pod?.metadata?.name ?? '?'} is not injected:\n${problems.map((p) => `- ${p}`).join('\n')}`).toEqual([]);
        const names = pod?.spec?.containers.map((c) => c.name) ?? [];
        expect(names, `Pod ${ns.name}/${pod?.metadata?.name ?? '?'} containers`).toEqual(expect.arrayContaining([httpbin.containerName, mesh.sidecar.containerName]));
      });

      await test.step(`assess: Service httpbin has a ClusterIP and serves ${httpbin.port}/TCP`, async () => {
        const svc = await cluster.read<V1Service>({ ...resourceTypes.service, namespace: ns.name, name: httpbin.name }, { budgetMs });
        const clusterIP = svc?.spec?.clusterIP;
        expect(clusterIP && clusterIP !== 'None', `Service ${ns.name}/httpbin: spec.clusterIP is ${JSON.stringify(clusterIP)}`).toBeTruthy();
        const ports = (svc?.spec?.ports ?? []).map((p) => `${p.port}/${p.protocol ?? 'TCP'}`);
        expect(ports, `Service ${ns.name}/httpbin ports`).toContain(`${httpbin.port}/TCP`);
      });
    });
}
