import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { requireConsecutive } from './consecutive.ts';
import { WaitFailedError, WaitTimeoutError } from './wait-for.ts';

describe('requireConsecutive', () => {
  it('needs N successes in a row; a failure resets the count', async () => {
    const script = [true, true, false, true, true, true];
    let i = 0;
    const r = await requireConsecutive({
      description: 'GET /get to return 200', times: 3, timeoutMs: 2_000, retryIntervalMs: 1,
      attempt: () => Promise.resolve({ ok: script[i++] ?? false, observed: `attempt ${i}` }),
    });
    assert.equal(r.attempts, 6);
    assert.equal(r.observed, 'attempt 6');
  });

  it('times out naming the target, the best streak and the last response', async () => {
    let i = 0;
    await assert.rejects(requireConsecutive({
      description: 'GET http://127.0.0.1:8080/get to return 200', times: 5, timeoutMs: 80, retryIntervalMs: 5,
      attempt: () => Promise.resolve(++i % 3 === 0 ? { ok: false, observed: 'GET /get → 502 (1ms)' } : { ok: true, observed: 'GET /get → 200 (1ms)' }),
    }), (err: unknown) => {
      assert.ok(err instanceof WaitTimeoutError);
      assert.match(err.message, /^Timed out after 80ms waiting for GET http:\/\/127\.0\.0\.1:8080\/get to return 200 5 times in a row; best streak 2\/5 in \d+ attempts; last seen: GET \/get → (502|200) \(1ms\)$/);
      return true;
    });
  });

  it('fails at once on an answer that cannot change, with its reason, instead of waiting out the budget', async () => {
    let attempts = 0;
    const started = Date.now();
    await assert.rejects(requireConsecutive({
      description: 'GET /get to return 200', times: 3, timeoutMs: 60_000, retryIntervalMs: 1,
      attempt: () => {
        attempts += 1;
        return Promise.resolve(attempts < 3 ? { ok: false, observed: 'GET /get → 502 (1ms)' } : { ok: false, observed: 'GET /get → 403 (1ms)', terminal: 'the policy refuses this client' });
      },
    }), (err: unknown) => {
      assert.ok(err instanceof WaitFailedError);
      assert.match(err.message, /^Gave up after \d+ms waiting for GET \/get to return 200 3 times in a row: the policy refuses this client; last seen: GET \/get → 403 \(1ms\)$/);
      return true;
    });
    assert.equal(attempts, 3);
    assert.ok(Date.now() - started < 60_000);
  });

  it('counts a throwing attempt as a failure and reports its error', async () => {
    await assert.rejects(requireConsecutive({
      description: 'x', times: 1, timeoutMs: 30, retryIntervalMs: 5,
      attempt: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:80')),
    }), /last seen: error: connect ECONNREFUSED 127\.0\.0\.1:80$/);
  });

  it('reports the last complete attempt when the deadline cuts one in flight', async () => {
    let i = 0;
    await assert.rejects(requireConsecutive({
      description: 'GET /get to return 200', times: 1, timeoutMs: 100, retryIntervalMs: 5,
      attempt: (signal) => (++i === 1
        ? Promise.resolve({ ok: false, observed: 'GET /get → 503 (1ms)' })
        : new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('This operation was aborted'))))),
    }), /best streak 0\/1 in 1 attempts; last seen: GET \/get → 503 \(1ms\)$/);
  });

  it('aborts an attempt in flight at the deadline', async () => {
    const started = Date.now();
    await assert.rejects(requireConsecutive({
      description: 'x', times: 1, timeoutMs: 50, retryIntervalMs: 5,
      attempt: (signal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')))),
    }), WaitTimeoutError);
    assert.ok(Date.now() - started < 1_000);
  });
});
