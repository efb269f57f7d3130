import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { clientNode } from '../k8s/client-node.ts';
import { classifyApiAccess, probeWithRetries } from './api-access.ts';

const ctx = { server: 'https://10.0.0.1:6443', target: 'kind', timeoutMs: 2_000 };

function problemOf(r: ReturnType<typeof classifyApiAccess>): { message: string; hint: string; unavailable?: true } {
  assert.ok('problem' in r, `expected a problem, got ${JSON.stringify(r)}`);
  return r.problem;
}

describe('classifyApiAccess', () => {
  it('a server that never answers names the server and its budget, and says to check the network', () => {
    const p = problemOf(classifyApiAccess({ kind: 'timeout' }, undefined, ctx));
    assert.equal(p.message, 'the API server https://10.0.0.1:6443 did not answer within 2s (timeouts.apply)');
    assert.match(p.hint, /check the server URL, VPN or firewall/);
    assert.equal(p.unavailable, undefined);
  });

  it('through a proxy, a server that never answers names the proxy (credentials redacted) and says to check it first', () => {
    const p = problemOf(classifyApiAccess({ kind: 'timeout' }, undefined, { ...ctx, proxy: 'http://user:<redacted>@proxy.corp:3128' }));
    assert.equal(p.message, 'the API server https://10.0.0.1:6443, through the proxy http://user:<redacted>@proxy.corp:3128, did not answer within 2s (timeouts.apply)');
    assert.match(p.hint, /^check that the proxy \(the cluster's proxy-url, or HTTPS_PROXY and NO_PROXY\) is up/);
  });

  it('a 503 through every retry is the cluster staying unavailable, not bad input', () => {
    const body = JSON.stringify({ kind: 'Status', reason: 'ServiceUnavailable', message: 'try later' });
    const p = problemOf(classifyApiAccess({ kind: 'response', status: 503, contentType: 'application/json', body }, undefined, ctx));
    assert.equal(p.unavailable, true);
    assert.match(p.message, /stayed unavailable through every retry within 2s \(timeouts\.apply\): GET \/version answered 503 \(ServiceUnavailable: try later\)/);
  });

  it('a proxy that wants other credentials (407) says to fix the proxy-url', () => {
    const p = problemOf(classifyApiAccess({ kind: 'error', code: 'ERR', message: 'Bad response: 407' }, undefined, ctx));
    assert.match(p.message, /refused the credentials it was given, or wants some \(407 Proxy Authentication Required\)/);
  });
});

describe('probeWithRetries', () => {
  it('a last attempt the deadline cut short does not hide the 503s before it (the server stayed unavailable, it did not go silent)', async () => {
    let requests = 0;
    const server = http.createServer((_req, res) => {
      requests += 1;
      // The first answer is a 503; every later request hangs until the budget ends, as on an overloaded machine.
      if (requests === 1) res.writeHead(503, { 'content-type': 'application/json' }).end('{"kind":"Status","reason":"ServiceUnavailable"}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const kc = new (clientNode().KubeConfig)();
      kc.loadFromOptions({
        clusters: [{ name: 'c', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true }],
        users: [{ name: 'u' }], contexts: [{ name: 'x', cluster: 'c', user: 'u' }], currentContext: 'x',
      });
      const outcome = await probeWithRetries(kc, '/version', 3_000);
      assert.equal(outcome.kind, 'response');
      assert.equal(outcome.kind === 'response' ? outcome.status : 0, 503);
      assert.ok(requests >= 2, `retried (${requests} requests)`);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
