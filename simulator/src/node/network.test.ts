/** Each simulator instance owns its own loopback block; virtual addresses stand in for out-of-cluster peers. */
import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';
import { createNetwork, listenWithFallback } from './network.ts';

describe('loopback network', () => {
  it('gives two instances different blocks and distinct bindable addresses', async () => {
    const a = await createNetwork();
    const b = await createNetwork();
    try {
      assert.notEqual(a.block, b.block);
      const x = a.allocate('pod:ns/x');
      const y = a.allocate('pod:ns/y');
      assert.notEqual(x, y);
      assert.ok(x.startsWith(a.block.replace(/0\.0\/16$/, '')), `${x} in ${a.block}`);
      assert.equal(a.purposeOf(x), 'pod:ns/x');
      const server = net.createServer();
      const port = await listenWithFallback(server, x, 0);
      assert.ok(port > 0);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      a.release(x);
      assert.equal(a.purposeOf(x), undefined);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('refuses a block another instance holds', async () => {
    const a = await createNetwork();
    try {
      const n = Number(a.block.split('.')[1]);
      await assert.rejects(createNetwork({ block: n }), /no free loopback block/);
    } finally {
      await a.close();
    }
  });

  it('maps an out-of-cluster peer to its virtual cluster address', async () => {
    const a = await createNetwork();
    try {
      const source = a.allocate('appgw');
      a.mapVirtual(source, '10.225.0.4');
      assert.equal(a.clusterAddressOf(source), '10.225.0.4');
      assert.equal(a.clusterAddressOf(`::ffff:${source}`), '10.225.0.4');
      const pod = a.allocate('pod');
      assert.equal(a.clusterAddressOf(pod), pod);
    } finally {
      await a.close();
    }
  });

  it('falls back to a free port when the preferred one is taken', async () => {
    const a = await createNetwork();
    const host = a.allocate('node');
    const first = net.createServer();
    const second = net.createServer();
    try {
      const p1 = await listenWithFallback(first, host, 0);
      const p2 = await listenWithFallback(second, host, p1);
      assert.notEqual(p2, p1);
    } finally {
      await Promise.all([first, second].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
      await a.close();
    }
  });
});
