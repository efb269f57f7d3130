// Check: a fresh namespace can be onboarded into the mesh (sidecar injection and metrics enabled).
import type { V1Namespace } from '@kubernetes/client-node';
import { checkDetails, enableNamespaceMetrics, expect, metadataMismatches, onboardNamespace, resourceTypes, runLabelKeys, test } from '../../fixtures/index.ts';

export function namespaceOnboardedCheck(): void {
  test('namespace: a fresh namespace is onboarded into the mesh with metrics enabled',
    checkDetails('namespace'),
    async ({ cluster, ns, mesh, runId, conformanceConfig: config }) => {
      const budgetMs = config.timeouts.apply;
      const readNamespace = () => cluster.read<V1Namespace>({ ...resourceTypes.namespace, name: ns.name }, { budgetMs });

      await test.step(`setup: onboard namespace ${ns.name} into mesh ${mesh.meshName} (osm namespace add)`, async () => {
        await onboardNamespace(cluster, mesh, ns.name, budgetMs);
      });
      await test.step('setup: enable metrics for the namespace (osm metrics enable)', async () => {
        await enableNamespaceMetrics(cluster, mesh, ns.name, budgetMs);
      });
      await test.step('assess: namespace carries the run labels', async () => {
        const got = await readNamespace();
        const mismatches = metadataMismatches({ labels: { [runLabelKeys.runId]: runId } }, got?.metadata);
        expect(mismatches, `Namespace ${ns.name}:\n${mismatches.join('\n')}`).toEqual([]);
        expect(got?.metadata?.labels?.[runLabelKeys.createdAt], `Namespace ${ns.name}: label ${runLabelKeys.createdAt}`).toBeTruthy();
      });
      await test.step('assess: namespace is monitored by the mesh with sidecar injection and metrics enabled', async () => {
        const expected = mesh.expectedNamespaceMetadata();
        await expect.poll(async () => metadataMismatches(expected, (await readNamespace())?.metadata), {
          message: `Namespace ${ns.name} should read back the mesh onboarding labels and annotations`,
          timeout: config.timeouts.assert,
        }).toEqual([]);
      });
    });
}
