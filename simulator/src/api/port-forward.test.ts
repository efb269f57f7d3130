// pods/portforward as kubectl and client-node reach it: SPDY/3.1 (kubectl 1.27–1.30, and 1.31+ after its WebSocket
// attempt is refused by a 1.27–1.29 kubelet), SPDY tunnelled in WebSocket messages (kubectl 1.31+ against 1.30+
// servers), and WebSocket v4.channel.k8s.io (client-node). The pod's port is a local echo server.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { KubeConfig, PortForward } from '@kubernetes/client-node';
import { createPodPortForward } from '../node/api-proxy.ts';
import { startTestCluster } from './test-cluster.ts';
import type { TestCluster } from './test-cluster.ts';

const sdk = '/usr/lib/google-cloud-sdk/bin';
let echo: net.Server;
let echoPort: number;

before(async () => {
  echo = net.createServer((socket) => socket.on('data', (d: Buffer) => socket.write(Buffer.concat([Buffer.from('echo:'), d]))));
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  echoPort = (echo.address() as net.AddressInfo).port;
});
after(async () => {
  await new Promise<void>((resolve) => echo.close(() => resolve()));
});

/** A cluster whose pod `p` has its port 8080 at the echo server (port 9090: nothing listens). */
async function cluster(spdyOverWebSocket: boolean): Promise<TestCluster> {
  const kubelet = { localEndpoint: (_ns: string, name: string, port: number) => (name === 'p' && port === 8080 ? { host: '127.0.0.1', port: echoPort } : name === 'p' && port === 9090 ? { host: '127.0.0.1', port: 1 } : undefined) };
  const c = await startTestCluster({ podPortForward: createPodPortForward({ kubelet, spdyOverWebSocket }) });
  const pods = c.type('', 'v1', 'pods');
  await c.store.create(pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'i' }] } });
  // kubectl port-forward refuses a pod that is not Running.
  await c.store.mutate(pods, 'default', 'p', (pod) => { pod.status = { phase: 'Running' }; }, { subresource: 'status' });
  return c;
}

function roundTrip(port: number, message: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(message));
    socket.on('data', (d: Buffer) => {
      resolve(d.toString());
      socket.end();
    });
    socket.on('error', reject);
  });
}

/** Runs `kubectl port-forward pod/p LOCAL:REMOTE`, sends one message through it, stops it; the echo and kubectl's output. */
async function kubectlPortForward(c: TestCluster, minor: number, remote: number, local: number): Promise<{ reply: string; output: string }> {
  const child = spawn(join(sdk, `kubectl.1.${minor}`), ['--kubeconfig', c.kubeconfig, '--cache-dir', join(c.dir, 'cache'), 'port-forward', 'pod/p', `${local}:${remote}`]);
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  try {
    for (let i = 0; i < 100 && !output.includes('Forwarding from'); i++) await new Promise((r) => setTimeout(r, 100));
    if (!output.includes('Forwarding from')) return { reply: '(not forwarding)', output };
    const reply = await Promise.race([roundTrip(local, 'hello'), new Promise<string>((resolve) => setTimeout(() => resolve('(no reply)'), 3_000))]);
    await new Promise((r) => setTimeout(r, 300));
    return { reply, output };
  } finally {
    child.kill();
  }
}

describe('kubectl port-forward', () => {
  for (const minor of [27, 31, 33]) {
    test(`kubectl 1.${minor} against a 1.27–1.29 server: SPDY (1.31+ after its WebSocket attempt gets 403) (skipped where kubectl 1.${minor} is not installed beside kubectl in the google-cloud-sdk folder)`, async (t) => {
      if (!existsSync(join(sdk, `kubectl.1.${minor}`))) {
        t.skip(`kubectl 1.${minor} is not installed in ${sdk}`);
        return;
      }
      const c = await cluster(false);
      try {
        const { reply, output } = await kubectlPortForward(c, minor, 8080, 19000 + minor);
        assert.equal(reply, 'echo:hello', output);
        // kubectl 1.31+ first asks for SPDY tunnelled in a WebSocket; a 1.27–1.29 kubelet refuses that subprotocol.
        const upgrades = c.server.requestLog.entries().filter((e) => e.path.endsWith('/portforward')).map((e) => `${e.method} ${e.status}`);
        assert.deepEqual(upgrades, minor >= 31 ? ['GET 403', 'POST 101'] : ['POST 101']);
      } finally {
        await c.close();
      }
    });
  }

  test('kubectl 1.33 against a 1.30+ server tunnels SPDY through the WebSocket; a refused pod port is reported (skipped where kubectl 1.33 is not installed beside kubectl in the google-cloud-sdk folder)', async (t) => {
    if (!existsSync(join(sdk, 'kubectl.1.33'))) {
      t.skip(`kubectl 1.33 is not installed in ${sdk}`);
      return;
    }
    const c = await cluster(true);
    try {
      const { reply } = await kubectlPortForward(c, 33, 8080, 19133);
      assert.equal(reply, 'echo:hello');
      assert.deepEqual(c.server.requestLog.entries().filter((e) => e.path.endsWith('/portforward')).map((e) => `${e.method} ${e.status}`), ['GET 101']);
      const refused = await kubectlPortForward(c, 33, 9090, 19134);
      assert.match(refused.output, /an error occurred forwarding 19134 -> 9090: error forwarding port 9090 to pod default\/p/);
    } finally {
      await c.close();
    }
  });
});

test('client-node PortForward over WebSocket v4.channel.k8s.io', async () => {
  const c = await cluster(false);
  try {
    const kc = new KubeConfig();
    kc.loadFromFile(c.kubeconfig);
    const forward = new PortForward(kc);
    const server = net.createServer((socket) => void forward.portForward('default', 'p', [8080], socket, null, socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      assert.equal(await roundTrip((server.address() as net.AddressInfo).port, 'hi'), 'echo:hi');
    } finally {
      server.close();
    }
  } finally {
    await c.close();
  }
});
