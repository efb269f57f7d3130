// `migrate`: how its command lines parse, and bad input as one line with exit 2 before any cluster is contacted.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { main } from './main.ts';
import { parseArgs } from './program.ts';

const sink = { write: () => undefined };

async function cli(argv: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const code = await main(argv, { stdout: sink, stderr: { write: (s: string) => { stderr += s; } } });
  return { code, stderr };
}

void describe('migrate', () => {
  void it('parses plan and verify with their defaults (from the first registered mesh to the second)', () => {
    const plan = parseArgs(['migrate', 'plan', '--out', 'p', '--revision', 'asm-1-30', '--translation-fault', 'x'], sink);
    assert.equal(plan.command, 'migrate');
    if (plan.command !== 'migrate') return;
    assert.deepEqual({ action: plan.action, out: plan.out, revision: plan.revision, fault: plan.translationFault, from: plan.from, to: plan.to }, { action: 'plan', out: 'p', revision: 'asm-1-30', fault: 'x', from: 'osm', to: 'istio' });
    const verify = parseArgs(['migrate', 'verify', '--baseline', 'b.json', '-o', 'json'], sink);
    assert.ok(verify.command === 'migrate' && verify.action === 'verify' && verify.baseline === 'b.json' && verify.output === 'json');
    const watch = parseArgs(['migrate', 'watch', '--baseline', 'b.json', '--url', 'http://a/get', '--url', 'http://b/get', '--host', 'shop.example', '--max-downtime', '30s'], sink);
    assert.ok(watch.command === 'migrate' && watch.action === 'watch');
    assert.deepEqual({ urls: watch.urls, host: watch.host, rate: watch.rate, duration: watch.duration, maxDowntime: watch.maxDowntime }, { urls: ['http://a/get', 'http://b/get'], host: 'shop.example', rate: '5', duration: '10m', maxDowntime: '30s' });
  });

  void it('refuses bad input with one line and exit 2', async () => {
    for (const [argv, message] of [
      [['migrate', 'plan'], /needs --out DIR/],
      [['migrate', 'baseline', '--kubeconfig', '/nonexistent/kubeconfig', '--out', 'x.json'], /cannot read kubeconfig \/nonexistent\/kubeconfig/],
      [['migrate', 'verify', '--kubeconfig', '/nonexistent/kubeconfig'], /cannot read kubeconfig|needs --baseline FILE/],
      [['migrate', 'inventory', '--from', 'nope'], /unknown source mesh "nope": expected one of/],
      [['migrate', 'plan', '--out', 'x', '--translation-fault', 'nope'], /unknown translation fault "nope"/],
      [['migrate', 'watch'], /migrate watch needs --baseline FILE/],
      [['migrate', 'watch', '--baseline', 'b.json', '--rate', '500'], /--rate 500 is not a rate: give requests per second, more than 0 and at most 50/],
      [['migrate', 'watch', '--baseline', 'b.json', '--rate', '0'], /--rate 0 is not a rate/],
      [['migrate', 'watch', '--baseline', 'b.json', '--duration', 'forever'], /--duration forever is not a duration: give one such as 90s, 10m or 2h, at most 24h/],
      [['migrate', 'watch', '--baseline', 'b.json', '--duration', '48h'], /--duration 48h is not a duration/],
      [['migrate', 'watch', '--baseline', 'b.json', '--max-requests', '1.5'], /--max-requests 1\.5 must be a whole number from 1 to 1000000/],
      [['migrate', 'watch', '--baseline', 'b.json', '--url', 'ftp://x/'], /--url ftp:\/\/x\/ is not an http\(s\) URL/],
      [['migrate', 'watch', '--baseline', '/nonexistent/b.json'], /cannot read behaviour baseline \/nonexistent\/b\.json/],
    ] as const) {
      const r = await cli([...argv]);
      assert.equal(r.code, 2, `${argv.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1);
    }
  });
});
