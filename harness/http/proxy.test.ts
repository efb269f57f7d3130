import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { proxyForUrl } from './proxy.ts';

describe('proxyForUrl (kubectl\'s rules)', () => {
  const env = { HTTPS_PROXY: 'http://u:p@proxy.corp:3128', HTTP_PROXY: 'proxy.corp:8080', NO_PROXY: 'internal.example,.svc.example,10.0.0.0/8,192.168.1.5,api.example:6443' };

  it('takes HTTPS_PROXY for https and HTTP_PROXY (scheme added) for http', () => {
    assert.equal(proxyForUrl('https://api.azmk8s.io:443', env), 'http://u:p@proxy.corp:3128');
    assert.equal(proxyForUrl('http://prom.example:9090', env), 'http://proxy.corp:8080');
    assert.equal(proxyForUrl('https://x.example', { https_proxy: 'http://lower:1' }), 'http://lower:1');
    assert.equal(proxyForUrl('https://x.example', { HTTPS_PROXY: 'http://upper:1', https_proxy: 'http://lower:1' }), 'http://upper:1');
    assert.equal(proxyForUrl('https://x.example', {}), undefined);
  });

  it('goes direct for NO_PROXY hosts, their subdomains, CIDRs, IPs and host:port', () => {
    assert.equal(proxyForUrl('https://internal.example', env), undefined);
    assert.equal(proxyForUrl('https://a.internal.example', env), undefined);
    assert.equal(proxyForUrl('https://b.svc.example', env), undefined);
    assert.equal(proxyForUrl('https://10.1.2.3:6443', env), undefined);
    assert.equal(proxyForUrl('https://192.168.1.5', env), undefined);
    assert.equal(proxyForUrl('https://api.example:6443', env), undefined);
    assert.equal(proxyForUrl('https://api.example:443', env), 'http://u:p@proxy.corp:3128');
    assert.equal(proxyForUrl('https://notinternal.example', env), 'http://u:p@proxy.corp:3128');
    assert.equal(proxyForUrl('https://x.example', { ...env, NO_PROXY: '*' }), undefined);
  });

  it('never proxies loopback, as Go does', () => {
    for (const u of ['https://127.0.0.1:6443', 'https://localhost:6443', 'https://127.3.0.2', 'http://[::1]:80']) assert.equal(proxyForUrl(u, env), undefined, u);
  });
});
