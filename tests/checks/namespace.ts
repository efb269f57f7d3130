// Check `namespace`: a fresh namespace can be onboarded into the mesh (sidecar injection and metrics enabled).
import type { V1Namespace } from '@kubernetes/client-node';
import type { CheckBody } from '../../fixtures/index.ts';
import { expect, metadataMismatches, patchNamespaceMetadata, resourceTypes, runLabelKeys, test } from '../../fixtures/index.ts';

export const namespaceCheck: CheckBody = async ({ cluster, ns, mesh, runId, conformanceConfig: config }) => {
  const budgetMs = config.timeouts.apply;
  const readNamespace = () => cluster.read<V1Namespace>({ ...resourceTypes.namespace, name: ns.name }, { budgetMs });

  for (const step of mesh.onboarding.steps()) {
    await test.step(`setup: onboard namespace ${ns.name} into the mesh (${step.title})`, async () => {
      await patchNamespaceMetadata(cluster, ns.name, step.metadata, budgetMs);
    });
  }
  await test.step('assess: namespace carries the run labels', async () => {
    const got = await readNamespace();
    const mismatches = metadataMismatches({ labels: { [runLabelKeys.runId]: runId } }, got?.metadata);
    expect(mismatches, `Namespace ${ns.name}:\n${mismatches.join('\n')}`).toEqual([]);
    expect(got?.metadata?.labels?.[runLabelKeys.createdAt], `Namespace ${ns.name}: label ${runLabelKeys.createdAt}`).toBeTruthy();
  });
  await test.step('assess: namespace reads back the mesh\'s onboarding labels and annotations', async () => {
    const expected = mesh.onboarding.expected();
    await expect.poll(async () => metadataMismatches(expected, (await readNamespace())?.metadata), {
      message: `Namespace ${ns.name} should read back the mesh onboarding labels and annotations`,
      timeout: config.timeouts.assert,
    }).toEqual([]);
  });
};
