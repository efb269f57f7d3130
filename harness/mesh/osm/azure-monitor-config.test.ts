import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { KubeApiError } from '../../k8s/api-error.ts';
import type { KubeClient } from '../../k8s/kube-client.ts';
import { addMonitorNamespace, ensureNamespacesCollected, monitorNamespaces, osmConfigKey, osmConfigToml, removeMonitorNamespace, restoreOsmConfig } from './azure-monitor-config.ts';

const docs = [
  '[osm_metric_collection_configuration]',
  '  [osm_metric_collection_configuration.settings]',
  '    # OSM metric collection settings',
  '    monitor_namespaces = ["ns1","ns2"]',
].join('\n');

describe('container-azm-ms-osmconfig TOML', () => {
  it('reads monitor_namespaces from the documented layout', () => {
    assert.deepEqual(monitorNamespaces(docs), ['ns1', 'ns2']);
    assert.deepEqual(monitorNamespaces(undefined), []);
    assert.deepEqual(monitorNamespaces('monitor_namespaces = ["outside-the-section"]'), []);
  });

  it('adds a namespace after the existing entries and keeps everything else', () => {
    const { toml, added } = addMonitorNamespace(docs, 't-1');
    assert.equal(added, true);
    assert.deepEqual(monitorNamespaces(toml), ['ns1', 'ns2', 't-1']);
    assert.ok(toml.includes('# OSM metric collection settings'));
    assert.equal(toml.split('\n').length, docs.split('\n').length);
  });

  it('does not add a namespace twice', () => {
    assert.deepEqual(addMonitorNamespace(docs, 'ns2'), { toml: docs, added: false });
  });

  it('fills an empty list, a section without the key, and an empty value', () => {
    assert.deepEqual(monitorNamespaces(addMonitorNamespace(docs.replace('["ns1","ns2"]', '[]'), 'a').toml), ['a']);
    assert.deepEqual(monitorNamespaces(addMonitorNamespace(docs.split('\n').slice(0, 2).join('\n'), 'a').toml), ['a']);
    assert.deepEqual(monitorNamespaces(addMonitorNamespace('', 'a').toml), ['a']);
    assert.deepEqual(monitorNamespaces(addMonitorNamespace('[other]\nx = 1', 'a').toml), ['a']);
  });

  it('removes only the namespace it is given, leaving the others and the layout', () => {
    const added = addMonitorNamespace(docs, 't-1').toml;
    assert.equal(removeMonitorNamespace(added, 't-1'), docs);
    const middle = removeMonitorNamespace(docs.replace('"ns2"]', '"t-1","ns2"]'), 't-1');
    assert.deepEqual(monitorNamespaces(middle), ['ns1', 'ns2']);
    assert.deepEqual(monitorNamespaces(removeMonitorNamespace(osmConfigToml(['only']), 'only')), []);
    assert.equal(removeMonitorNamespace(docs, 'absent'), docs);
  });

  it('keeps entries others added while the run was going', () => {
    const ours = addMonitorNamespace(docs, 't-1').toml;
    const theirs = addMonitorNamespace(ours, 'someone-else').toml;
    assert.deepEqual(monitorNamespaces(removeMonitorNamespace(theirs, 't-1')), ['ns1', 'ns2', 'someone-else']);
  });
});

describe('ensureNamespacesCollected against concurrent writers', () => {
  const conflict = () => new KubeApiError('PATCH … → 409 Conflict: the object has been modified', 409, 'Conflict', {} as ConstructorParameters<typeof KubeApiError>[3]);

  it('reads again and retries when another writer changed the ConfigMap first (409), keeping their entry', async () => {
    let stored: V1ConfigMap = { metadata: { resourceVersion: '1' }, data: { [osmConfigKey]: docs } };
    let patches = 0;
    const client = {
      read: () => Promise.resolve(structuredClone(stored)),
      create: () => Promise.reject(new Error('must not create')),
      patch: (_ref: unknown, body: { metadata: { resourceVersion: string }; data: Record<string, string> }) => {
        patches += 1;
        if (patches === 1) {
          // Another worker added its namespace in between: this patch's resourceVersion is stale.
          stored = { metadata: { resourceVersion: '2' }, data: { [osmConfigKey]: addMonitorNamespace(docs, 'other').toml } };
          return Promise.reject(conflict());
        }
        assert.equal(body.metadata.resourceVersion, '2');
        stored = { metadata: { resourceVersion: '3' }, data: { ...stored.data, ...body.data } };
        return Promise.resolve(stored);
      },
    } as unknown as KubeClient;
    const change = await ensureNamespacesCollected(client, { namespace: 'kube-system', name: 'c' }, ['mine'], 1_000);
    assert.deepEqual(change.namespaces, ['mine']);
    assert.equal(patches, 2);
    assert.deepEqual(monitorNamespaces(stored.data?.[osmConfigKey]), ['ns1', 'ns2', 'other', 'mine']);
  });

  it('gives up after five conflicts in a row, with the API server\'s message', async () => {
    const client = {
      read: () => Promise.resolve({ metadata: { resourceVersion: '1' }, data: { [osmConfigKey]: docs } }),
      patch: () => Promise.reject(conflict()),
    } as unknown as KubeClient;
    await assert.rejects(ensureNamespacesCollected(client, { namespace: 'kube-system', name: 'c' }, ['mine'], 1_000), /409 Conflict/);
  });
});

describe('container-azm-ms-osmconfig shared by parallel workers (issue 19, F15)', () => {
  /** A ConfigMap store with kubectl's semantics for what the check uses: read, create, merge patch, delete (with a resourceVersion precondition). */
  function fakeCluster(initial?: V1ConfigMap) {
    let cm: V1ConfigMap | undefined = initial ? structuredClone(initial) : undefined;
    let rv = 1;
    const bump = (): void => {
      if (cm) cm.metadata = { ...cm.metadata, resourceVersion: String(++rv) };
    };
    const client = {
      read: () => Promise.resolve(cm ? structuredClone(cm) : undefined),
      create: (obj: V1ConfigMap) => {
        if (cm) return Promise.reject(new KubeApiError('409 AlreadyExists', 409, 'AlreadyExists', { request: '', code: 409, headers: {}, body: '', at: '' }));
        cm = structuredClone(obj);
        bump();
        return Promise.resolve(structuredClone(cm));
      },
      patch: (_ref: unknown, patch: { metadata?: { resourceVersion?: string }; data?: Record<string, string> }) => {
        if (!cm) return Promise.reject(new KubeApiError('404', 404, 'NotFound', { request: '', code: 404, headers: {}, body: '', at: '' }));
        if (patch.metadata?.resourceVersion && patch.metadata.resourceVersion !== cm.metadata?.resourceVersion) return Promise.reject(new KubeApiError('409 Conflict', 409, 'Conflict', { request: '', code: 409, headers: {}, body: '', at: '' }));
        cm.data = { ...cm.data, ...patch.data };
        bump();
        return Promise.resolve(structuredClone(cm));
      },
      delete: (_ref: unknown, opts: { preconditions?: { resourceVersion?: string } }) => {
        if (!cm) return Promise.resolve(false);
        if (opts.preconditions?.resourceVersion && opts.preconditions.resourceVersion !== cm.metadata?.resourceVersion) return Promise.reject(new KubeApiError('409 Conflict', 409, 'Conflict', { request: '', code: 409, headers: {}, body: '', at: '' }));
        cm = undefined;
        return Promise.resolve(true);
      },
    };
    return { client: client as unknown as KubeClient, current: () => cm };
  }
  const where = { namespace: 'kube-system', name: 'container-azm-ms-osmconfig' };

  it('the last worker to restore deletes the ConfigMap the run created, whichever created it', async () => {
    for (const order of [['a', 'b'], ['b', 'a']] as const) {
      const { client, current } = fakeCluster();
      const a = await ensureNamespacesCollected(client, where, ['mc-a'], 1_000);
      const b = await ensureNamespacesCollected(client, where, ['mc-b'], 1_000);
      assert.equal(a.created, true);
      assert.equal(b.created, false);
      assert.deepEqual(monitorNamespaces(current()?.data?.[osmConfigKey]), ['mc-a', 'mc-b']);
      const changes = { a, b };
      await restoreOsmConfig(client, where, changes[order[0]], 1_000);
      assert.ok(current(), 'still listing the other worker\'s namespace');
      await restoreOsmConfig(client, where, changes[order[1]], 1_000);
      assert.equal(current(), undefined, `order ${order.join(', ')}: nothing left behind`);
    }
  });

  it('never deletes a ConfigMap someone else created, nor one that lists another namespace', async () => {
    const theirs: V1ConfigMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: where.name, namespace: where.namespace }, data: { [osmConfigKey]: osmConfigToml([]) } };
    const { client, current } = fakeCluster(theirs);
    const a = await ensureNamespacesCollected(client, where, ['mc-a'], 1_000);
    await restoreOsmConfig(client, where, a, 1_000);
    assert.ok(current(), 'the user\'s ConfigMap stays');
    assert.deepEqual(monitorNamespaces(current()?.data?.[osmConfigKey]), []);
  });

  it('lists a run\'s copies in one write and takes them out in one write, keeping what others listed', async () => {
    const theirs: V1ConfigMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: where.name, namespace: where.namespace, resourceVersion: '1' }, data: { [osmConfigKey]: osmConfigToml(['user-ns']) } };
    const { client, current } = fakeCluster(theirs);
    const writes = (): number => Number(current()?.metadata?.resourceVersion ?? 0);
    const before = writes();
    const first = await ensureNamespacesCollected(client, where, ['mc-a', 'mc-b', 'mc-c'], 1_000);
    assert.deepEqual(first.namespaces, ['mc-a', 'mc-b', 'mc-c']);
    assert.equal(writes() - before, 1, 'one write for three namespaces');
    const later = await ensureNamespacesCollected(client, where, ['mc-b', 'mc-a', 'mc-c'], 1_000);
    assert.deepEqual(later.namespaces, [], 'a later copy finds its namespace listed and writes nothing');
    assert.equal(writes() - before, 1);
    assert.match(await restoreOsmConfig(client, where, first, 1_000), /removed mc-a, mc-b and mc-c/);
    assert.equal(writes() - before, 2);
    assert.deepEqual(monitorNamespaces(current()?.data?.[osmConfigKey]), ['user-ns']);
    assert.match(await restoreOsmConfig(client, where, first, 1_000), /no longer lists/, 'a second restore writes nothing');
    assert.equal(writes() - before, 2);
  });
});

