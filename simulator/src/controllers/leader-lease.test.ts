// The controller manager's leader-election Lease: acquired once kube-system exists, renewed on every retry period.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LeaderLease } from './leader-lease.ts';
import { storeWithNamespaces, waitForStore } from './testing/cluster-fixture.ts';

void test('kube-system/kube-controller-manager is held and renewed every retry period', async () => {
  const store = await storeWithNamespaces('kube-system');
  const leases = store.types.byPath('coordination.k8s.io', 'v1', 'leases')!;
  const lease = new LeaderLease(store, { identity: 'cp_1', renewIntervalMs: 50 }).start();
  try {
    const first = await waitForStore(store, 'the lease to be acquired', () => store.get(leases, 'kube-system', 'kube-controller-manager'));
    assert.deepEqual([first.spec], [{ holderIdentity: 'cp_1', leaseDurationSeconds: 15, acquireTime: (first.spec as { acquireTime: string }).acquireTime, renewTime: (first.spec as { renewTime: string }).renewTime, leaseTransitions: 0 }]);
    assert.match((first.spec as { renewTime: string }).renewTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    const rv = Number(first.metadata.resourceVersion);
    const renewed = await waitForStore(store, 'two renewals', () => {
      const now = store.get(leases, 'kube-system', 'kube-controller-manager');
      return now && Number(now.metadata.resourceVersion) > rv + 1 ? now : undefined;
    });
    assert.equal((renewed.spec as { holderIdentity: string }).holderIdentity, 'cp_1');
  } finally {
    lease.stop();
  }
});
