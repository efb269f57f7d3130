import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redactText, redactUrl, urlHasCredentials } from './redact.ts';

describe('redactUrl', () => {
  it('replaces a password, keeping the user name', () => {
    assert.equal(redactUrl('https://user:p%40ss@prom.example/'), 'https://user:<redacted>@prom.example/');
    assert.equal(redactUrl('http://u:pw@127.0.0.1:9090/x'), 'http://u:<redacted>@127.0.0.1:9090/x');
  });

  it('replaces a lone user name (often a token) and credential-bearing query parameters', () => {
    assert.equal(redactUrl('https://ghp_abc123@host/'), 'https://<redacted>@host/');
    assert.equal(redactUrl('https://prom.example/api?api_key=K1&x=1&access_token=T2&sig=S3&code=C4#f'),
      'https://prom.example/api?api_key=<redacted>&x=1&access_token=<redacted>&sig=<redacted>&code=<redacted>#f');
    assert.equal(redactUrl('https://h/?Token=a&X-Amz-Signature=b&key=c&password=d'), 'https://h/?Token=<redacted>&X-Amz-Signature=<redacted>&key=<redacted>&password=<redacted>');
  });

  it('leaves URLs without credentials, and non-URLs, exactly as they are', () => {
    for (const u of ['http://prom:9090', 'https://prom.example:9090/', 'https://h/api?query=up&step=15s', 'not a url', '']) assert.equal(redactUrl(u), u);
    assert.equal(urlHasCredentials('http://prom:9090'), false);
    assert.equal(urlHasCredentials('http://a:b@prom:9090'), true);
    assert.equal(urlHasCredentials('http://prom:9090/?apikey=1'), true);
  });

  it('redacts every URL inside free text', () => {
    assert.equal(redactText('Prometheus at http://u:pw@h:1/ (HTTP 503), see https://x/?token=t.'),
      'Prometheus at http://u:<redacted>@h:1/ (HTTP 503), see https://x/?token=<redacted>.');
    assert.equal(redactText('no url here'), 'no url here');
  });
});
