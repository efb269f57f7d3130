import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deploymentVersion, kubernetesRangeLine, parseKubeVersion } from './probes.ts';
import type { ReadinessReport } from './readiness-result.ts';
import { countStatuses, fail, formatReadiness, ok, warn, worst } from './readiness-result.ts';

const report = (lines: ReturnType<typeof ok>[], ran = true): ReadinessReport => {
  const categories = [{ id: 'c', title: 'Things', lines }];
  const status = worst(lines);
  return {
    kind: 'MeshConformanceReadiness', version: 1, status, ready: status !== 'fail', ran, target: 'kind', context: 'ctx', server: 'https://s',
    mesh: { profile: 'm', title: 'Mesh M', namespace: 'mesh-system', description: 'm (in mesh-system)' }, ingress: 'nginx', summary: countStatuses(categories), categories,
  };
};

describe('readiness report', () => {
  it('takes the worst status and counts lines', () => {
    assert.equal(worst([]), 'ok');
    assert.equal(worst([ok('a', 'x'), warn('b', 'y', 'h')]), 'warn');
    assert.equal(worst([warn('b', 'y', 'h'), fail('c', 'z', 'h')]), 'fail');
    assert.deepEqual(report([ok('a', 'x'), warn('b', 'y', 'h'), warn('c', 'z', 'h')]).summary, { ok: 1, warn: 2, fail: 0 });
  });
  it('prints one line per check with a hint under each one that is not ok, and the verdict with its exit code', () => {
    const text = formatReadiness(report([ok('a', 'fine'), warn('b', 'meh', 'do this'), fail('c', 'broken', 'fix that')]));
    assert.match(text, /^Things\n------\n✔ fine\n‼ meh\n {4}hint: do this\n✖ broken\n {4}hint: fix that\n/m);
    assert.match(text, /Status: 1 ok, 1 warning, 1 failure: not ready: 1 failure \(exit 1\)\n$/);
    assert.match(formatReadiness(report([warn('b', 'meh', 'h')])), /ready, with warnings \(exit 0\)/);
    assert.match(formatReadiness(report([fail('api', 'down', 'h')], false)), /could not run \(exit 2\)/);
  });
  it('parses server versions and reads the mesh version from the label, else the image tag', () => {
    assert.deepEqual(parseKubeVersion('v1.29.4+k3s1'), [1, 29, 4]);
    assert.equal(parseKubeVersion('garbage'), undefined);
    assert.equal(deploymentVersion({ metadata: { labels: { 'app.kubernetes.io/version': 'v1.2.4' } } }), 'v1.2.4');
    assert.equal(deploymentVersion({ spec: { selector: {}, template: { spec: { containers: [{ name: 'c', image: 'mcr.microsoft.com/oss/example/controller:v1.2.5' }] } } } }), 'v1.2.5');
    assert.equal(deploymentVersion({ spec: { selector: {}, template: { spec: { containers: [{ name: 'c', image: 'registry:5000/controller' }] } } } }), undefined);
    assert.equal(deploymentVersion({ spec: { selector: {}, template: { spec: { containers: [{ name: 'c', image: 'registry.example.io/release/pilot:1.30.3@sha256:abc' }] } } } }), '1.30.3');
  });
  it('judges the server version against a mesh release\'s supported range', () => {
    const range = { min: [1, 32, 0], maxMinor: [1, 36] as const, what: 'Istio 1.31' };
    assert.equal(kubernetesRangeLine('k', 'v1.33.1', range).status, 'ok');
    assert.match(kubernetesRangeLine('k', 'v1.31.9', range).message, /older than Istio 1\.31 supports \(1\.32\.0\)/);
    assert.match(kubernetesRangeLine('k', 'v1.37.0', range).message, /newer than Istio 1\.31 supports \(up to 1\.36\)/);
    assert.equal(kubernetesRangeLine('k', 'v1.22.9', { min: [1, 22, 9], what: 'OSM 1.2' }).status, 'ok');
    assert.equal(kubernetesRangeLine('k', 'v1.22.8', { min: [1, 22, 9], what: 'OSM 1.2' }).status, 'warn');
  });
});
