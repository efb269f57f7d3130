import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyPatch, jsonPatch, mergePatch, patchTypeOf, strategicMerge } from './patch.ts';

void test('merge patch: null deletes, objects merge, lists replace', () => {
  assert.deepEqual(mergePatch({ a: 1, b: { c: 2, d: 3 }, l: [1, 2] }, { a: null, b: { c: 4 }, l: [3] }), { b: { c: 4, d: 3 }, l: [3] });
});

void test('strategic merge: containers by name, ports by key, $patch delete, $retainKeys, finalizers as a set', () => {
  const target = {
    spec: {
      containers: [{ name: 'app', image: 'a:1', ports: [{ containerPort: 80 }] }, { name: 'envoy', image: 'e' }],
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } },
    },
    metadata: { finalizers: ['x'] },
  };
  const patched = strategicMerge(target, {
    spec: {
      containers: [{ name: 'app', image: 'a:2', ports: [{ containerPort: 8080 }] }, { name: 'envoy', $patch: 'delete' }],
      $setElementOrder: { containers: [{ name: 'app' }] },
      strategy: { $retainKeys: ['type'], type: 'Recreate' },
    },
    metadata: { finalizers: ['y'] },
  }) as { spec: { containers: { name: string; image: string; ports: unknown[] }[]; strategy: unknown }; metadata: { finalizers: string[] } };
  assert.deepEqual(patched.spec.containers.map((c) => [c.name, c.image, c.ports.length]), [['app', 'a:2', 2]]);
  assert.deepEqual(patched.spec.strategy, { type: 'Recreate' });
  assert.deepEqual(patched.metadata.finalizers, ['x', 'y']);
});

void test('json patch: add, replace, remove, test failure is 422', () => {
  const doc = { metadata: { labels: { a: '1' } }, spec: { list: [1, 2] } };
  const out = jsonPatch(doc, [
    { op: 'add', path: '/metadata/labels/b~1c', value: '2' },
    { op: 'replace', path: '/spec/list/0', value: 9 },
    { op: 'add', path: '/spec/list/-', value: 3 },
    { op: 'remove', path: '/metadata/labels/a' },
  ]);
  assert.deepEqual(out, { metadata: { labels: { 'b/c': '2' } }, spec: { list: [9, 2, 3] } });
  assert.throws(() => jsonPatch(doc, [{ op: 'test', path: '/spec/list/0', value: 5 }]), { code: 422 });
  assert.throws(() => jsonPatch(doc, [{ op: 'remove', path: '/nope/x' }]), { code: 422 });
});

void test('content types: unknown is 415, strategic merge on custom resources is 415', () => {
  assert.equal(patchTypeOf('application/merge-patch+json; charset=utf-8'), 'merge');
  assert.throws(() => patchTypeOf('text/plain'), { code: 415 });
  assert.throws(() => applyPatch('strategic', {}, {}, false), { code: 415 });
});
