import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { KubeApiError } from '../../k8s/api-error.ts';
import type { KubeClient } from '../../k8s/kube-client.ts';
import { addMonitorNamespace, ensureNamespaceCollected, monitorNamespaces, osmConfigKey, osmConfigToml, removeMonitorNamespace } from './azure-monitor-config.ts';

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

describe('ensureNamespaceCollected against concurrent writers', () => {
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
    const change = await ensureNamespaceCollected(client, { namespace: 'kube-system', name: 'c' }, 'mine', 1_000);
    assert.equal(change.added, true);
    assert.equal(patches, 2);
    assert.deepEqual(monitorNamespaces(stored.data?.[osmConfigKey]), ['ns1', 'ns2', 'other', 'mine']);
  });

  it('gives up after five conflicts in a row, with the API server\'s message', async () => {
    const client = {
      read: () => Promise.resolve({ metadata: { resourceVersion: '1' }, data: { [osmConfigKey]: docs } }),
      patch: () => Promise.reject(conflict()),
    } as unknown as KubeClient;
    await assert.rejects(ensureNamespaceCollected(client, { namespace: 'kube-system', name: 'c' }, 'mine', 1_000), /409 Conflict/);
  });
});
