// Lists and watches as kube-apiserver serves them: limit/continue with remainingItemCount, resourceVersion and
// resourceVersionMatch semantics, 410 Gone once a resourceVersion is compacted away (watch, Exact list, continue
// token), periodic bookmarks, sendInitialEvents refused as by a server without the WatchList gate, and the
// watch-expired fault that makes clients relist.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'node:https';
import { promisify } from 'node:util';
import { describe, test } from 'node:test';
import { CoreV1Api, KubeConfig, Watch } from '@kubernetes/client-node';
import { faultHooks } from '../faults/testing/fault-hooks.ts';
import { watchExpiredStreamMs, watchExpiredWindowMs } from '../faults/watch-expired.ts';
import { startTestCluster } from './test-cluster.ts';
import type { TestCluster } from './test-cluster.ts';

const run = promisify(execFile);

function get(cluster: TestCluster, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, cluster.server.url), { ca: cluster.server.caPem, headers: { Authorization: `Bearer ${cluster.server.token}` } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function json(cluster: TestCluster, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await get(cluster, path);
  return { status: r.status, body: JSON.parse(r.body) as Record<string, unknown> };
}

/** Reads a watch stream until it ends or `count` events came; each line parsed. */
function watchEvents(cluster: TestCluster, path: string, count: number, timeoutMs = 5_000): Promise<{ type: string; object: Record<string, unknown> }[]> {
  return new Promise((resolve, reject) => {
    const events: { type: string; object: Record<string, unknown> }[] = [];
    let buffer = '';
    const req = request(new URL(path, cluster.server.url), { ca: cluster.server.caPem, headers: { Authorization: `Bearer ${cluster.server.token}` } }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          events.push(JSON.parse(buffer.slice(0, nl)) as { type: string; object: Record<string, unknown> });
          buffer = buffer.slice(nl + 1);
        }
        if (events.length >= count) {
          req.destroy();
          resolve(events);
        }
      });
      res.on('end', () => resolve(events));
    });
    const timer = setTimeout(() => {
      req.destroy();
      resolve(events);
    }, timeoutMs);
    req.on('close', () => clearTimeout(timer));
    req.on('error', (err) => (events.length >= count ? undefined : reject(err)));
    req.end();
  });
}

async function configMaps(cluster: TestCluster, names: string[]): Promise<void> {
  const cms = cluster.type('', 'v1', 'configmaps');
  for (const name of names) await cluster.store.create(cms, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default', labels: { n: name } } });
}

describe('paged lists', () => {
  test('limit pages in name order with a continue token and remainingItemCount; the token reads the first page\'s snapshot', async () => {
    const cluster = await startTestCluster();
    try {
      await configMaps(cluster, ['e', 'a', 'c', 'b', 'd']);
      const first = await json(cluster, '/api/v1/namespaces/default/configmaps?limit=2');
      const meta = first.body.metadata as { continue: string; remainingItemCount: number; resourceVersion: string };
      assert.deepEqual((first.body.items as { metadata: { name: string } }[]).map((i) => i.metadata.name), ['a', 'b']);
      assert.equal(meta.remainingItemCount, 3);
      assert.deepEqual(JSON.parse(Buffer.from(meta.continue, 'base64url').toString()), { v: 'meta.k8s.io/v1', rv: Number(meta.resourceVersion), start: 'b\u0000' });
      // Changes after the first page are not seen by the following pages (a consistent snapshot).
      await configMaps(cluster, ['bb']);
      await cluster.store.delete(cluster.type('', 'v1', 'configmaps'), 'default', 'e');
      const second = await json(cluster, `/api/v1/namespaces/default/configmaps?limit=2&continue=${meta.continue}`);
      assert.deepEqual((second.body.items as { metadata: { name: string } }[]).map((i) => i.metadata.name), ['c', 'd']);
      assert.equal((second.body.metadata as { resourceVersion: string }).resourceVersion, meta.resourceVersion);
      const third = await json(cluster, `/api/v1/namespaces/default/configmaps?limit=2&continue=${(second.body.metadata as { continue: string }).continue}`);
      assert.deepEqual((third.body.items as { metadata: { name: string } }[]).map((i) => i.metadata.name), ['e']);
      assert.equal((third.body.metadata as { continue?: string }).continue, undefined);
      // With a selector there is no remainingItemCount; resourceVersion=0 is served complete, as from the watch cache.
      const selected = await json(cluster, '/api/v1/namespaces/default/configmaps?limit=1&labelSelector=n%20in%20(a,c)');
      assert.equal((selected.body.metadata as { remainingItemCount?: number }).remainingItemCount, undefined);
      assert.ok((selected.body.metadata as { continue?: string }).continue);
      const cached = await json(cluster, '/api/v1/namespaces/default/configmaps?limit=1&resourceVersion=0');
      assert.equal((cached.body.items as unknown[]).length, 5);
    } finally {
      await cluster.close();
    }
  });

  test('client-node and kubectl page through a list (kubectl get --chunk-size)', async () => {
    const cluster = await startTestCluster();
    try {
      await configMaps(cluster, ['p1', 'p2', 'p3']);
      const kc = new KubeConfig();
      kc.loadFromFile(cluster.kubeconfig);
      const core = kc.makeApiClient(CoreV1Api);
      const page = await core.listNamespacedConfigMap({ namespace: 'default', limit: 2 });
      assert.equal(page.items.length, 2);
      const rest = await core.listNamespacedConfigMap({ namespace: 'default', limit: 2, _continue: page.metadata!._continue! });
      assert.deepEqual(rest.items.map((i) => i.metadata?.name), ['p3']);
      const kubectl = process.env.KUBECTL ?? (existsSync('/usr/lib/google-cloud-sdk/bin/kubectl.1.32') ? '/usr/lib/google-cloud-sdk/bin/kubectl.1.32' : 'kubectl');
      const { stdout } = await run(kubectl, ['--kubeconfig', cluster.kubeconfig, '--cache-dir', join(cluster.dir, 'cache'), 'get', 'configmaps', '--chunk-size=1', '-o', 'name'], { timeout: 20_000 });
      assert.equal(stdout, 'configmap/p1\nconfigmap/p2\nconfigmap/p3\n');
      const pages = cluster.server.requestLog.entries().filter((e) => e.path.startsWith('/api/v1/namespaces/default/configmaps?') && e.userAgent.startsWith('kubectl'));
      assert.equal(pages.length, 3, pages.map((p) => p.path).join('\n'));
      assert.ok(pages.slice(1).every((p) => p.path.includes('continue=')));
    } finally {
      await cluster.close();
    }
  });

  test('a compacted continue token is 410 with an inconsistent-continuation token; Exact lists too; a future resourceVersion is 504', async () => {
    const cluster = await startTestCluster({}, { compactionWindowMs: 100 });
    try {
      await configMaps(cluster, ['a', 'b', 'c']);
      const first = await json(cluster, '/api/v1/namespaces/default/configmaps?limit=1');
      const token = (first.body.metadata as { continue: string }).continue;
      const rv = (first.body.metadata as { resourceVersion: string }).resourceVersion;
      // A write after the snapshot, then compaction past it: the snapshot can no longer be rebuilt.
      await configMaps(cluster, ['d']);
      await new Promise((r) => setTimeout(r, 150));
      await configMaps(cluster, ['e']);
      const expired = await json(cluster, `/api/v1/namespaces/default/configmaps?limit=1&continue=${token}`);
      assert.equal(expired.status, 410);
      assert.equal(expired.body.reason, 'Expired');
      assert.match(String(expired.body.message), /^The provided continue parameter is too old to display a consistent list result\. You can start a new list without the continue parameter, or use the continue token in this response/);
      const next = (expired.body.metadata as { continue: string }).continue;
      assert.deepEqual(JSON.parse(Buffer.from(next, 'base64url').toString()), { v: 'meta.k8s.io/v1', rv: -1, start: 'a\u0000' });
      const inconsistent = await json(cluster, `/api/v1/namespaces/default/configmaps?limit=5&continue=${next}`);
      assert.deepEqual((inconsistent.body.items as { metadata: { name: string } }[]).map((i) => i.metadata.name), ['b', 'c', 'd', 'e']);
      const exact = await json(cluster, `/api/v1/namespaces/default/configmaps?resourceVersion=${rv}&resourceVersionMatch=Exact`);
      assert.deepEqual([exact.status, exact.body.message], [410, 'The resourceVersion for the provided list is too old.']);
      const future = await json(cluster, '/api/v1/namespaces/default/configmaps?resourceVersion=999999');
      assert.equal(future.status, 504);
      assert.match(String(future.body.message), /^Timeout: Too large resource version: 999999, current: \d+$/);
      const bad = await json(cluster, '/api/v1/namespaces/default/configmaps?resourceVersionMatch=Exact');
      assert.equal(bad.body.message, 'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided');
    } finally {
      await cluster.close();
    }
  });
});

describe('watches', () => {
  test('a watch from a compacted resourceVersion is an ERROR 410 "too old resource version" event in a 200 stream', async () => {
    const cluster = await startTestCluster({}, { compactionWindowMs: 100 });
    try {
      await configMaps(cluster, ['w1']);
      const rv = cluster.store.currentResourceVersion();
      await configMaps(cluster, ['w2']);
      await new Promise((r) => setTimeout(r, 150));
      await configMaps(cluster, ['w3']);
      const events = await watchEvents(cluster, `/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${rv}`, 1);
      assert.equal(events[0]?.type, 'ERROR');
      assert.deepEqual([events[0]?.object.code, events[0]?.object.reason], [410, 'Expired']);
      assert.match(String(events[0]?.object.message), new RegExp(`^too old resource version: ${rv} \\(\\d+\\)$`));
    } finally {
      await cluster.close();
    }
  });

  test('bookmarks come periodically and 2 s before timeoutSeconds, with the current resourceVersion; none without allowWatchBookmarks', async () => {
    const cluster = await startTestCluster({ bookmarkIntervalMs: 200 });
    try {
      const rv = cluster.store.currentResourceVersion();
      const events = await watchEvents(cluster, `/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${rv}&allowWatchBookmarks=true`, 2, 3_000);
      assert.deepEqual(events.map((e) => e.type), ['BOOKMARK', 'BOOKMARK']);
      assert.deepEqual(events[0]?.object, { kind: 'ConfigMap', apiVersion: 'v1', metadata: { resourceVersion: cluster.store.currentResourceVersion() } });
      const plain = await watchEvents(cluster, `/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${rv}`, 1, 700);
      assert.deepEqual(plain, []);
    } finally {
      await cluster.close();
    }
    const slow = await startTestCluster();
    try {
      const t0 = Date.now();
      const events = await watchEvents(slow, `/api/v1/namespaces/default/configmaps?watch=1&allowWatchBookmarks=true&timeoutSeconds=3&resourceVersion=${slow.store.currentResourceVersion()}`, 1, 5_000);
      assert.equal(events[0]?.type, 'BOOKMARK');
      const elapsed = Date.now() - t0;
      assert.ok(elapsed >= 900 && elapsed < 2_000, `the pre-timeout bookmark came after ${elapsed} ms`);
    } finally {
      await slow.close();
    }
  });

  test('sendInitialEvents is refused as by a server without the WatchList feature gate (so clients fall back to list)', async () => {
    const cluster = await startTestCluster();
    try {
      const r = await json(cluster, '/api/v1/namespaces/default/configmaps?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true');
      assert.equal(r.status, 422);
      assert.equal(r.body.message, 'ListOptions.meta.k8s.io "" is invalid: sendInitialEvents: Forbidden: sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled');
      const list = await json(cluster, '/api/v1/namespaces/default/configmaps?sendInitialEvents=true');
      assert.equal(list.body.message, 'ListOptions.meta.k8s.io "" is invalid: sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list');
    } finally {
      await cluster.close();
    }
  });
});

test('watch-expired: the server ends streams early and the resumed watch gets 410, so client-node\'s informer pattern must relist', async () => {
  const hooks = faultHooks('watch-expired');
  assert.equal(hooks.api.compactionWindowMs, watchExpiredWindowMs);
  const cluster = await startTestCluster({ hooks: hooks.api }, { compactionWindowMs: hooks.api.compactionWindowMs });
  try {
    const kc = new KubeConfig();
    kc.loadFromFile(cluster.kubeconfig);
    await configMaps(cluster, ['x']);
    const rv = cluster.store.currentResourceVersion();
    const t0 = Date.now();
    const ended = await new Promise<unknown>((resolve) => {
      void new Watch(kc).watch('/api/v1/namespaces/default/configmaps', { resourceVersion: rv }, () => undefined, resolve);
    });
    assert.equal(ended, null, 'the server closed the stream');
    assert.ok(Date.now() - t0 >= watchExpiredStreamMs - 100);
    // Something was written meanwhile, as on any cluster (a lease renewal); by now it is compacted.
    await configMaps(cluster, ['y']);
    await new Promise((r) => setTimeout(r, watchExpiredWindowMs + 100));
    await configMaps(cluster, ['z']);
    const resumed = await watchEvents(cluster, `/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${rv}`, 1);
    assert.deepEqual([resumed[0]?.type, resumed[0]?.object.code], ['ERROR', 410]);
  } finally {
    await cluster.close();
  }
});
