import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { inversePatch, journaledChanges, restorableParts, stillHolds } from './shared-change.ts';

describe('shared change', () => {
  const original = { spec: { traffic: { enablePermissiveTrafficPolicyMode: true, inboundExternalAuthorization: { enable: false, statPrefix: 'inboundExtAuthz' } }, certificate: { certKeyBitSize: 2048 } } };
  const patch = { spec: { traffic: { inboundExternalAuthorization: { enable: true, address: 'opa.x.svc.cluster.local', port: 9191 } }, certificate: { ingressGateway: { subjectAltNames: ['a.b.cluster.local'], validityDuration: '24h' } } } };

  it('inverts a merge patch: original values back, null at the highest level that was absent', () => {
    assert.deepEqual(inversePatch(original, patch), {
      spec: { traffic: { inboundExternalAuthorization: { enable: false, address: null, port: null } }, certificate: { ingressGateway: null } },
    });
    assert.deepEqual(inversePatch(undefined, { a: { b: 1 } }), { a: null });
    assert.deepEqual(inversePatch({ list: [1, 2] }, { list: [3] }), { list: [1, 2] });
  });

  it('knows whether what the run set is still there (null: absent)', () => {
    assert.equal(stillHolds({ a: 1, b: [1], c: 'x' }, { a: 1, b: [1] }), true);
    assert.equal(stillHolds({ a: 2 }, { a: 1 }), false);
    assert.equal(stillHolds(undefined, null), true);
    assert.equal(stillHolds({ a: 1 }, { a: null }), false);
  });

  it('restores only the fields that still hold the run\'s value, and names the others', () => {
    const restore = inversePatch(original, patch);
    const now = { spec: { traffic: { inboundExternalAuthorization: { enable: true, address: 'someone-else', port: 9191 } }, certificate: { certKeyBitSize: 2048, ingressGateway: { subjectAltNames: ['a.b.cluster.local'], validityDuration: '24h' } } } };
    const parts = restorableParts(now, patch, restore);
    assert.deepEqual(parts.patch, { spec: { traffic: { inboundExternalAuthorization: { enable: false, port: null } }, certificate: { ingressGateway: null } } });
    assert.deepEqual(parts.changedSince, ['spec.traffic.inboundExternalAuthorization.address']);
  });

  it('reads back what a run journaled, oldest first', () => {
    const dir = mkdtempSync(join(tmpdir(), 'journal-'));
    try {
      const record = (n: number) => ({ name: 'c', ref: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'x', name: `m${n}` }, description: 'd', applied: {}, restore: {}, journal: undefined });
      writeFileSync(join(dir, '2-b.json'), JSON.stringify(record(2)));
      writeFileSync(join(dir, '1-a.json'), JSON.stringify(record(1)));
      writeFileSync(join(dir, 'notes.txt'), 'ignored');
      const changes = journaledChanges(dir);
      assert.deepEqual(changes.map((c) => c.ref.name), ['m1', 'm2']);
      assert.equal(changes[0]?.journal, join(dir, '1-a.json'));
      assert.deepEqual(journaledChanges(join(dir, 'absent')), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
