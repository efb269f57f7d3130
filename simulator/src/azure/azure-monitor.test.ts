/** The Azure Monitor agent reads its OSM config at start only: an edit takes effect after the restart it causes. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { KubeObject } from '../cluster/types.ts';
import { FakeStore, fakeTypes } from '../node/testing/fake-store.ts';
import { startAzureMonitor } from './azure-monitor.ts';
import { osmConfigKey, osmConfigMapName, osmConfigMapNamespace } from './osm-metrics-config.ts';

const configMapType = fakeTypes.configMap;
const osmConfig = (namespaces: string[]): KubeObject => ({
  apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: osmConfigMapNamespace, name: osmConfigMapName },
  data: { 'schema-version': 'v1', [osmConfigKey]: `[osm_metric_collection_configuration.settings]\nmonitor_namespaces = [${namespaces.map((n) => `"${n}"`).join(',')}]\n` },
});

async function until(what: string, predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('Azure Monitor agent config reload', () => {
  it('restarts once per burst of edits, reloadMs after the last one', async () => {
    const store = new FakeStore();
    const dir = mkdtempSync(join(tmpdir(), 'azmon-'));
    const monitor = await startAzureMonitor({
      store, dir, clusterResourceId: '/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerService/managedClusters/c',
      timings: { azureMonitorIntervalMs: 60_000, azureMonitorIngestionDelayMs: 0, azureMonitorConfigReloadMs: 300, azureMonitorDiscoveryMs: 0 },
    });
    try {
      await store.create(configMapType, osmConfig(['a']));
      await store.update(configMapType, osmConfig(['a', 'b']));
      assert.equal(monitor.restarts(), 0, 'an edit is not read until the agent restarts');
      await until('the agent to restart', () => monitor.restarts() > 0);
      assert.equal(monitor.restarts(), 1, 'two edits in a burst: one restart');
    } finally {
      await monitor.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
