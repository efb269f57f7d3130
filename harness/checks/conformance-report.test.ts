import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CheckOutcome } from './conformance-report.ts';
import { conformanceReport, formatLevelLines } from './conformance-report.ts';

const core = (id: string, status: CheckOutcome['status'], reason?: string): CheckOutcome => ({ id, level: 'core', feature: undefined, status, reason, unsupported: false });
const ext = (id: string, feature: string, status: CheckOutcome['status'], unsupported = false, reason?: string): CheckOutcome => ({ id, level: 'extended', feature, status, reason, unsupported });

describe('conformance report', () => {
  it('keeps core and extended results apart, with the supported and unsupported features', () => {
    const r = conformanceReport([
      core('namespace', 'passed'), core('ingress', 'passed'),
      ext('mtls', 'IngressMTLS', 'passed'), ext('authz', 'ExternalAuthorization', 'skipped', true, 'extended feature ExternalAuthorization is not available: no authorization service'),
    ]);
    assert.deepEqual(r.core, { result: 'success', statistics: { passed: 2, failed: 0, skipped: 0 } });
    assert.deepEqual(r.extended.statistics, { passed: 1, failed: 0, skipped: 0 });
    assert.equal(r.extended.result, 'success');
    assert.deepEqual(r.extended.supportedFeatures, ['IngressMTLS']);
    assert.deepEqual(r.extended.unsupportedFeatures, [{ feature: 'ExternalAuthorization', reason: 'extended feature ExternalAuthorization is not available: no authorization service' }]);
    assert.deepEqual(formatLevelLines(r), [
      'core: 2 passed, 0 failed, 0 skipped (success)',
      'extended: 1 passed, 0 failed, 0 skipped (success); features checked: IngressMTLS; not supported here: ExternalAuthorization',
    ]);
  });
  it('a failure fails its level only; a skip for a failed dependency makes it partial, an unsupported feature does not', () => {
    const r = conformanceReport([core('namespace', 'passed'), core('metrics', 'failed', 'boom'), ext('mtls', 'M', 'skipped', false, 'not run: metrics failed before it')]);
    assert.equal(r.core.result, 'failure');
    assert.equal(r.extended.result, 'partial');
    assert.deepEqual(r.extended.supportedFeatures, []);
  });
  it('says so when the run had no extended check, or only unsupported ones', () => {
    assert.deepEqual(formatLevelLines(conformanceReport([core('a', 'passed')])), ['core: 1 passed, 0 failed, 0 skipped (success)']);
    assert.deepEqual(formatLevelLines(conformanceReport([core('a', 'passed'), ext('x', 'X', 'skipped', true, 'no')]))[1],
      'extended: 0 passed, 0 failed, 0 skipped (nothing to check); not supported here: X');
  });
});
