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
  });

  void it('refuses bad input with one line and exit 2', async () => {
    for (const [argv, message] of [
      [['migrate', 'plan'], /needs --out DIR/],
      [['migrate', 'baseline', '--kubeconfig', '/nonexistent/kubeconfig', '--out', 'x.json'], /cannot read kubeconfig \/nonexistent\/kubeconfig/],
      [['migrate', 'verify', '--kubeconfig', '/nonexistent/kubeconfig'], /cannot read kubeconfig|needs --baseline FILE/],
      [['migrate', 'inventory', '--from', 'nope'], /unknown source mesh "nope": expected one of/],
      [['migrate', 'plan', '--out', 'x', '--translation-fault', 'nope'], /unknown translation fault "nope"/],
    ] as const) {
      const r = await cli([...argv]);
      assert.equal(r.code, 2, `${argv.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1);
    }
  });
});
