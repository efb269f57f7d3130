import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MockAgent } from 'undici';
import { HttpClient } from './http-client.ts';
import { expectAnswer, expectOkThroughSidecar } from './ingress-traffic.ts';

let agent: MockAgent;
beforeEach(() => {
  agent = new MockAgent();
  agent.disableNetConnect();
});
afterEach(async () => {
  agent.assertNoPendingInterceptors();
  await agent.close();
});

describe('HttpClient and ingress traffic attempts', () => {
  it('records method, URL, status, headers and elapsed time of each exchange', async () => {
    agent.get('http://127.0.0.1:8080').intercept({ path: '/get', method: 'GET' }).reply(502, 'bad gateway', { headers: { server: 'nginx' } });
    const http = new HttpClient(agent);
    const r = await expectAnswer(http, 'http://127.0.0.1:8080/get', { status: 502, description: '502' }, 1_000)(new AbortController().signal);
    assert.deepEqual(r, { ok: true, observed: r.observed });
    assert.match(r.observed, /^GET \/get → 502 \(\d+ms\)$/);
    const [x] = http.recent;
    assert.equal(x?.method, 'GET');
    assert.equal(x?.url, 'http://127.0.0.1:8080/get');
    assert.equal(x?.status, 502);
    assert.equal(x?.headers.server, 'nginx');
    assert.equal(typeof x?.elapsedMs, 'number');
  });

  it('forks a client on the same connections that counts only what it sent (one per copy of the flow)', async () => {
    const pool = agent.get('http://127.0.0.1:8080');
    pool.intercept({ path: '/get', method: 'GET' }).reply(200, 'ok').times(3);
    const http = new HttpClient(agent);
    const copy = http.fork();
    await http.send('GET', 'http://127.0.0.1:8080/get', { timeoutMs: 1_000 });
    await copy.send('GET', 'http://127.0.0.1:8080/get', { timeoutMs: 1_000 });
    await copy.send('GET', 'http://127.0.0.1:8080/get', { timeoutMs: 1_000 });
    assert.equal(http.responsesOfClass(2), 1);
    assert.equal(copy.responsesOfClass(2), 2);
    assert.equal(copy.recent.length, 2);
  });

  it('requires the body text an answer names (an authorization denial, not any 403)', async () => {
    const pool = agent.get('http://127.0.0.1:8080');
    pool.intercept({ path: '/get', method: 'GET' }).reply(403, 'RBAC: access denied');
    pool.intercept({ path: '/get', method: 'GET' }).reply(403, 'Forbidden by a WAF');
    const http = new HttpClient(agent);
    const attempt = expectAnswer(http, 'http://127.0.0.1:8080/get', { status: 403, bodyIncludes: 'RBAC: access denied', description: '403' }, 1_000);
    assert.equal((await attempt(new AbortController().signal)).ok, true);
    const other = await attempt(new AbortController().signal);
    assert.equal(other.ok, false);
    assert.match(other.observed, /GET \/get → 403 \(\d+ms\), body without "RBAC: access denied": "Forbidden by a WAF"/);
  });

  it('requires 200 and the mesh\'s proof of the sidecar on HEAD and GET', async () => {
    const pool = agent.get('http://127.0.0.1:8080');
    pool.intercept({ path: '/get', method: 'HEAD' }).reply(200, '', { headers: { 'x-envoy-upstream-service-time': '2' } });
    pool.intercept({ path: '/get', method: 'GET' }).reply(200, '{"url":"/get"}', { headers: { 'x-envoy-upstream-service-time': '3' } });
    pool.intercept({ path: '/get', method: 'HEAD' }).reply(200, '');
    const http = new HttpClient(agent);
    const proof = (res: { headers: Record<string, unknown> }) => (res.headers['x-envoy-upstream-service-time'] === undefined ? 'x-envoy-upstream-service-time missing' : undefined);
    const attempt = expectOkThroughSidecar(http, 'http://127.0.0.1:8080/get', proof, 1_000);
    assert.equal((await attempt(new AbortController().signal)).ok, true);
    const bypass = await attempt(new AbortController().signal);
    assert.equal(bypass.ok, false);
    assert.match(bypass.observed, /HEAD \/get → 200 \(\d+ms\), x-envoy-upstream-service-time missing/);
  });

  it('reads a failed HEAD\'s verdict from the GET\'s body: an empty 403 may change, the RBAC filter\'s cannot', async () => {
    const pool = agent.get('http://127.0.0.1:8080');
    pool.intercept({ path: '/get', method: 'HEAD' }).reply(403, '');
    pool.intercept({ path: '/get', method: 'GET' }).reply(403, '');
    pool.intercept({ path: '/get', method: 'HEAD' }).reply(403, '');
    pool.intercept({ path: '/get', method: 'GET' }).reply(403, 'RBAC: access denied');
    pool.intercept({ path: '/get', method: 'HEAD' }).reply(403, '');
    pool.intercept({ path: '/get', method: 'GET' }).reply(200, '{}', { headers: { 'x-envoy-upstream-service-time': '3' } });
    const http = new HttpClient(agent);
    const refused = (res: { status: number; method: string; body: string }) => (res.status === 403 && res.method !== 'HEAD' && res.body.includes('RBAC: access denied') ? 'refused' : undefined);
    const attempt = expectOkThroughSidecar(http, 'http://127.0.0.1:8080/get', () => undefined, 1_000, undefined, refused);
    const authzTimeout = await attempt(new AbortController().signal);
    assert.deepEqual([authzTimeout.ok, authzTimeout.terminal], [false, undefined]);
    assert.match(authzTimeout.observed, /^HEAD \/get → 403 .*; GET \/get → 403/);
    const rbac = await attempt(new AbortController().signal);
    assert.deepEqual([rbac.ok, rbac.terminal], [false, 'refused']);
    // A failed HEAD fails the attempt even when the GET then passes.
    assert.equal((await attempt(new AbortController().signal)).ok, false);
  });

  it('records a transport error and throws one line', async () => {
    agent.get('http://127.0.0.1:8080').intercept({ path: '/get', method: 'GET' }).replyWithError(new Error('connect ECONNREFUSED'));
    const http = new HttpClient(agent);
    await assert.rejects(http.send('GET', 'http://127.0.0.1:8080/get', { timeoutMs: 1_000 }), /^Error: GET http:\/\/127\.0\.0\.1:8080\/get failed after \d+ms: .*ECONNREFUSED/);
    assert.match(http.recent[0]?.error ?? '', /ECONNREFUSED/);
  });
});
