import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, describe, it } from 'node:test';
import type https from 'node:https';
import { stringify } from 'yaml';
import { CredentialError, describePlugin, isKubeloginDeviceCode, runCredentialPlugin } from './exec-credential.ts';
import { KubeconfigError, kubeconfigSeed, kubeconfigSeedEnv, resolveKubeconfig, toKubeConfig } from './kubeconfig.ts';

const dir = mkdtempSync(join(tmpdir(), 'kubeconfig-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const caPem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const caFile = join(dir, 'ca.crt');
writeFileSync(caFile, caPem);

function write(name: string, doc: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, typeof doc === 'string' ? doc : stringify(doc));
  return file;
}

const cluster = (name: string, server = 'https://127.0.0.1:6443', extra: Record<string, unknown> = {}) => ({ name, cluster: { server, 'certificate-authority-data': Buffer.from(caPem).toString('base64'), ...extra } });
const user = (name: string, u: Record<string, unknown> = { token: `tok-${name}` }) => ({ name, user: u });
const context = (name: string, c: string, u?: string) => ({ name, context: { cluster: c, ...(u !== undefined ? { user: u } : {}) } });

/** What client-node would send: the options of a request prepared with the kubeconfig. */
async function prepared(kcFile: string, ctx?: string, env: NodeJS.ProcessEnv = {}): Promise<https.RequestOptions & { headers: Record<string, string> }> {
  const kc = toKubeConfig(resolveKubeconfig(kcFile, ctx, {}), { budgetMs: 2_000, env });
  const opts: https.RequestOptions = { headers: {} };
  await kc.applyToHTTPSOptions(opts);
  return opts as https.RequestOptions & { headers: Record<string, string> };
}

function rejects(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof KubeconfigError, String(err));
    assert.match(err.message, pattern);
    assert.doesNotMatch(err.message, /\n/);
    return true;
  });
}

describe('kubeconfig loading (issue 19)', () => {
  it('merges KUBECONFIG=a:b as kubectl does: the first definition and current-context win; a missing file is skipped', async () => {
    const a = write('a.yaml', { clusters: [cluster('c1')], users: [user('u1')], contexts: [context('ctx-a', 'c1', 'u1')], 'current-context': 'ctx-a' });
    const b = write('b.yaml', { clusters: [cluster('c1', 'https://10.9.9.9:6443'), cluster('c2', 'https://127.0.0.2:6443')], users: [user('u2')], contexts: [context('ctx-b', 'c2', 'u2')], 'current-context': 'ctx-b' });
    const both = `${a}${delimiter}${b}`;
    const cur = resolveKubeconfig(both, undefined, {});
    assert.equal(cur.context, 'ctx-a');
    const viaB = toKubeConfig(resolveKubeconfig(both, 'ctx-b', {}), { budgetMs: 1_000, env: {} });
    assert.equal(viaB.getCurrentCluster()?.server, 'https://127.0.0.2:6443');
    assert.equal((await prepared(both, 'ctx-b')).headers.Authorization, 'Bearer tok-u2');
    assert.equal(resolveKubeconfig(`${join(dir, 'missing.yaml')}${delimiter}${b}`, undefined, {}).context, 'ctx-b');
    rejects(() => resolveKubeconfig(`${join(dir, 'no1')}${delimiter}${join(dir, 'no2')}`, undefined, {}), /^cannot read kubeconfig .*no1:.*no2 \(none of these files exists\): pass --kubeconfig FILE/);
  });

  it('reads a kubeconfig once: a pipe (`--kubeconfig <(…)`) serves every later load in the process', async () => {
    const fifo = join(dir, 'kc.fifo');
    execFileSync('mkfifo', [fifo]);
    // The writer needs no event loop of ours: reading the pipe blocks this process until it is written.
    spawn('sh', ['-c', `printf '%s' "$DATA" > ${fifo}`], { stdio: 'ignore', env: { DATA: stringify({ clusters: [cluster('p')], users: [user('pu')], contexts: [context('pc', 'p', 'pu')], 'current-context': 'pc' }) } });
    assert.equal(resolveKubeconfig(fifo, undefined, {}).context, 'pc');
    assert.equal(resolveKubeconfig(fifo, undefined, {}).context, 'pc', 'the second load does not block on the drained pipe');
    assert.equal((await prepared(fifo)).headers.Authorization, 'Bearer tok-pu');
  });

  it('hands the selected context to another process through one variable, and nothing else', () => {
    const f = write('seed.yaml', { clusters: [cluster('c'), cluster('other')], users: [user('u'), user('other')], contexts: [context('x', 'c', 'u'), context('y', 'other', 'other')], 'current-context': 'x' });
    const seed = kubeconfigSeed(resolveKubeconfig(f, undefined, {}));
    assert.doesNotMatch(seed, /tok-other/);
    rmSync(f);
    assert.equal(resolveKubeconfig(f, undefined, { [kubeconfigSeedEnv]: seed }).context, 'x', 'the seed is used, the (gone) file is not read');
  });

  it('says what is wrong, in one line, for kubeconfigs client-node misreads', () => {
    rejects(() => resolveKubeconfig(write('empty.yaml', ''), undefined, {}), /^unusable kubeconfig .*empty\.yaml: it is empty \(no clusters, users or contexts\); write one with/);
    rejects(() => resolveKubeconfig(write('noscheme.yaml', { clusters: [cluster('c', '127.0.0.1:6443')], users: [user('u')], contexts: [context('x', 'c', 'u')], 'current-context': 'x' }), undefined, {}),
      /cluster "c" has server "127\.0\.0\.1:6443", which is not an http\(s\) URL; fix it with the scheme, e\.g\. server: https:\/\/127\.0\.0\.1:6443/);
    rejects(() => resolveKubeconfig(write('nouser.yaml', { clusters: [cluster('c')], users: [user('u')], contexts: [context('x', 'c', 'ghost')], 'current-context': 'x' }), undefined, {}),
      /context "x" names user "ghost", which is not defined \(users: u\); fix the context's user/);
    rejects(() => resolveKubeconfig(write('nocluster.yaml', { clusters: [cluster('c')], users: [user('u')], contexts: [context('x', 'gone', 'u')], 'current-context': 'x' }), undefined, {}),
      /context "x" names cluster "gone", which is not defined \(clusters: c\)/);
    rejects(() => resolveKubeconfig(write('tokenfile.yaml', { clusters: [cluster('c')], users: [user('u', { tokenFile: 'no-such-token' })], contexts: [context('x', 'c', 'u')], 'current-context': 'x' }), undefined, {}),
      /user "u"'s tokenFile .*\/no-such-token cannot be read \(no such file\); point tokenFile at a readable token file/);
    rejects(() => resolveKubeconfig(write('cafile.yaml', { clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:6443', 'certificate-authority': '/no/such/ca.crt' } }], users: [user('u')], contexts: [context('x', 'c', 'u')], 'current-context': 'x' }), undefined, {}),
      /cluster "c"'s certificate-authority \/no\/such\/ca\.crt cannot be read \(no such file\); fix the path/);
    rejects(() => resolveKubeconfig(write('proxy.yaml', { clusters: [cluster('c', 'https://127.0.0.1:6443', { 'proxy-url': 'ftp://u:pw@p:21' })], users: [user('u')], contexts: [context('x', 'c', 'u')], 'current-context': 'x' }), undefined, {}),
      /proxy-url "ftp:\/\/u:<redacted>@p:21", which is not an http, https or socks5 URL/);
    rejects(() => resolveKubeconfig(write('nocur.yaml', { clusters: [cluster('c')], users: [user('u')], contexts: [context('x', 'c', 'u')] }), undefined, {}), /it has no current-context; pass --context NAME \(contexts: x\)/);
  });

  it('applies the CA to a context without a user (anonymous), and reads tokenFile relative to the kubeconfig', async () => {
    const anon = write('anon.yaml', { clusters: [cluster('c')], contexts: [context('x', 'c')], 'current-context': 'x' });
    assert.equal(String((await prepared(anon)).ca), caPem);
    writeFileSync(join(dir, 'the-token'), 'tok-from-file');
    const tf = write('tf.yaml', { clusters: [cluster('c')], users: [user('u', { tokenFile: 'the-token' })], contexts: [context('x', 'c', 'u')], 'current-context': 'x' });
    assert.equal((await prepared(tf)).headers.Authorization, 'Bearer tok-from-file');
  });

  it('goes through HTTPS_PROXY unless the cluster names its own proxy-url or NO_PROXY exempts it', () => {
    const remote = write('remote.yaml', { clusters: [cluster('c', 'https://api.example:443')], users: [user('u')], contexts: [context('x', 'c', 'u')], 'current-context': 'x' });
    const env = { HTTPS_PROXY: 'http://proxy.corp:3128' };
    assert.equal(toKubeConfig(resolveKubeconfig(remote, undefined, {}), { budgetMs: 1_000, env }).getCurrentCluster()?.proxyUrl, 'http://proxy.corp:3128');
    assert.equal(toKubeConfig(resolveKubeconfig(remote, undefined, {}), { budgetMs: 1_000, env: { ...env, NO_PROXY: '.example' } }).getCurrentCluster()?.proxyUrl, undefined);
    const own = write('own.yaml', { clusters: [cluster('c', 'https://api.example:443', { 'proxy-url': 'http://own:8080' })], users: [user('u')], contexts: [context('x', 'c', 'u')], 'current-context': 'x' });
    assert.equal(toKubeConfig(resolveKubeconfig(own, undefined, {}), { budgetMs: 1_000, env }).getCurrentCluster()?.proxyUrl, 'http://own:8080');
  });
});

describe('exec credential plugins, bounded (issue 19, F3)', () => {
  const plugin = (name: string, body: string): string => {
    const file = join(dir, name);
    writeFileSync(file, `#!/bin/sh\n${body}\n`);
    chmodSync(file, 0o755);
    return file;
  };
  const alive = (pid: number): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  it('stops a plugin that never returns at the budget, names its command, and kills it', async () => {
    const pidFile = join(dir, 'hang.pid');
    const cmd = plugin('hang-plugin', `echo $$ > ${pidFile}\nexec sleep 600`);
    const started = Date.now();
    const kcFile = write('exec.yaml', { clusters: [cluster('c')], users: [user('u', { exec: { apiVersion: 'client.authentication.k8s.io/v1beta1', command: cmd, args: ['get-token', '--client-secret', 'sEcReT'] } })], contexts: [context('x', 'c', 'u')], 'current-context': 'x' });
    const kc = toKubeConfig(resolveKubeconfig(kcFile, undefined, {}), { budgetMs: 700, env: {} });
    await assert.rejects(kc.applyToHTTPSOptions({ headers: {} }), (err: unknown) => {
      assert.ok(err instanceof CredentialError);
      assert.match(err.message, /exec credential plugin `.*hang-plugin get-token --client-secret <redacted>` \(user u\) did not return within 700ms \(timeouts\.apply\); it was stopped/);
      assert.doesNotMatch(err.message, /sEcReT/);
      return true;
    });
    assert.ok(Date.now() - started < 3_000, 'bounded by the budget');
    const pid = Number(execFileSync('cat', [pidFile], { encoding: 'utf8' }).trim());
    for (let i = 0; i < 50 && alive(pid); i += 1) await new Promise((r) => setTimeout(r, 20));
    assert.equal(alive(pid), false, 'the plugin process was killed');
  });

  it('hands the token of a working plugin to requests, once', async () => {
    const counter = join(dir, 'count');
    const cmd = plugin('ok-plugin', `echo x >> ${counter}\necho '{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"tok-exec"}}'`);
    const kcFile = write('exec-ok.yaml', { clusters: [cluster('c')], users: [user('u', { exec: { apiVersion: 'client.authentication.k8s.io/v1beta1', command: cmd } })], contexts: [context('x', 'c', 'u')], 'current-context': 'x' });
    const kc = toKubeConfig(resolveKubeconfig(kcFile, undefined, {}), { budgetMs: 5_000, env: {} });
    for (let i = 0; i < 3; i += 1) {
      const o: https.RequestOptions = { headers: {} };
      await kc.applyToHTTPSOptions(o);
      assert.equal((o.headers as Record<string, string>).Authorization, 'Bearer tok-exec');
    }
    assert.equal(execFileSync('cat', [counter], { encoding: 'utf8' }).trim().split('\n').length, 1);
  });

  it('tells kubelogin\'s device-code login apart, at once when it prompts, with the convert-kubeconfig hint', async () => {
    assert.equal(isKubeloginDeviceCode({ command: 'kubelogin', args: ['get-token', '--server-id', 'x'] }), true);
    assert.equal(isKubeloginDeviceCode({ command: '/usr/local/bin/kubelogin', args: ['get-token', '--login', 'devicecode'] }), true);
    assert.equal(isKubeloginDeviceCode({ command: 'kubelogin', args: ['get-token', '-l', 'azurecli'] }), false);
    assert.equal(isKubeloginDeviceCode({ command: 'kubelogin', args: ['get-token', '--login=spn'] }), false);
    assert.equal(describePlugin({ command: 'kubelogin', args: ['get-token', '--password=pw', '--token', 't', '-l', 'ropc'] }), 'kubelogin get-token --password=<redacted> --token <redacted> -l ropc');
    const cmd = plugin('prompting', 'echo "To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code ABCD to authenticate." >&2\nexec sleep 600');
    const started = Date.now();
    await assert.rejects(runCredentialPlugin({ command: cmd }, { budgetMs: 10_000, user: 'u', env: {} }), (err: unknown) => {
      assert.ok(err instanceof CredentialError);
      assert.match(err.message, /asks for a device-code sign-in/);
      assert.match(err.hint, /kubelogin convert-kubeconfig -l azurecli/);
      return true;
    });
    assert.ok(Date.now() - started < 5_000, 'no need to wait for the budget');
    await assert.rejects(runCredentialPlugin({ command: join(dir, 'no-such-plugin') }, { budgetMs: 1_000, user: 'u', env: {} }), /is not installed or not on PATH/);
  });
});
