import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SampleWorkload } from './sample-workload.ts';
import { sampleManifests, withSampleOverrides } from './sample-workload.ts';

const osmSample: SampleWorkload = {
  source: 'docs', name: 'httpbin', image: 'kennethreitz/httpbin@sha256:599fe5e5073102dbb0ee3dbb65f049dab44fa9fc251f6835c9990f8fb196a72b', port: 14001, targetPort: 14001, portName: 'http',
  nodeSelector: { 'kubernetes.io/arch': 'amd64', 'kubernetes.io/os': 'linux' },
};

describe('the sample workload', () => {
  it('keeps the mesh\'s sample unless the config overrides its image or architecture', () => {
    assert.deepEqual(withSampleOverrides(osmSample, {}), osmSample);
    const arm = withSampleOverrides(osmSample, { sampleImage: 'mirror.example/httpbin:arm64', sampleArch: 'arm64' });
    assert.equal(arm.image, 'mirror.example/httpbin:arm64');
    assert.deepEqual(arm.nodeSelector, { 'kubernetes.io/arch': 'arm64', 'kubernetes.io/os': 'linux' });
    assert.deepEqual(withSampleOverrides(osmSample, { sampleArch: 'any' }).nodeSelector, { 'kubernetes.io/os': 'linux' });
    assert.equal('nodeSelector' in withSampleOverrides({ ...osmSample, nodeSelector: { 'kubernetes.io/arch': 'amd64' } }, { sampleArch: 'any' }), false);
  });

  it('gives the container probes and resources, as AKS Deployment Safeguards require', () => {
    const [, , deployment] = sampleManifests(osmSample, 'ns', { run: 'r' });
    const c = deployment.spec?.template.spec?.containers[0];
    assert.equal(c?.image, osmSample.image);
    assert.deepEqual(c?.readinessProbe?.httpGet, { path: '/status/200', port: 14001 });
    assert.deepEqual(c?.livenessProbe?.httpGet, { path: '/status/200', port: 14001 });
    assert.ok(c?.resources?.requests?.cpu && c.resources.requests.memory && c.resources.limits?.cpu && c.resources.limits.memory);
  });
});
