import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { checkDefinition } from '../checks/catalogue.ts';
import { allureLabelAnnotations, checkLabels } from './allure-labels.ts';
import { displayPath, fileNameOf, saveDiagnostics } from './diagnostics-files.ts';
import { toProperties } from './environment-info.ts';
import { manifestsAttachment } from './manifests-attachment.ts';

describe('allure labels', () => {
  it('gives every check epic = the mesh, feature = the check, its story, severity and level, from the catalogue', () => {
    assert.deepEqual(checkLabels(checkDefinition('ingress'), 'Open Service Mesh (OSM)'), [
      { name: 'epic', value: 'Open Service Mesh (OSM)' },
      { name: 'feature', value: 'ingress' },
      { name: 'story', value: 'the ingress reaches the meshed app only once the mesh\'s ingress policy admits it' },
      { name: 'severity', value: 'critical' },
      { name: 'tag', value: 'core' },
      { name: 'parentSuite', value: 'Open Service Mesh (OSM)' },
      { name: 'suite', value: 'Core checks' },
      { name: 'subSuite', value: 'the guide\'s core flow' },
    ]);
  });
  it('puts extended checks in a suite of their own, by feature', () => {
    const ext = { id: 'x', title: 'x', tag: '@x', dependsOn: 'ingress', severity: 'normal', story: 'x', level: 'extended', feature: 'some-feature' } as const;
    const labels = checkLabels(ext, 'Istio');
    assert.deepEqual(labels.filter((l) => ['tag', 'suite', 'subSuite'].includes(l.name)).map((l) => l.value), ['extended', 'Extended checks', 'some-feature']);
  });
  it('writes them as annotations allure-playwright reads (@allure.label.<name>)', () => {
    assert.deepEqual(allureLabelAnnotations(checkDefinition('namespace'), 'Istio').map((a) => a.type),
      ['@allure.label.epic', '@allure.label.feature', '@allure.label.story', '@allure.label.severity', '@allure.label.tag',
        '@allure.label.parentSuite', '@allure.label.suite', '@allure.label.subSuite']);
  });
});

describe('environment.properties', () => {
  it('escapes keys and values the way Java properties need', () => {
    assert.equal(toProperties({ target: 'local', 'odd key=': 'a\\b\nc', lead: ' x' }), 'target=local\nodd\\ key\\==a\\\\b\\nc\nlead=\\ x\n');
  });
});

describe('diagnostics files', () => {
  it('writes in-memory attachments numbered, lists path attachments, skips Allure runtime messages', () => {
    const dir = mkdtempSync(join(tmpdir(), 'diag-'));
    try {
      const files = saveDiagnostics(join(dir, 'httpbin'), [
        { name: 'events mesh-conformance-x', contentType: 'text/plain', body: Buffer.from('ev') },
        { name: 'allure', contentType: 'application/vnd.allure.message+json', body: Buffer.from('{}') },
        { name: 'log httpbin-1/envoy', contentType: 'text/plain', body: Buffer.from('log') },
        { name: 'error-context', contentType: 'text/markdown', path: '/elsewhere/error-context.md' },
        { name: 'objects', contentType: 'application/yaml', body: Buffer.from('a: 1') },
      ]);
      assert.deepEqual(readdirSync(join(dir, 'httpbin')).sort(), ['01-events-mesh-conformance-x.txt', '02-log-httpbin-1-envoy.txt', '04-objects.yaml']);
      assert.equal(files.length, 4);
      assert.ok(files.includes('/elsewhere/error-context.md'));
      assert.equal(readFileSync(join(dir, 'httpbin', '02-log-httpbin-1-envoy.txt'), 'utf8'), 'log');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('names files safely and shows paths relative to the working directory when below it', () => {
    assert.equal(fileNameOf('Container logs: a/b (raw)'), 'container-logs-a-b-raw');
    assert.equal(displayPath('/w/reports/x', '/w'), 'reports/x');
    assert.equal(displayPath('/tmp/x', '/w'), '/tmp/x');
  });
});

describe('manifests attachment', () => {
  it('is one multi-document YAML with the verb of each write, or nothing', () => {
    assert.deepEqual(manifestsAttachment([]), []);
    const [a] = manifestsAttachment([
      { verb: 'apply', object: { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' } } },
      { verb: 'patch', object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n' } } },
    ]);
    assert.equal(a?.contentType, 'application/yaml');
    assert.match(a?.body ?? '', /^# apply\napiVersion: v1\nkind: Service\n[\s\S]*---\n# patch\napiVersion: v1\nkind: Namespace/);
  });
});
