import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { adoptGoEnv, goLine, parseGo, readGo } from './runner-go.ts';

describe('the runner go', () => {
  it('carries what changed between the early environment and the run\'s, and the runner adopts exactly that', () => {
    const early = { PATH: '/bin', MESH_CONFORMANCE_RUN_CONFIG: '/r/config.json', STALE: 'x' };
    const run = { PATH: '/bin', MESH_CONFORMANCE_RUN_CONFIG: '/r/config.json', MESH_CONFORMANCE_KUBECONFIG_DATA: 'seed', STALE: undefined };
    const line = goLine(early, run);
    assert.ok(line.endsWith('\n'));
    const go = parseGo(line.trim());
    assert.deepEqual(go, { set: { MESH_CONFORMANCE_KUBECONFIG_DATA: 'seed' }, unset: ['STALE'] });
    // Variables Playwright set in the runner itself are kept.
    const runner: NodeJS.ProcessEnv = { ...early, FORCE_COLOR: '0' };
    adoptGoEnv(go, runner);
    assert.deepEqual(runner, { PATH: '/bin', MESH_CONFORMANCE_RUN_CONFIG: '/r/config.json', MESH_CONFORMANCE_KUBECONFIG_DATA: 'seed', FORCE_COLOR: '0' });
  });

  it('refuses a line that is not a go', () => {
    for (const bad of ['null', '{}', '{"set":{"A":1},"unset":[]}', '{"set":{},"unset":"A"}']) assert.throws(() => parseGo(bad), /not a go line/);
  });

  it('reads the first line, even in pieces', async () => {
    const input = new PassThrough();
    const reading = readGo(input, 5_000);
    input.write('{"set":{"A":"1"},');
    input.write('"unset":[]}\n');
    assert.deepEqual(await reading, { set: { A: '1' }, unset: [] });
  });

  it('resolves with nothing when the input ends first (the CLI gave up)', async () => {
    const input = new PassThrough();
    const reading = readGo(input, 5_000);
    input.end();
    assert.equal(await reading, undefined);
  });

  it('fails on something else than a go, and when none comes within the limit', async () => {
    const garbage = new PassThrough();
    const reading = readGo(garbage, 5_000);
    garbage.write('hello\n');
    await assert.rejects(reading, /expected the run's go on its stdin .* and read something else/);
    await assert.rejects(readGo(new PassThrough(), 20), /waited .* min for the run's go on its stdin .* got none/);
  });
});
