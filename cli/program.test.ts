import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BadInputError, exitCodes, mapPlaywrightExit } from './exit-codes.ts';
import { parseArgs } from './program.ts';
import type { RunInvocation } from './program.ts';
import { resolveRunConfig } from './run-command.ts';

const sink = { write: () => undefined };
const run = (argv: string[]): RunInvocation => {
  const inv = parseArgs(argv, sink);
  assert.equal(inv.command, 'run');
  return inv;
};

describe('parseArgs', () => {
  it('parses run flags and passes unknown options and everything after -- to Playwright', () => {
    const inv = run(['run', '--target', 'kind', '--context', 'kind-x', '--grep', '@ingress', '--', '--repeat-each', '2']);
    assert.deepEqual(inv.flags, { target: 'kind', context: 'kind-x' });
    assert.deepEqual(inv.playwrightArgs, ['--grep', '@ingress', '--repeat-each', '2']);
  });

  it('collects repeated --sim-fault and the flavor', () => {
    const inv = run(['run', '--flavor', 'aks', '--sim-fault', 'api-slow', '--sim-fault', 'watch-cut']);
    assert.deepEqual(inv.flags, { flavor: 'aks', simFaults: ['api-slow', 'watch-cut'] });
  });

  it('parses sim with defaults', () => {
    assert.deepEqual(parseArgs(['sim', '--fault', 'api-flaky'], sink), { command: 'sim', flavor: 'kind', kubeconfig: undefined, faults: ['api-flaky'], listFaults: false, reportDir: undefined });
  });

  it('turns invalid choices and unknown commands into one-line bad input', () => {
    assert.throws(() => parseArgs(['run', '--target', 'minikube'], sink), (err: unknown) =>
      err instanceof BadInputError && err.message === "option '--target <target>' argument 'minikube' is invalid. Allowed choices are local, kind, aks. (see mesh-conformance --help)");
    assert.throws(() => parseArgs(['sim', '--flavor', 'gke'], sink), BadInputError);
    assert.throws(() => parseArgs(['deploy'], sink), BadInputError);
  });

  it('handles help without running anything', () => {
    assert.deepEqual(parseArgs(['--help'], sink), { command: 'done' });
  });
});

describe('resolveRunConfig', () => {
  it('places the simulator kubeconfig under the report dir for local', () => {
    const c = resolveRunConfig(run(['run']), { MESH_CONFORMANCE_RUN_ID: 'r1' }, '/w');
    assert.equal(c.kubeconfig, '/w/reports/simulator/r1/kubeconfig');
    assert.equal(c.reportDir, '/w/reports');
  });

  it('rejects a kubeconfig for local and a fault for a real target', () => {
    assert.throws(() => resolveRunConfig(run(['run', '--kubeconfig', 'k']), {}, '/w'), /add --target kind or --target aks/);
    assert.throws(() => resolveRunConfig(run(['run', '--target', 'kind', '--sim-fault', 'x']), {}, '/w'), /--sim-fault applies only to --target local/);
  });

  it('reports invalid env values as bad input naming the variable', () => {
    assert.throws(() => resolveRunConfig(run(['run']), { MESH_CONFORMANCE_INGRESS: 'istio' }, '/w'),
      (err: unknown) => err instanceof BadInputError && /ingress must be one of nginx, agic, agc, gateway-api, istio-gateway, none \(got "istio" from MESH_CONFORMANCE_INGRESS\)/.test(err.message));
  });

  it('uses $KUBECONFIG for a real target, every file of it (kubectl merges them; issue 19)', () => {
    assert.equal(resolveRunConfig(run(['run', '--target', 'aks']), { KUBECONFIG: '/a/config:/b/config' }, '/w').kubeconfig, '/a/config:/b/config');
    assert.equal(resolveRunConfig(run(['run', '--target', 'aks']), { KUBECONFIG: 'rel/config::/b/config' }, '/w').kubeconfig, '/w/rel/config:/b/config');
  });
});

describe('exit codes', () => {
  it('maps Playwright outcomes', () => {
    assert.equal(mapPlaywrightExit(0, null), exitCodes.passed);
    assert.equal(mapPlaywrightExit(1, null), exitCodes.checkFailed);
    assert.equal(mapPlaywrightExit(130, null), exitCodes.interrupted);
    assert.equal(mapPlaywrightExit(null, 'SIGINT'), exitCodes.interrupted);
    assert.equal(mapPlaywrightExit(null, 'SIGKILL'), exitCodes.checkFailed);
  });
});
