import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WaitAbortedError, WaitFailedError, WaitTimeoutError, waitFor } from './wait-for.ts';

describe('waitFor', () => {
  it('returns the value and the last observed state once the condition holds', async () => {
    let n = 0;
    const result = await waitFor({
      description: 'counter to reach 3', timeoutMs: 2_000, intervalMs: 5,
      probe: () => {
        n += 1;
        return { done: n >= 3, observed: `n=${n}`, value: n };
      },
    });
    assert.equal(result.value, 3);
    assert.equal(result.observed, 'n=3');
  });

  it('times out with the description, the limit and the last state seen', async () => {
    await assert.rejects(waitFor({
      description: 'Pod ns/httpbin-abc to be Running with 2/2 ready', timeoutMs: 60, intervalMs: 10,
      probe: () => ({ done: false, observed: 'phase=Pending, ready=0/2, reason=Unschedulable: 0/2 nodes are available' }),
    }), (err: unknown) => {
      assert.ok(err instanceof WaitTimeoutError);
      assert.equal(err.message, 'Timed out after 60ms waiting for Pod ns/httpbin-abc to be Running with 2/2 ready; last seen: phase=Pending, ready=0/2, reason=Unschedulable: 0/2 nodes are available');
      return true;
    });
  });

  it('times out at its deadline even when a probe never returns (issue 19, F14)', async () => {
    let calls = 0;
    const started = Date.now();
    await assert.rejects(waitFor({
      description: 'Namespace x to be deleted', timeoutMs: 200, intervalMs: 10,
      probe: () => (++calls === 1 ? Promise.resolve({ done: false, observed: 'phase=Terminating' }) : new Promise<never>(() => undefined)),
    }), (err: unknown) => err instanceof WaitTimeoutError
      && err.message === 'Timed out after 200ms waiting for Namespace x to be deleted; last seen: phase=Terminating (the last probe was still running at the deadline)');
    assert.ok(Date.now() - started < 500, `ended after ${Date.now() - started} ms`);
  });

  it('formats whole seconds as seconds (on mock timers: no real second goes by)', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
    let probes = 0;
    const waiting = waitFor({ description: 'x', timeoutMs: 1_000, intervalMs: 400, probe: () => ({ done: false, observed: `y${++probes}` }) });
    const outcome = assert.rejects(waiting, /^WaitTimeoutError: Timed out after 1s waiting for x; last seen: y4$/);
    for (const ms of [400, 400, 200]) {
      await new Promise<void>((r) => queueMicrotask(r));
      t.mock.timers.tick(ms);
    }
    await outcome;
    assert.equal(probes, 4, 'probed at 0, 400 and 800 ms, and once more at the deadline');
  });

  it('makes the next attempt when the caller says it is worth it (a scrape lands), else at the interval', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
    const at: number[] = [];
    const hints = [30, undefined, 5];
    const waiting = waitFor({
      description: 'x', timeoutMs: 1_000, intervalMs: 100, nextAttemptInMs: () => hints.shift(),
      probe: () => {
        at.push(Date.now());
        return { done: at.length === 4, observed: 'y' };
      },
    });
    for (const ms of [30, 100, 5]) {
      await new Promise<void>((r) => queueMicrotask(r));
      t.mock.timers.tick(ms);
    }
    await waiting;
    assert.deepEqual(at.map((x) => x - at[0]!), [0, 30, 130, 135]);
  });

  it('fails at once on a terminal failure, quoting the reason', async () => {
    const started = Date.now();
    await assert.rejects(waitFor({
      description: 'Policy ns/httpbin to be accepted', timeoutMs: 5_000, intervalMs: 10,
      probe: () => ({ done: false, observed: 'currentStatus=error', failure: 'Policy status is error: endpoints not found' }),
    }), (err: unknown) => {
      assert.ok(err instanceof WaitFailedError);
      assert.match(err.message, /Policy status is error: endpoints not found; last seen: currentStatus=error$/);
      return true;
    });
    assert.ok(Date.now() - started < 1_000);
  });

  it('records a throwing probe as the observed state and keeps waiting', async () => {
    let n = 0;
    const r = await waitFor({
      description: 'x', timeoutMs: 2_000, intervalMs: 5,
      probe: () => {
        n += 1;
        if (n < 3) throw new Error('GET /api/v1/namespaces/x → 500 InternalError');
        return { done: true, observed: 'ok' };
      },
    });
    assert.equal(r.observed, 'ok');
    await assert.rejects(waitFor({ description: 'x', timeoutMs: 30, intervalMs: 5, probe: () => { throw new Error('boom'); } }), /last seen: error: boom$/);
  });

  it('stops when the signal aborts, with the last state', async () => {
    const ctrl = new AbortController();
    setTimeout(() => ctrl.abort(), 30);
    await assert.rejects(waitFor({ description: 'x', timeoutMs: 10_000, intervalMs: 5_000, signal: ctrl.signal, probe: () => ({ done: false, observed: 'still pending' }) }),
      (err: unknown) => err instanceof WaitAbortedError && /last seen: still pending$/.test(err.message));
  });

  it('re-evaluates at once on a change notification instead of waiting for the interval', async () => {
    let state = 'Pending';
    let notify: (() => void) | undefined;
    setTimeout(() => {
      state = 'Running';
      notify?.();
    }, 20);
    const started = Date.now();
    await waitFor({
      description: 'x', timeoutMs: 5_000, intervalMs: 4_000,
      changes: (n) => { notify = n; return () => { notify = undefined; }; },
      probe: () => ({ done: state === 'Running', observed: state }),
    });
    assert.ok(Date.now() - started < 1_000, 'reacted to the notification');
    assert.equal(notify, undefined, 'unsubscribed');
  });
});
