import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseFieldSelector, parseLabelSelector } from './selectors.ts';
import type { KubeObject } from './types.ts';

const pod = (labels: Record<string, string>, phase = 'Running'): KubeObject => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns', labels }, status: { phase }, spec: { nodeName: 'n1' },
});

void test('label selectors: equality, sets, existence', () => {
  const obj = pod({ app: 'httpbin', tier: 'web' });
  assert.equal(parseLabelSelector('app=httpbin')(obj), true);
  assert.equal(parseLabelSelector('app==httpbin,tier!=db')(obj), true);
  assert.equal(parseLabelSelector('app in (a, httpbin),tier notin (db)')(obj), true);
  assert.equal(parseLabelSelector('app,!legacy')(obj), true);
  assert.equal(parseLabelSelector('!app')(obj), false);
  assert.equal(parseLabelSelector('app=other')(obj), false);
  assert.equal(parseLabelSelector('')(obj), true);
});

void test('malformed label selector is a 400', () => {
  assert.throws(() => parseLabelSelector('a b c'), { code: 400 });
});

void test('field selectors on dotted paths', () => {
  const obj = pod({}, 'Pending');
  assert.equal(parseFieldSelector('metadata.name=p,metadata.namespace=ns')(obj), true);
  assert.equal(parseFieldSelector('status.phase!=Running')(obj), true);
  assert.equal(parseFieldSelector('spec.nodeName=n2')(obj), false);
});
