import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CheckDefinition } from './catalogue.ts';
import { checkCatalogue, checkTags, featureSkipReason, orderedChecks } from './catalogue.ts';

const check = (id: string, dependsOn?: string, extra: Partial<CheckDefinition> = {}): CheckDefinition =>
  ({ id, dependsOn, title: id, tag: `@${id}`, severity: 'normal', story: id, level: 'core', ...extra });

describe('check catalogue', () => {
  it('runs every check after the one it depends on, whatever the catalogue order', () => {
    assert.deepEqual(orderedChecks([check('c', 'b'), check('a'), check('b', 'a')]).map((c) => c.id), ['a', 'b', 'c']);
    assert.deepEqual(orderedChecks().map((c) => c.id), ['namespace', 'httpbin', 'ingress', 'metrics', 'workload-identity', 'external-authorization', 'ingress-mtls', 'dapr-invocation', 'canary']);
  });
  it('runs the core checks first, then the extended ones', () => {
    const ext = (id: string, dependsOn?: string) => check(id, dependsOn, { level: 'extended', feature: `f-${id}` });
    assert.deepEqual(orderedChecks([ext('x', 'a'), check('a'), ext('y', 'x'), check('b', 'a')]).map((c) => c.id), ['a', 'b', 'x', 'y']);
  });
  it('refuses a core check built on an extended one, an extended check without a feature, a core check with one', () => {
    assert.throws(() => orderedChecks([check('x', undefined, { level: 'extended', feature: 'f' }), check('a', 'x')]), /core check a depends on extended check x/);
    assert.throws(() => orderedChecks([check('x', undefined, { level: 'extended' })]), /extended check x names no feature/);
    assert.throws(() => orderedChecks([check('a', undefined, { feature: 'f' })]), /core check a names feature f/);
  });
  it('runs the checks marked runsLast after all others, whatever the catalogue order, and refuses a check built on one', () => {
    const ext = (id: string, dependsOn?: string, extra: Partial<CheckDefinition> = {}) => check(id, dependsOn, { level: 'extended', feature: `f-${id}`, ...extra });
    assert.deepEqual(orderedChecks([check('a'), ext('last', 'a', { runsLast: true }), ext('x', 'a'), ext('y', 'a')]).map((c) => c.id), ['a', 'x', 'y', 'last']);
    assert.throws(() => orderedChecks([check('a'), ext('last', 'a', { runsLast: true }), ext('x', 'last')]), /check x depends on last, which runs last/);
  });
  it('refuses an unknown dependency and a cycle', () => {
    assert.throws(() => orderedChecks([check('a', 'nope')]), /check a depends on nope, which is not in the catalogue/);
    assert.throws(() => orderedChecks([check('a', 'b'), check('b', 'a')]), /dependency cycle: a → b → a/);
  });
  it('tags a check with its level and with the tags of every check built on it', () => {
    assert.deepEqual(checkTags('httpbin'), ['@core', '@sidecar', '@ingress', '@metrics', '@identity', '@ext-authz', '@mtls', '@dapr', '@flagger']);
    assert.deepEqual(checkTags('ingress'), ['@core', '@ingress', '@metrics', '@identity', '@ext-authz', '@mtls', '@dapr', '@flagger']);
    assert.deepEqual(checkTags('metrics'), ['@core', '@metrics', '@identity', '@ext-authz', '@dapr', '@flagger']);
    assert.deepEqual(checkTags('workload-identity'), ['@extended', '@identity']);
    assert.deepEqual(checkTags('ingress-mtls'), ['@extended', '@mtls']);
    assert.deepEqual(checkTags('x', [check('x', undefined, { level: 'extended', tag: '@x' })]), ['@extended', '@x']);
  });
  it('has unique ids and tags, and neutral titles', () => {
    assert.equal(new Set(checkCatalogue.map((c) => c.id)).size, checkCatalogue.length);
    assert.equal(new Set(checkCatalogue.map((c) => c.tag)).size, checkCatalogue.length);
    for (const c of checkCatalogue) assert.doesNotMatch(`${c.title} ${c.story}`, /osm|envoy|istio|ingressbackend|authorizationpolicy/i, c.id);
  });
  it('skips an extended check only where no profile supports its feature', () => {
    const mesh = { title: 'Mesh A', features: ['mtls-ingress'] };
    const ingress = { title: 'Ingress B' };
    assert.equal(featureSkipReason(undefined, [mesh, ingress]), undefined);
    assert.equal(featureSkipReason('mtls-ingress', [mesh, ingress]), undefined);
    assert.equal(featureSkipReason('ext-authz', [mesh, ingress]), 'extended feature ext-authz is not supported by Mesh A or Ingress B');
  });
});
