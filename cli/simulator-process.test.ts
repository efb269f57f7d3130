// The contract with the simulator process: its command line and its `simulator ready <JSON>` line, parsed from a
// real simulator whose kubeconfig path contains a space.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseReadyLine, simulatorArgs, startSimulator } from './simulator-process.ts';

describe('simulator process contract', () => {
  it('parses the ready line, paths with spaces included', () => {
    const line = `simulator ready ${JSON.stringify({ kubeconfig: '/r/my reports/kubeconfig', context: 'mesh-conformance-sim-kind', server: 'https://127.0.0.1:4443', flavor: 'kind' })}`;
    assert.deepEqual(parseReadyLine(line), { kubeconfig: '/r/my reports/kubeconfig', context: 'mesh-conformance-sim-kind', server: 'https://127.0.0.1:4443', flavor: 'kind' });
  });

  it('reads the Log Analytics offer and ignores offers it does not know', () => {
    const logAnalytics = { endpoint: 'https://127.0.0.1:5000/v1', workspaceId: 'ws-1', tokenFile: '/r/my reports/azure-token', caFile: '/r/my reports/azure-ca.crt' };
    const line = `simulator ready ${JSON.stringify({ kubeconfig: '/k', context: 'c', server: 'https://s', flavor: 'aks', appGateway: { address: '127.1.0.3', port: 80 }, logAnalytics })}`;
    assert.deepEqual(parseReadyLine(line), { kubeconfig: '/k', context: 'c', server: 'https://s', flavor: 'aks', logAnalytics });
  });

  it('rejects other lines and incomplete announcements', () => {
    assert.equal(parseReadyLine('listening on 4443'), undefined);
    assert.equal(parseReadyLine('simulator ready kubeconfig=/r/kubeconfig context=c'), undefined);
    assert.equal(parseReadyLine('simulator ready {"context":"c"}'), undefined);
    assert.equal(parseReadyLine('simulator ready ["/k","c"]'), undefined);
  });

  it('builds the simulator command line', () => {
    const args = simulatorArgs({ flavor: 'aks', kubeconfig: '/k', faults: ['a', 'b'] });
    assert.deepEqual(args.slice(0, 2), ['--import', 'tsx']);
    assert.match(args[2] ?? '', /simulator\/src\/main\.ts$/);
    assert.deepEqual(args.slice(3), ['--flavor', 'aks', '--kubeconfig', '/k', '--fault', 'a', '--fault', 'b']);
  });

  it('starts the simulator with a kubeconfig under a directory with a space and reads its ready line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'my reports-'));
    const kubeconfig = join(dir, 'sim dir', 'kubeconfig');
    const sim = await startSimulator({ flavor: 'kind', kubeconfig, faults: [], timeoutMs: 90_000 });
    try {
      assert.equal(sim.ready.kubeconfig, kubeconfig);
      assert.equal(sim.ready.context, 'mesh-conformance-sim-kind');
      assert.equal(sim.ready.flavor, 'kind');
      assert.match(sim.ready.server ?? '', /^https:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      await sim.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
