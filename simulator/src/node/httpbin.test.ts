/** The built-in httpbin answers with httpbin's shapes, and in 503 mode answers 503 to everything. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startBuiltinHttpbin } from './httpbin.ts';
import type { BuiltinHttpbin } from './httpbin.ts';
import { request } from './testing/sim-node-fixture.ts';

describe('built-in httpbin', () => {
  let server: BuiltinHttpbin;
  let always503: BuiltinHttpbin;
  const lines: string[] = [];
  before(async () => {
    server = await startBuiltinHttpbin({ host: '127.0.0.1', port: 0, log: (l) => lines.push(l) });
    always503 = await startBuiltinHttpbin({ host: '127.0.0.1', port: 0, always503: true });
  });
  after(async () => {
    await server.close();
    await always503.close();
  });

  it('GET /get echoes args, Title-Cased headers, origin and url', async () => {
    const res = await request(`http://127.0.0.1:${server.port}/get?a=1&a=2&b=x`, { headers: { 'x-custom': 'v', 'x-request-id': 'hidden' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/json');
    const body = JSON.parse(res.body) as { args: unknown; headers: Record<string, string>; origin: string; url: string };
    assert.deepEqual(body.args, { a: ['1', '2'], b: 'x' });
    assert.equal(body.headers['X-Custom'], 'v');
    assert.equal(body.headers['X-Request-Id'], undefined, 'httpbin hides proxy headers without show_env');
    assert.equal(body.origin, '127.0.0.1');
    assert.equal(body.url, `http://127.0.0.1:${server.port}/get?a=1&a=2&b=x`);
    assert.match(lines.at(-1)!, /^127\.0\.0\.1 - - \[.+\] "GET \/get\?a=1&a=2&b=x HTTP\/1\.1" 200 \d+ "-" "-"$/);
  });

  it('/status/:code, /headers, /ip, /anything, 404', async () => {
    assert.equal((await request(`http://127.0.0.1:${server.port}/status/418`)).status, 418);
    assert.ok((JSON.parse((await request(`http://127.0.0.1:${server.port}/headers`)).body) as { headers: object }).headers);
    assert.equal((JSON.parse((await request(`http://127.0.0.1:${server.port}/ip`, { headers: { 'x-forwarded-for': '10.1.2.3' } })).body) as { origin: string }).origin, '10.1.2.3');
    assert.equal((JSON.parse((await request(`http://127.0.0.1:${server.port}/anything/x`)).body) as { method: string }).method, 'GET');
    assert.equal((await request(`http://127.0.0.1:${server.port}/nope`)).status, 404);
  });

  it('answers 503 to everything in 503 mode', async () => {
    assert.equal((await request(`http://127.0.0.1:${always503.port}/get`)).status, 503);
    assert.equal((await request(`http://127.0.0.1:${always503.port}/status/200`)).status, 503);
  });
});
