import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { decide, parsePolicy } from './opa-policy.ts';
import { opaPolicyText } from './opa-install.ts';

describe('opa-policy', () => {
  it('reads the shipped policy: allowed unless the marker header says deny', () => {
    const p = parsePolicy(opaPolicyText());
    assert.deepEqual(p.denyHeaders, [{ name: 'x-mesh-conformance-authz', value: 'deny' }]);
    assert.equal(decide(p, {}), true);
    assert.equal(decide(p, { 'x-mesh-conformance-authz': 'deny' }), false);
    assert.equal(decide(p, { 'x-mesh-conformance-authz': 'other' }), true);
  });
  it('OSM walkthrough\'s deny-all and its edited allow-all', () => {
    assert.equal(decide(parsePolicy('package envoy.authz\ndefault allow = false\n'), { a: 'b' }), false);
    assert.equal(decide(parsePolicy('package envoy.authz\ndefault allow = true\n'), {}), true);
  });
});
