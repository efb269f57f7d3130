// The go-httpbin stand-in answers in go-httpbin's shapes (responses.go): header values as arrays, Host included.
import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { canonicalHeaderKey, startGoHttpbin } from './go-httpbin.ts';

function get(port: number, path: string, headers: Record<string, string>): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body: Buffer.concat(chunks).toString('utf8') }));
    }).on('error', reject);
  });
}

void test('GET /get: args, headers (arrays, canonical keys, Host), method, origin from X-Forwarded-For, url from X-Forwarded-Proto', async () => {
  const server = await startGoHttpbin({ host: '127.0.0.1', port: 0 });
  try {
    const r = await get(server.port, '/get?a=1&a=2', { host: 'httpbin.example.com', 'x-forwarded-for': '10.1.2.3, 10.0.0.1', 'x-forwarded-proto': 'https', 'x-forwarded-client-cert': 'By=spiffe://x' });
    assert.equal(r.status, 200);
    assert.equal(r.type, 'application/json; charset=utf-8');
    const body = JSON.parse(r.body) as { args: Record<string, string[]>; headers: Record<string, string[]>; method: string; origin: string; url: string };
    assert.deepEqual(Object.keys(body), ['args', 'headers', 'method', 'origin', 'url']);
    assert.deepEqual(body.args, { a: ['1', '2'] });
    assert.deepEqual(body.headers['Host'], ['httpbin.example.com']);
    assert.deepEqual(body.headers['X-Forwarded-Client-Cert'], ['By=spiffe://x']);
    assert.equal(body.headers['Connection'], undefined);
    assert.deepEqual([body.method, body.origin, body.url], ['GET', '10.1.2.3', 'https://httpbin.example.com/get?a=1&a=2']);
    assert.match(r.body, /^\{\n {2}"args"/);
    assert.equal((await get(server.port, '/status/418', {})).status, 418);
    assert.equal((await get(server.port, '/nope', {})).body, '404 page not found\n');
  } finally {
    await server.close();
  }
  assert.equal(canonicalHeaderKey('x-envoy-attempt-count'), 'X-Envoy-Attempt-Count');
});
