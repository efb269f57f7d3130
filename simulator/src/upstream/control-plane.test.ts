// The upstream control plane (control-plane.ts) against its own binaries: starts, answers a real client, stops
// without leaving a process or its directory behind. Skipped until `node scripts/upstream-build.mjs` has run.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Agent, request } from 'undici';
import { liveChildCount } from '../node/processes.ts';
import { startUpstreamControlPlane, upstreamBinariesPresent, upstreamBinDir } from './control-plane.ts';

describe('upstream control plane', () => {
  it('starts etcd, kube-apiserver, kube-controller-manager and kube-scheduler, serves a namespace, and stops (skipped where the upstream binaries are not built: npm run upstream:build)', async (t) => {
    if (!upstreamBinariesPresent()) {
      t.skip(`upstream binaries not built (no ${upstreamBinDir()}): run node scripts/upstream-build.mjs`);
      return;
    }
    const cp = await startUpstreamControlPlane({ readyTimeoutMs: 90_000 });
    const dispatcher = new Agent({ connect: { ca: cp.caPem } });
    try {
      const api = async (method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> => {
        const res = await request(`${cp.server}${path}`, {
          method, dispatcher,
          headers: { authorization: `Bearer ${cp.token}`, 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        return { status: res.statusCode, json: (await res.body.json()) as Record<string, unknown> };
      };
      assert.match(cp.versions.kubernetes, /^v1\.\d+\.\d+$/, 'the version ldflags reached /version');
      assert.ok(existsSync(cp.kubeconfig));

      const created = await api('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'upstream-test' } });
      assert.equal(created.status, 201, JSON.stringify(created.json));
      const got = await api('GET', '/api/v1/namespaces/upstream-test');
      assert.equal((got.json.status as { phase?: string }).phase, 'Active');

      // The real controller manager runs: its service-account controller gives the namespace its default account.
      let sa = 0;
      for (let i = 0; i < 100 && sa !== 200; i++) {
        sa = (await api('GET', '/api/v1/namespaces/upstream-test/serviceaccounts/default')).status;
        if (sa !== 200) await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(sa, 200, 'the default service account appears');
    } finally {
      await dispatcher.close();
      await cp.stop();
    }
    assert.equal(existsSync(cp.dir), false, 'the temp dir is removed');
    assert.equal(liveChildCount(), 0, 'no process is left');
    for (const pid of Object.values(cp.pids)) assert.throws(() => process.kill(pid, 0), /ESRCH/, `pid ${pid} is gone`);
  });
});
