// The commands istio-build composes and its cache reuse, checked without Go (a recording runner, a temp cache and a
// fake module folder standing in for the one `go mod download` reports).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { recordingRunner } from './runner.mjs';
import { istioBinaries, istioBuild, istioVersion, istioVersionLdflags } from './istio-build.mjs';

const pin = 'v0.0.0-20260826214018-9739e10eb9d7';

describe('istio-build', () => {
  it('reads the pseudo-version pin from upstream/istio/go.mod', () => {
    assert.match(istioVersion(), /^v0\.0\.0-\d{14}-[0-9a-f]{12}$/);
  });

  it('stamps the release line and the commit into istio.io/istio/pkg/version', () => {
    const flags = istioVersionLdflags(pin, '1.30\n');
    assert.ok(flags.includes('-X istio.io/istio/pkg/version.buildVersion=1.30-dev+9739e10eb9d7'));
    assert.ok(flags.includes('-X istio.io/istio/pkg/version.buildGitRevision=9739e10eb9d7'));
  });

  it('copies the module, swaps the agentgateway package, builds both binaries with -modfile, then reuses them', async () => {
    const cacheRoot = mkdtempSync(join(tmpdir(), 'istio-build-test-'));
    const dir = mkdtempSync(join(tmpdir(), 'istio-mod-test-'));
    const moduleDir = mkdtempSync(join(tmpdir(), 'istio-src-test-'));
    try {
      writeFileSync(join(dir, 'go.mod'), `module m\n\nrequire istio.io/istio ${pin}\n`);
      writeFileSync(join(dir, 'go.sum'), '');
      mkdirSync(join(dir, 'agentgateway-stub'));
      writeFileSync(join(dir, 'agentgateway-stub', 'agentgateway.go'), 'package agentgateway\n');
      const pkg = join(moduleDir, 'pilot', 'pkg', 'config', 'kube', 'agentgateway');
      mkdirSync(pkg, { recursive: true });
      writeFileSync(join(pkg, 'agw.go'), 'package agentgateway // needs agentgateway/api\n');
      writeFileSync(join(moduleDir, 'VERSION'), '1.30\n');
      /** @type {import('./runner.mjs').Answer} */
      const download = [/^go mod download /, { stdout: JSON.stringify({ Path: 'istio.io/istio', Version: pin, Dir: moduleDir }, null, '\t') }];

      const first = recordingRunner([download]);
      const built = await istioBuild(first, { dir, cacheRoot, hasGo: async () => true });
      const root = join(cacheRoot, `istio-${pin}`);
      assert.equal(built.bin, join(root, 'bin'));
      assert.equal(first.commands.length, 1, 'one build (the download is a query)');
      assert.match(first.commands[0] ?? '', /^env CGO_ENABLED=0 nice -n 10 go build -C \S+ -modfile=\S+\/go\.mod -trimpath -buildvcs=false -ldflags .*buildVersion=1\.30-dev\+9739e10eb9d7.* -o \S+\/bin\/ istio\.io\/istio\/pilot\/cmd\/pilot-discovery istio\.io\/istio\/istioctl\/cmd\/istioctl$/);
      const copied = join(root, 'src', 'pilot', 'pkg', 'config', 'kube', 'agentgateway');
      assert.equal(existsSync(join(copied, 'agw.go')), false, 'the package needing agentgateway/api is gone');
      assert.equal(readFileSync(join(copied, 'agentgateway_stub.go'), 'utf8'), 'package agentgateway\n');
      assert.match(readFileSync(join(root, 'go.mod'), 'utf8'), new RegExp(`replace istio\\.io/istio => ${join(root, 'src').replace(/[/.]/g, '\\$&')}\\n$`));

      for (const b of istioBinaries) writeFileSync(join(built.bin, b), '');
      const again = recordingRunner([download]);
      assert.equal((await istioBuild(again, { dir, cacheRoot, hasGo: async () => false })).built, false, 'reuse needs no Go');
      assert.deepEqual(again.commands, []);

      writeFileSync(join(dir, 'agentgateway-stub', 'agentgateway.go'), 'package agentgateway // changed\n');
      await assert.rejects(istioBuild(recordingRunner([download]), { dir, cacheRoot, hasGo: async () => false }), /^UsageError: go not found on PATH/);
    } finally {
      for (const d of [cacheRoot, dir, moduleDir]) rmSync(d, { recursive: true, force: true });
    }
  });
});
