import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { imageRepository } from './images.ts';
import { expandReferences, isHarnessImage, translatePaths } from './harness-container.ts';

void describe('the mesh-conformance image (harness container)', () => {
  void it('is recognised by its repository name, whatever the registry and tag', () => {
    assert.ok(isHarnessImage(imageRepository('ghcr.io/mesh-conformance/mesh-conformance:0.1.0')));
    assert.ok(isHarnessImage(imageRepository('registry.example/team/mesh-conformance@sha256:abc')));
    assert.ok(isHarnessImage(imageRepository('mesh-conformance')));
    assert.ok(!isHarnessImage(imageRepository('ghcr.io/x/mesh-conformance-tools:1')));
  });

  void it('rewrites container paths to the host directories behind the mounts (exact, prefix, after =; longest mount first)', () => {
    const mounts: [string, string][] = [['/tmp', '/h/tmp'], ['/tmp/sonobuoy/results', '/h/results']];
    assert.equal(translatePaths('/tmp/sonobuoy/results', mounts), '/h/results');
    assert.equal(translatePaths('/tmp/sonobuoy/results/done', mounts), '/h/results/done');
    assert.equal(translatePaths('/tmp/reports', mounts), '/h/tmp/reports');
    assert.equal(translatePaths('--results-dir=/tmp/sonobuoy/results', mounts), '--results-dir=/h/results');
    assert.equal(translatePaths('/tmpfoo', mounts), '/tmpfoo');
    assert.equal(translatePaths('run', mounts), 'run');
  });

  void it('expands $(VAR) references as the kubelet does', () => {
    const vars = new Map([['DIR', '/r']]);
    assert.equal(expandReferences('--results-dir=$(DIR)/x', vars), '--results-dir=/r/x');
    assert.equal(expandReferences('$(UNKNOWN)', vars), '$(UNKNOWN)');
    assert.equal(expandReferences('$$(DIR)', vars), '$(DIR)');
  });
});
