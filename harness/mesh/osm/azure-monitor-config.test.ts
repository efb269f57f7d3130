import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addMonitorNamespace, monitorNamespaces, osmConfigToml, removeMonitorNamespace } from './azure-monitor-config.ts';

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
