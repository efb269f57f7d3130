import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiException } from '@kubernetes/client-node';
import { KubeApiError, isRetryable, retryAfterMs, toKubeApiError } from './api-error.ts';

const request = { method: 'POST', path: '/apis/apps/v1/namespaces/x/deployments' };

describe('toKubeApiError', () => {
  it('builds one line from the Status body of an ApiException', () => {
    const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'AlreadyExists', code: 409, message: 'deployments.apps "httpbin" already exists' });
    const err = toKubeApiError(new ApiException(409, 'HTTP-Code: 409\nMessage: Unknown API Status Code!\nBody: ...', body, { 'content-type': 'application/json' }), request, 'create Deployment');
    assert.ok(err instanceof KubeApiError);
    assert.equal(err.message, 'POST /apis/apps/v1/namespaces/x/deployments → 409 AlreadyExists: deployments.apps "httpbin" already exists');
    assert.equal(err.code, 409);
    assert.equal(err.reason, 'AlreadyExists');
    assert.ok(!err.message.includes('\n'));
    assert.equal(err.detail.body, body, 'raw body kept for the attachment');
    assert.equal(err.detail.headers['content-type'], 'application/json');
  });

  it('uses the first line of a non-JSON body and the fallback when the request is unknown', () => {
    const err = toKubeApiError(new ApiException(502, 'noise', '<html>\nBad Gateway\n</html>', {}), undefined, 'read Namespace default');
    assert.equal(err.message, 'read Namespace default → 502 <html>');
  });

  it('wraps transport errors in one line', () => {
    const err = toKubeApiError(new Error('request to https://127.0.0.1:1/api/v1 failed, reason: connect ECONNREFUSED 127.0.0.1:1\n    at x'), { method: 'GET', path: '/api/v1' }, 'x');
    assert.equal(err.message, 'GET /api/v1 → request failed: request to https://127.0.0.1:1/api/v1 failed, reason: connect ECONNREFUSED 127.0.0.1:1');
    assert.equal(err.code, undefined);
  });

  it('classifies throttling and server errors as retryable and honours Retry-After', () => {
    const throttled = toKubeApiError(new ApiException(429, '', '{"reason":"TooManyRequests","message":"slow down"}', { 'Retry-After': '1' }), request, 'x');
    assert.equal(isRetryable(throttled), true);
    assert.equal(retryAfterMs(throttled), 1000);
    assert.equal(isRetryable(toKubeApiError(new ApiException(500, '', '{}', {}), request, 'x')), true);
    assert.equal(isRetryable(toKubeApiError(new ApiException(409, '', '{}', {}), request, 'x')), false);
    assert.equal(isRetryable(toKubeApiError(new ApiException(404, '', '{}', {}), request, 'x')), false);
  });
});
