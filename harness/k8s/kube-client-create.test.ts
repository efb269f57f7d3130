import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import type { V1Namespace } from '@kubernetes/client-node';
import { KubeClient, createMarkerLabel } from './kube-client.ts';

// A loopback API server that stores created namespaces and can fail a create after storing it (the ambiguous case).
let server: Server;
const requests: string[] = [];
let stored: V1Namespace[] = [];
let failCreate: 'none' | 'before' | 'after' | 'throttle' | 'reset' = 'none';
let failures = 0;

function json(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(code, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

const status = (code: number, reason: string) => ({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message: `injected ${reason}` });

function handle(req: IncomingMessage, res: ServerResponse, body: string): void {
  const url = new URL(req.url ?? '/', 'http://x');
  requests.push(`${req.method} ${url.pathname}`);
  if (req.method === 'GET' && url.pathname === '/api/v1') {
    return json(res, 200, { kind: 'APIResourceList', groupVersion: 'v1', resources: [{ name: 'namespaces', kind: 'Namespace', namespaced: false, verbs: [] }] });
  }
  if (req.method === 'GET' && url.pathname === '/api/v1/namespaces') {
    const [key, value] = (url.searchParams.get('labelSelector') ?? '').split('=');
    const items = stored.filter((n) => !key || n.metadata?.labels?.[key] === value);
    return json(res, 200, { kind: 'NamespaceList', apiVersion: 'v1', metadata: { resourceVersion: '1' }, items });
  }
  if (req.method === 'GET' && url.pathname === '/apis/authorization.k8s.io/v1') {
    return json(res, 200, { kind: 'APIResourceList', groupVersion: 'authorization.k8s.io/v1', resources: [{ name: 'selfsubjectaccessreviews', kind: 'SelfSubjectAccessReview', namespaced: false, verbs: ['create'] }] });
  }
  if (url.pathname === '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews') {
    // Not a stored object: it cannot be listed (a real API server answers 405).
    if (req.method !== 'POST') return json(res, 405, status(405, 'MethodNotAllowed'));
    const mode = failures > 0 ? failCreate : 'none';
    if (mode !== 'none') failures -= 1;
    if (mode === 'after') return json(res, 503, status(503, 'ServiceUnavailable'));
    if (mode === 'reset') {
      req.socket.destroy();
      return;
    }
    return json(res, 201, { ...(JSON.parse(body) as object), status: { allowed: true } });
  }
  if (req.method === 'POST' && url.pathname === '/api/v1/namespaces') {
    const mode = failures > 0 ? failCreate : 'none';
    if (mode !== 'none') failures -= 1;
    if (mode === 'before') return json(res, 500, status(500, 'InternalError'));
    if (mode === 'throttle') return json(res, 429, status(429, 'TooManyRequests'), { 'retry-after': '0' });
    const ns = JSON.parse(body) as V1Namespace;
    ns.metadata = { ...ns.metadata, name: ns.metadata?.name ?? `${ns.metadata?.generateName ?? ''}${stored.length}` };
    stored.push(ns);
    if (mode === 'after') return json(res, 503, status(503, 'ServiceUnavailable'));
    if (mode === 'reset') {
      req.socket.destroy();
      return;
    }
    return json(res, 201, ns);
  }
  json(res, 404, status(404, 'NotFound'));
}

function client(): KubeClient {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true }],
    users: [{ name: 'u' }], contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }], currentContext: 'ctx',
  });
  return new KubeClient(kc);
}

const creates = (): number => requests.filter((r) => r === 'POST /api/v1/namespaces').length;
const ns = (): V1Namespace => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { generateName: 'mesh-conformance-' } });

before(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => handle(req, res, body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
});
after(() => {
  server.closeAllConnections();
  server.close();
});
beforeEach(() => {
  requests.length = 0;
  stored = [];
  failCreate = 'none';
  failures = 0;
});

describe('KubeClient.create after a failure', () => {
  it('returns the object an ambiguous 503 had in fact created: one POST, then a read by marker, no second create', async () => {
    failCreate = 'after';
    failures = 1;
    const got = await client().create(ns(), { budgetMs: 5_000 });
    assert.equal(creates(), 1);
    assert.equal(stored.length, 1);
    assert.equal(got.metadata?.name, stored[0]?.metadata?.name);
    assert.equal(got.kind, 'Namespace');
    assert.ok(requests.some((r) => r === 'GET /api/v1/namespaces'), 'looked the object up after the failure');
  });

  it('also reads before retrying after a connection reset (the object landed)', async () => {
    failCreate = 'reset';
    failures = 1;
    await client().create(ns(), { budgetMs: 5_000 });
    assert.equal(creates(), 1);
    assert.equal(stored.length, 1);
  });

  it('creates again only when the read shows the failed create did not land', async () => {
    failCreate = 'before';
    failures = 2;
    const got = await client().create(ns(), { budgetMs: 5_000 });
    assert.equal(creates(), 3);
    assert.equal(stored.length, 1);
    assert.equal(requests.filter((r) => r === 'GET /api/v1/namespaces').length, 2, 'one read after each failed create');
    assert.ok(got.metadata?.labels?.[createMarkerLabel]);
  });

  it('retries a 429 as is (the server refused before acting)', async () => {
    failCreate = 'throttle';
    failures = 1;
    await client().create(ns(), { budgetMs: 5_000 });
    assert.equal(creates(), 2);
    assert.equal(requests.filter((r) => r === 'GET /api/v1/namespaces').length, 0);
    assert.equal(stored.length, 1);
  });

  it('repeats a create the API server does not store (SelfSubjectAccessReview) like a read, never listing it (issue 19, F5)', async () => {
    for (const mode of ['after', 'reset'] as const) {
      requests.length = 0;
      failCreate = mode;
      failures = 2;
      const review = await client().create<{ apiVersion: string; kind: string; status?: { allowed?: boolean } }>(
        { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { verb: 'get', resource: 'pods' } } } as never,
        { budgetMs: 5_000, nonPersisted: true });
      assert.equal(review.status?.allowed, true, mode);
      assert.equal(requests.filter((r) => r.startsWith('GET /apis/authorization.k8s.io/v1/selfsubjectaccessreviews')).length, 0, 'never listed');
      assert.equal(requests.filter((r) => r === 'POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews').length, 3);
    }
  });
});
