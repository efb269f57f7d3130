/**
 * Test helper: a fresh store and API server on a free loopback port, plus a kubeconfig for it.
 * Use in simulator unit tests that need a real client on the other end.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStore } from '../cluster/store.ts';
import type { MemoryStore, StoreOptions } from '../cluster/store.ts';
import type { ResourceType } from '../cluster/types.ts';
import { startLifecycleControllers } from '../controllers/index.ts';
import { writeKubeconfig } from './kubeconfig.ts';
import { startApiServer } from './server.ts';
import type { ApiServer, ApiServerOptions } from './server.ts';

export interface TestCluster {
  store: MemoryStore;
  server: ApiServer;
  kubeconfig: string;
  dir: string;
  type(group: string, version: string, plural: string): ResourceType;
  close(): Promise<void>;
}

/**
 * Starts a store with namespaces `default` and `kube-system`, the namespace and garbage-collector controllers (so
 * deletions finish as on a cluster), and an API server for it.
 */
export async function startTestCluster(options: Partial<ApiServerOptions> = {}, storeOptions: StoreOptions = {}): Promise<TestCluster> {
  const store = createStore(undefined, storeOptions);
  const type = (group: string, version: string, plural: string): ResourceType => {
    const t = store.types.byPath(group, version, plural);
    if (!t) throw new Error(`no resource type ${group}/${version}/${plural}`);
    return t;
  };
  for (const name of ['default', 'kube-system']) {
    await store.create(type('', 'v1', 'namespaces'), { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }
  const lifecycle = startLifecycleControllers(store);
  const server = await startApiServer({ store, ...options });
  const dir = mkdtempSync(join(tmpdir(), 'sim-api-'));
  const kubeconfig = join(dir, 'kubeconfig');
  writeKubeconfig(kubeconfig, { server: server.url, caPem: server.caPem, token: server.token, context: 'mesh-conformance-sim-test' });
  return {
    store, server, kubeconfig, dir, type,
    async close() {
      for (const controller of lifecycle) controller.stop();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
