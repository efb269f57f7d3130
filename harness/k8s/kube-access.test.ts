import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { KubeconfigAccess } from './kube-access.ts';
import { KubeClient } from './kube-client.ts';
import { resolveKubeconfig, toKubeConfig } from './kubeconfig.ts';

const dir = mkdtempSync(join(tmpdir(), 'kube-access-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const pem = (what: string): string => `-----BEGIN ${what}-----\nMIIB${what.length}\n-----END ${what}-----\n`;
const b64 = (s: string): string => Buffer.from(s).toString('base64');
writeFileSync(join(dir, 'ca.crt'), pem('CERTIFICATE'));
writeFileSync(join(dir, 'client.key'), pem('PRIVATE KEY'));
writeFileSync(join(dir, 'token'), 'tok-file\n');

function kubeconfig(name: string, clusterExtra: Record<string, unknown>, userBody: Record<string, unknown>, server = 'https://127.0.0.1:6443'): string {
  const file = join(dir, name);
  writeFileSync(file, stringify({
    clusters: [{ name: 'c', cluster: { server, ...clusterExtra } }],
    users: [{ name: 'u', user: userBody }],
    contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
    'current-context': 'x',
  }));
  return file;
}

const text = (v: unknown): string | undefined => (v === undefined ? undefined : Buffer.isBuffer(v) ? v.toString() : typeof v === 'string' ? v : JSON.stringify(v));

/** The parts of prepared request options that decide how the server sees the request. */
function relevant(o: https.RequestOptions): Record<string, unknown> {
  const headers = (o.headers ?? {}) as Record<string, string>;
  return {
    authorization: headers.Authorization, impersonate: headers['Impersonate-User'], auth: o.auth,
    ca: text(o.ca), cert: text(o.cert), key: text(o.key), rejectUnauthorized: o.rejectUnauthorized, servername: o.servername,
  };
}

async function preparedBy(which: 'client-node' | 'ours', file: string, env: NodeJS.ProcessEnv = {}): Promise<https.RequestOptions> {
  const resolved = resolveKubeconfig(file, undefined, {});
  const access = which === 'ours' ? new KubeconfigAccess(resolved, { budgetMs: 5_000, env }) : toKubeConfig(resolved, { budgetMs: 5_000, env });
  const opts: https.RequestOptions = { headers: {} };
  await access.applyToHTTPSOptions(opts);
  return opts;
}

describe('KubeconfigAccess: requests without client-node (issue 17)', () => {
  const cases: [string, Record<string, unknown>, Record<string, unknown>][] = [
    ['CA data and a token', { 'certificate-authority-data': b64(pem('CERTIFICATE')) }, { token: 'tok' }],
    ['CA file, client certificate data and key file (kind)', { 'certificate-authority': join(dir, 'ca.crt') }, { 'client-certificate-data': b64(pem('CERTIFICATE')), 'client-key': join(dir, 'client.key') }],
    ['insecure-skip-tls-verify and tls-server-name', { 'insecure-skip-tls-verify': true, 'tls-server-name': 'kubernetes.default' }, { token: 't2' }],
    ['basic auth and impersonation', { 'certificate-authority-data': b64(pem('CERTIFICATE')) }, { username: 'admin', password: 'pw', as: 'jane' }],
    ['a token file (kubectl\'s tokenFile)', { 'certificate-authority-data': b64(pem('CERTIFICATE')) }, { tokenFile: join(dir, 'token') }],
    ['an anonymous user', { 'certificate-authority-data': b64(pem('CERTIFICATE')) }, {}],
  ];
  for (const [title, clusterExtra, userBody] of cases) {
    it(`prepares a request as client-node does: ${title}`, async () => {
      const file = kubeconfig(`${title.replace(/\W+/g, '-')}.yaml`, clusterExtra, userBody);
      const ours = relevant(await preparedBy('ours', file));
      const theirs = relevant(await preparedBy('client-node', file));
      // client-node sends a token file's text as read; kubectl (and we) trim its trailing newline.
      if (userBody.tokenFile) theirs.authorization = String(theirs.authorization).trim();
      assert.deepEqual(ours, theirs);
    });
  }

  it('re-reads a token file at each request: a projected service-account token rotates', async () => {
    const tokenFile = join(dir, 'rotating');
    writeFileSync(tokenFile, 'first');
    const access = new KubeconfigAccess(resolveKubeconfig(kubeconfig('rotating.yaml', {}, { tokenFile }), undefined, {}), { budgetMs: 1_000, env: {} });
    const header = async (): Promise<unknown> => {
      const o: https.RequestOptions = {};
      await access.applyToHTTPSOptions(o);
      return (o.headers as Record<string, string>).Authorization;
    };
    assert.equal(await header(), 'Bearer first');
    writeFileSync(tokenFile, 'second');
    assert.equal(await header(), 'Bearer second');
  });

  it('runs an exec credential plugin once for many requests, and keeps one connection pool', async () => {
    const counter = join(dir, 'exec-count');
    const plugin = join(dir, 'plugin.sh');
    writeFileSync(plugin, `#!/bin/sh\necho x >> ${counter}\necho '{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"tok-exec"}}'\n`);
    chmodSync(plugin, 0o755);
    const access = new KubeconfigAccess(resolveKubeconfig(kubeconfig('exec.yaml', {}, { exec: { apiVersion: 'client.authentication.k8s.io/v1beta1', command: plugin } }), undefined, {}), { budgetMs: 5_000, env: {} });
    const agents = new Set<unknown>();
    for (let i = 0; i < 3; i += 1) {
      const o: https.RequestOptions = {};
      await access.applyToHTTPSOptions(o);
      assert.equal((o.headers as Record<string, string>).Authorization, 'Bearer tok-exec');
      agents.add(o.agent);
    }
    const { readFileSync } = await import('node:fs');
    assert.equal(readFileSync(counter, 'utf8').trim().split('\n').length, 1, 'the plugin ran once');
    assert.equal(agents.size, 1, 'one keep-alive agent for the context');
  });

  it('leaves a proxy (proxy-url or HTTPS_PROXY) and a legacy auth-provider to client-node', async () => {
    const viaEnv = new KubeconfigAccess(resolveKubeconfig(kubeconfig('proxied.yaml', {}, { token: 't' }, 'https://api.example:443'), undefined, {}), { budgetMs: 1_000, env: { HTTPS_PROXY: 'http://proxy.corp:3128' } });
    assert.equal(viaEnv.getCurrentCluster().proxyUrl, 'http://proxy.corp:3128');
    const o: https.RequestOptions = {};
    await viaEnv.applyToHTTPSOptions(o);
    assert.equal((o.agent as { constructor: { name: string } }).constructor.name, 'HttpsProxyAgent', 'client-node\'s proxy agent');
    const own = new KubeconfigAccess(resolveKubeconfig(kubeconfig('own-proxy.yaml', { 'proxy-url': 'socks5://s:1080' }, { token: 't' }, 'https://api.example:443'), undefined, {}), { budgetMs: 1_000, env: {} });
    const o2: https.RequestOptions = {};
    await own.applyToHTTPSOptions(o2);
    assert.equal((o2.agent as { constructor: { name: string } }).constructor.name, 'SocksProxyAgent');
    assert.equal((o2.headers as Record<string, string>).Authorization, 'Bearer t');
  });

  it('serves KubeClient: discovery once per group/version, the object requests client-node made, one reused connection', async () => {
    const seen: string[] = [];
    const sockets = new Set<unknown>();
    const server = createServer((req, res) => {
      sockets.add(req.socket);
      seen.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`);
      res.setHeader('content-type', 'application/json');
      if (req.url === '/api/v1') return res.end(JSON.stringify({ kind: 'APIResourceList', groupVersion: 'v1', resources: [{ name: 'configmaps', kind: 'ConfigMap', namespaced: true, verbs: [] }] }));
      if (req.method === 'GET' && req.url?.startsWith('/api/v1/namespaces/ns/configmaps/missing')) {
        res.statusCode = 404;
        return res.end(JSON.stringify({ kind: 'Status', reason: 'NotFound', message: 'configmaps "missing" not found', code: 404 }));
      }
      res.end(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'ns', creationTimestamp: '2026-11-29T10:00:00Z' } }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as AddressInfo).port;
      const file = kubeconfig('local-http.yaml', { 'insecure-skip-tls-verify': true }, { token: 'tok' }, `http://127.0.0.1:${port}`);
      const client = KubeClient.connect({ kubeconfig: file });
      const cm: V1ConfigMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'ns' }, data: { a: '1' } };
      const applied = await client.apply(cm, { budgetMs: 2_000 });
      assert.equal(applied.metadata?.creationTimestamp, '2026-11-29T10:00:00Z', 'the server\'s JSON as sent: a timestamp stays a string');
      assert.equal(await client.read({ apiVersion: 'v1', kind: 'ConfigMap', name: 'missing', namespace: 'ns' }, { budgetMs: 2_000 }), undefined);
      await client.delete({ apiVersion: 'v1', kind: 'ConfigMap', name: 'cm', namespace: 'ns' }, { budgetMs: 2_000 });
      assert.deepEqual(seen, [
        'GET /api/v1 Bearer tok',
        'PATCH /api/v1/namespaces/ns/configmaps/cm?fieldManager=mesh-conformance&force=true Bearer tok',
        'GET /api/v1/namespaces/ns/configmaps/missing Bearer tok',
        'DELETE /api/v1/namespaces/ns/configmaps/cm?propagationPolicy=Background Bearer tok',
      ]);
      assert.equal(sockets.size, 1, 'the requests shared one kept-alive connection');
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
