import assert from 'node:assert/strict';
import { test } from 'node:test';
import { goFlag, isFlaggerContainer } from './flagger-readiness.ts';

test('goFlag reads a Go flag in each of its spellings', () => {
  assert.equal(goFlag(['-mesh-provider=osm'], 'mesh-provider'), 'osm');
  assert.equal(goFlag(['--mesh-provider=osm'], 'mesh-provider'), 'osm');
  assert.equal(goFlag(['-log-level=info', '-mesh-provider', 'istio'], 'mesh-provider'), 'istio');
  assert.equal(goFlag(['-log-level=info'], 'mesh-provider'), undefined);
  assert.equal(goFlag(['-mesh-provider-x=1'], 'mesh-provider'), undefined);
});

test('isFlaggerContainer matches Flagger\'s image in any registry, with a tag or a digest', () => {
  assert.ok(isFlaggerContainer({ name: 'flagger', image: 'ghcr.io/fluxcd/flagger:1.36.1' }));
  assert.ok(isFlaggerContainer({ name: 'x', image: 'myregistry.azurecr.io/fluxcd/flagger@sha256:abc' }));
  assert.ok(!isFlaggerContainer({ name: 'x', image: 'ghcr.io/fluxcd/flagger-loadtester:0.29.0' }));
});
