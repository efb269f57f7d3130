import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import type { V1Pod } from '@kubernetes/client-node';
import { KubeApiError } from './api-error.ts';
import { KubeClient } from './kube-client.ts';
import { resourceTypes } from './resources.ts';
import { WatchedCollection } from './watched-collection.ts';

// A throwaway loopback API server: just enough discovery, errors and a watch for the client's contract.
type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;
let server: Server;
let handler: Handler = () => undefined;
const seen: string[] = [];

function json(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(code, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

const discovery: Record<string, unknown> = {
  '/apis/apps/v1': { kind: 'APIResourceList', groupVersion: 'apps/v1', resources: [{ name: 'deployments', kind: 'Deployment', namespaced: true, verbs: [] }] },
  '/api/v1': { kind: 'APIResourceList', groupVersion: 'v1', resources: [{ name: 'pods', kind: 'Pod', namespaced: true, verbs: [] }, { name: 'namespaces', kind: 'Namespace', namespaced: false, verbs: [] }] },
};

function client(): KubeClient {
  const kc = new KubeConfig();
  const port = (server.address() as AddressInfo).port;
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'u' }], contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }], currentContext: 'ctx',
  });
  return new KubeClient(kc);
}

before(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => {
      seen.push(`${req.method} ${req.url}`);
      const path = (req.url ?? '').split('?')[0] ?? '';
      if (req.method === 'GET' && discovery[path]) return json(res, 200, discovery[path]);
      handler(req, res, body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
});
after(() => {
  server.closeAllConnections();
  server.close();
});

describe('KubeClient', () => {
  it('ends a call at its budget whatever it is stuck in (a credential plugin, a proxy that never answers; issue 19, F14)', async () => {
    const c = client(); // client-node loads on first use: not part of the call's time
    const started = Date.now();
    await assert.rejects(c.call('read stuck', () => new Promise<never>(() => undefined), { budgetMs: 300 }),
      (err: unknown) => err instanceof KubeApiError && /read stuck → request failed: no answer within 300ms \(the call's budget\)/.test(err.message));
    const took = Date.now() - started;
    assert.ok(took < 800, `ended after ${took} ms`);
  });

  it('gives up on a server that never answers when the call\'s budget runs out, naming the request', async () => {
    // Discovery first, answered (a loaded machine may need more than the budget for it): then the request itself hangs.
    const c = client();
    handler = (_req, res) => json(res, 404, { kind: 'Status', status: 'Failure', reason: 'NotFound', code: 404, message: 'pods "p" not found' });
    assert.equal(await c.read({ ...resourceTypes.pod, namespace: 'x', name: 'p' }, { budgetMs: 5_000 }), undefined);
    handler = () => undefined; // accept the request, never respond
    const started = Date.now();
    await assert.rejects(c.read({ ...resourceTypes.pod, namespace: 'x', name: 'p' }, { budgetMs: 300 }),
      (err: unknown) => err instanceof KubeApiError && /^GET \/api\/v1\/namespaces\/x\/pods\/p → request failed: no answer within 300ms \(the call's budget\)$/.test(err.message));
    assert.ok(Date.now() - started < 2_000, 'the call is bounded by its budget');
  });

  it('wraps an API error into one line naming the request actually sent', async () => {
    handler = (_req, res) => json(res, 409, { kind: 'Status', status: 'Failure', reason: 'AlreadyExists', code: 409, message: 'deployments.apps "httpbin" already exists' });
    await assert.rejects(client().create({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'httpbin', namespace: 'x' } }, { budgetMs: 1_000 }),
      (err: unknown) => {
        assert.ok(err instanceof KubeApiError);
        assert.equal(err.message, 'POST /apis/apps/v1/namespaces/x/deployments?fieldManager=mesh-conformance → 409 AlreadyExists: deployments.apps "httpbin" already exists');
        return true;
      });
  });

  it('retries 429 (after Retry-After) and 500 within the budget', async () => {
    let calls = 0;
    handler = (_req, res) => {
      calls += 1;
      if (calls === 1) return json(res, 429, { kind: 'Status', reason: 'TooManyRequests', message: 'slow down', code: 429 }, { 'retry-after': '0' });
      if (calls === 2) return json(res, 500, { kind: 'Status', reason: 'InternalError', message: 'flaky', code: 500 });
      return json(res, 200, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
    };
    const ns = await client().read({ ...resourceTypes.namespace, name: 'default' }, { budgetMs: 5_000 });
    assert.equal(ns?.metadata?.name, 'default');
    assert.equal(calls, 3);
  });

  it('returns undefined for a 404 read and records failures for diagnostics', async () => {
    handler = (_req, res) => json(res, 404, { kind: 'Status', reason: 'NotFound', message: 'namespaces "nope" not found', code: 404 });
    const c = client();
    assert.equal(await c.read({ ...resourceTypes.namespace, name: 'nope' }, { budgetMs: 1_000 }), undefined);
    assert.equal(c.failures.length, 1);
    assert.match(c.failures[0]?.body ?? '', /not found/);
  });

  it('follows a collection: list, watch events, re-watch after a cut, relist after 410', async () => {
    const pod = (name: string, rv: string, phase: string): V1Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'x', resourceVersion: rv }, status: { phase } });
    let lists = 0;
    let watches = 0;
    handler = (req, res) => {
      const url = new URL(req.url ?? '', 'http://x');
      if (url.searchParams.get('watch') !== 'true') {
        lists += 1;
        return json(res, 200, { kind: 'PodList', metadata: { resourceVersion: lists === 1 ? '10' : '30' }, items: lists === 1 ? [pod('a', '10', 'Pending')] : [pod('a', '30', 'Succeeded')] });
      }
      watches += 1;
      res.writeHead(200, { 'content-type': 'application/json' });
      if (watches === 1) {
        // First stream: one event from rv 10, then the server cuts it.
        assert.equal(url.searchParams.get('resourceVersion'), '10');
        res.end(`${JSON.stringify({ type: 'MODIFIED', object: pod('a', '11', 'Running') })}\n`);
      } else if (watches === 2) {
        // Re-established from the last seen resourceVersion; now it is too old.
        assert.equal(url.searchParams.get('resourceVersion'), '11');
        res.end(`${JSON.stringify({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version' } })}\n`);
      } else {
        res.write(`${JSON.stringify({ type: 'ADDED', object: pod('b', '31', 'Pending') })}\n`);
        // keep open until the client aborts
      }
    };
    const pods = await new WatchedCollection<V1Pod>(client(), resourceTypes.pod, { namespace: 'x' }, 2_000).start();
    try {
      const deadline = Date.now() + 5_000;
      while (!(pods.get('b') && pods.get('a')?.status?.phase === 'Succeeded') && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(pods.get('a')?.status?.phase, 'Succeeded', 'relisted after 410');
      assert.equal(pods.get('b')?.status?.phase, 'Pending', 'watching again after the relist');
      assert.equal(lists, 2);
    } finally {
      await pods.stop();
    }
  });
});
