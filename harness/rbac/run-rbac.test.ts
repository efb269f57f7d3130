import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { placeholderRunNamespace } from '../readiness/access-review.ts';
import { preflightDocPath, rbacManifestPath, renderRbacManifest, withPreflightBlock } from './render-rbac.ts';
import type { PolicyRule } from './run-rbac.ts';
import { allRunShapes, boundNamespaces, defaultShape, isClusterWide, rbacNames, rulesFor, rulesGrant, shapeRequirements } from './run-rbac.ts';

const read = (path: string): string => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const regenerate = 'regenerate with: node --import tsx scripts/render-rbac.ts';

describe('the shipped RBAC (generated from runRequirements)', () => {
  it(`${rbacManifestPath} is what the requirements render (${regenerate})`, () => {
    assert.equal(read(rbacManifestPath), renderRbacManifest(), `${rbacManifestPath} is stale: ${regenerate}`);
  });

  it(`${preflightDocPath}'s RBAC block is what the requirements render (${regenerate})`, () => {
    const doc = read(preflightDocPath);
    assert.equal(doc, withPreflightBlock(doc), `${preflightDocPath} is stale: ${regenerate}`);
  });

  it('grants every requirement of every run shape: cluster-wide in the runner role, elsewhere in the mesh-namespace role bound where it is needed', () => {
    const objects = parseAllDocuments(read(rbacManifestPath)).map((d) => d.toJS() as { kind: string; metadata: { name: string; namespace?: string }; rules?: PolicyRule[]; roleRef?: { name: string } });
    const role = (name: string): PolicyRule[] => objects.find((o) => o.kind === 'ClusterRole' && o.metadata.name === name)?.rules ?? [];
    const runner = role(rbacNames.runnerRole);
    const meshNamespace = role(rbacNames.meshNamespaceRole);
    for (const shape of allRunShapes()) {
      for (const r of shapeRequirements(shape)) {
        for (const verb of r.verbs) {
          const rules = isClusterWide(r) ? runner : meshNamespace;
          assert.ok(rulesGrant(rules, r, verb), `${verb} ${r.resource}${r.subresource ? `/${r.subresource}` : ''}.${r.group} (${r.why}) not granted for ${JSON.stringify(shape)}`);
        }
      }
    }
    // The default shape's RoleBindings are in the manifest, and nothing is granted with a wildcard.
    const bound = objects.filter((o) => o.kind === 'RoleBinding' && o.roleRef?.name === rbacNames.meshNamespaceRole).map((o) => o.metadata.namespace);
    assert.deepEqual(bound, boundNamespaces(defaultShape()));
    for (const rule of [...runner, ...meshNamespace]) assert.ok(![...rule.apiGroups, ...rule.resources, ...rule.verbs].includes('*'), `no wildcard: ${JSON.stringify(rule)}`);
  });

  it('merges verbs per resource and resources with the same verbs per group, in a stable order', () => {
    const rules = rulesFor([
      { verbs: ['list'], group: '', resource: 'pods', why: 'a' },
      { verbs: ['get'], group: '', resource: 'pods', why: 'b' },
      { verbs: ['get', 'list'], group: '', resource: 'services', why: 'c' },
      { verbs: ['get'], group: '', resource: 'pods', subresource: 'log', why: 'd' },
      { verbs: ['create', 'get'], group: 'apps', resource: 'deployments', why: 'e' },
    ]);
    assert.deepEqual(rules, [
      { apiGroups: [''], resources: ['pods', 'services'], verbs: ['get', 'list'] },
      { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
      { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'create'] },
    ]);
  });

  it('puts cluster-scoped needs, reads and the run\'s own namespaces cluster-wide, existing namespaces per namespace', () => {
    assert.ok(isClusterWide({ verbs: ['create'], group: '', resource: 'namespaces', why: '' }));
    assert.ok(isClusterWide({ verbs: ['create'], group: 'apps', resource: 'deployments', namespace: placeholderRunNamespace, why: '' }));
    assert.ok(!isClusterWide({ verbs: ['get'], group: '', resource: 'services', subresource: 'proxy', namespace: 'monitoring', why: '' }));
    const shape = defaultShape();
    assert.ok(boundNamespaces(shape).length >= 1, 'the default shape reads metrics from the mesh\'s Prometheus in its namespace');
    assert.ok(boundNamespaces({ ...shape, metrics: 'external' }).every((n) => n !== placeholderRunNamespace));
  });
});
