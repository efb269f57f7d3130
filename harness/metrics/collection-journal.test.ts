import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { KubeClient } from '../k8s/kube-client.ts';
import { journalCollection, journaledNamespaces, namespacesToCollect, registerRunNamespace, restoreJournaledCollection } from './collection-journal.ts';
import type { CollectionChange, MetricsCollection } from './mesh-metrics.ts';

function runFolder() {
  const dir = mkdtempSync(join(tmpdir(), 'collection-journal-'));
  return { namespaces: join(dir, 'namespaces'), cleanup: join(dir, 'cleanup'), metricsCollection: join(dir, 'metrics-collection') };
}

/** A collection that records the restores it was asked for. */
function recordingCollection(): { collection: MetricsCollection; restores: CollectionChange[] } {
  const restores: CollectionChange[] = [];
  const collection: MetricsCollection = {
    object: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'kube-system', name: 'c', why: '', change: 'metrics-collection' },
    ensure: () => Promise.reject(new Error('not used')),
    restore: (_client, change) => {
      restores.push(change);
      return Promise.resolve(`removed ${change.namespaces.join(', ')}`);
    },
    listed: () => Promise.resolve([]),
  };
  return { collection, restores };
}

describe('the metrics collection across a run\'s copies', () => {
  it('lists the copy\'s own namespace first, then every registered copy whose teardown has not run', () => {
    const paths = runFolder();
    assert.deepEqual(namespacesToCollect(paths, 'mc-b'), ['mc-b'], 'nothing registered: only its own');
    for (const n of ['mc-a', 'mc-b', 'mc-c']) registerRunNamespace(paths, n);
    mkdirSync(paths.cleanup, { recursive: true });
    writeFileSync(join(paths.cleanup, 'mc-c.json'), '{}');
    assert.deepEqual(namespacesToCollect(paths, 'mc-b'), ['mc-b', 'mc-a'], 'mc-c ended: not listed again');
  });

  it('restores everything journaled in one call and empties the journal', async () => {
    const paths = runFolder();
    journalCollection(paths, ['mc-a', 'mc-b']);
    journalCollection(paths, ['mc-b', 'mc-c']);
    assert.deepEqual(journaledNamespaces(paths), ['mc-a', 'mc-b', 'mc-c']);
    const { collection, restores } = recordingCollection();
    assert.equal(await restoreJournaledCollection({} as KubeClient, collection, paths, 1_000), 'removed mc-a, mc-b, mc-c');
    assert.deepEqual(restores.map((r) => r.namespaces), [['mc-a', 'mc-b', 'mc-c']], 'one restore for the whole run');
    assert.deepEqual(readdirSync(paths.metricsCollection), []);
    assert.equal(await restoreJournaledCollection({} as KubeClient, collection, paths, 1_000), undefined, 'an empty journal: nothing to do');
    assert.equal(restores.length, 1);
  });

  it('keeps the journal when the restore fails, for a later try', async () => {
    const paths = runFolder();
    journalCollection(paths, ['mc-a']);
    const { collection } = recordingCollection();
    const failing: MetricsCollection = { ...collection, restore: () => Promise.reject(new Error('403 Forbidden')) };
    await assert.rejects(restoreJournaledCollection({} as KubeClient, failing, paths, 1_000), /403/);
    assert.deepEqual(journaledNamespaces(paths), ['mc-a']);
    assert.ok(existsSync(paths.metricsCollection));
  });

  it('skips a journal file it cannot read', () => {
    const paths = runFolder();
    journalCollection(paths, ['mc-a']);
    writeFileSync(join(paths.metricsCollection, '0-broken.json'), '{not json');
    assert.deepEqual(journaledNamespaces(paths), ['mc-a']);
  });
});
