// Check `httpbin`: the mesh's sample deployed into the onboarded namespace runs with the sidecar injected.
import type { V1Service } from '@kubernetes/client-node';
import type { CheckBody } from '../../fixtures/index.ts';
import { expect, readyCount, resourceTypes, runLabels, sampleManifests, sampleSelector, test, waitForPodRunningAndReady, withSampleOverrides } from '../../fixtures/index.ts';

export const httpbinCheck: CheckBody = async ({ cluster, ns, mesh, runId, conformanceConfig: config }) => {
  const budgetMs = config.timeouts.apply;
  const sample = withSampleOverrides(mesh.sample, config);
  const sidecar = mesh.sidecar;

  await test.step(`setup: deploy the ${sample.name} sample (ServiceAccount, Service, Deployment; ${sample.source})`, async () => {
    for (const obj of sampleManifests(sample, ns.name, runLabels(runId))) {
      ns.cleanup.register(await cluster.apply(obj, { budgetMs }));
    }
  });

  const pod = await test.step(`assess: ${sample.name} pod is Running with 2/2 containers ready`, async () => {
    const { value } = await waitForPodRunningAndReady(cluster, ns.name, sampleSelector(sample), { timeoutMs: config.timeouts.rollout, expectedContainers: 2 });
    const { total } = value ? readyCount(value) : { total: 0 };
    const problems = value ? sidecar.problems(value) : [];
    expect(total, [
      `Pod ${ns.name}/${value?.metadata?.name ?? '?'} is Running with ${total}/${total} ready, expected 2/2 (${sample.name} and the ${sidecar.containerName} sidecar)`,
      ...problems.map((p) => `- ${p}`),
    ].join('\n')).toBe(2);
    return value;
  });

  await test.step(`assess: pod has ${sidecar.description}`, () => {
    const problems = pod ? sidecar.problems(pod) : ['no pod'];
    expect(problems, `Pod ${ns.name}/${pod?.metadata?.name ?? '?'} is not injected:\n${problems.map((p) => `- ${p}`).join('\n')}`).toEqual([]);
    const names = pod?.spec?.containers.map((c) => c.name) ?? [];
    expect(names, `Pod ${ns.name}/${pod?.metadata?.name ?? '?'} containers`).toContain(sample.name);
  });

  await test.step(`assess: Service ${sample.name} has a ClusterIP and serves ${sample.port}/TCP`, async () => {
    const svc = await cluster.read<V1Service>({ ...resourceTypes.service, namespace: ns.name, name: sample.name }, { budgetMs });
    const clusterIP = svc?.spec?.clusterIP;
    expect(clusterIP && clusterIP !== 'None', `Service ${ns.name}/${sample.name}: spec.clusterIP is ${JSON.stringify(clusterIP)}`).toBeTruthy();
    const ports = (svc?.spec?.ports ?? []).map((p) => `${p.port}/${p.protocol ?? 'TCP'}`);
    expect(ports, `Service ${ns.name}/${sample.name} ports`).toContain(`${sample.port}/TCP`);
  });
};
