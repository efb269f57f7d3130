import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checksFromListing, formatChecks } from './list-checks.ts';

describe('run --list', () => {
  const listing = {
    suites: [{ suites: [{ specs: [
      { title: 'namespace: a namespace is onboarded', tags: ['core', 'namespace'], tests: [{ projectName: 'local', annotations: [{ type: 'check', description: 'namespace' }] }] },
      { title: 'httpbin: runs 2/2', tags: ['core', 'sidecar'], tests: [{ projectName: 'local', annotations: [{ type: 'check', description: 'httpbin' }, { type: 'depends-on', description: 'namespace' }] }] },
    ] }] }],
  };
  it('reads our check names, descriptions, tags and dependencies from the Playwright JSON listing', () => {
    assert.deepEqual(checksFromListing(listing), [
      { id: 'namespace', description: 'a namespace is onboarded', tags: ['@core', '@namespace'], dependsOn: undefined, project: 'local' },
      { id: 'httpbin', description: 'runs 2/2', tags: ['@core', '@sidecar'], dependsOn: 'namespace', project: 'local' },
    ]);
  });
  it('prints one aligned line per check', () => {
    assert.equal(formatChecks(checksFromListing(listing), 'local'), [
      'mesh-conformance: 2 checks for target local, in the order they run (nothing was run):',
      '  namespace  a namespace is onboarded  @core @namespace',
      '  httpbin    runs 2/2 (after namespace)  @core @sidecar',
      '',
    ].join('\n'));
  });
});
