import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type https from 'node:https';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocketServer } from 'ws';
import type { KubeAccess } from './kube-access.ts';
import { forwardPodPort } from './port-forward.ts';

// A loopback API server speaking the portforward subresource as kube-apiserver does (v4.channel.k8s.io): each channel
// opens with its port number (two bytes, little-endian); channel 0 carries data, channel 1 the kubelet's errors.
const server = createServer();
const wss = new WebSocketServer({ noServer: true, handleProtocols: (protocols) => (protocols.has('v4.channel.k8s.io') ? 'v4.channel.k8s.io' : false) });
const upgrades: string[] = [];
let behaviour: 'echo-upper' | 'error-channel' = 'echo-upper';

server.on('upgrade', (req, socket, head) => {
  upgrades.push(`${req.url ?? ''} ${req.headers.authorization ?? ''}`);
  if (!req.url?.includes('/pods/allowed/')) {
    socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n');
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => {
    const port = Number(new URL(req.url ?? '', 'http://x').searchParams.get('ports'));
    const portBytes = Buffer.from([port & 0xff, port >> 8]);
    ws.send(Buffer.concat([Buffer.from([0]), portBytes]));
    ws.send(Buffer.concat([Buffer.from([1]), portBytes]));
    if (behaviour === 'error-channel') {
      ws.send(Buffer.concat([Buffer.from([1]), Buffer.from(`an error occurred forwarding ${port} -> ${port}: connection refused`)]));
      ws.close();
      return;
    }
    ws.on('message', (data: Buffer) => {
      if (data[0] !== 0) return;
      ws.send(Buffer.concat([Buffer.from([0]), Buffer.from(data.subarray(1).toString().toUpperCase())]));
    });
  });
});

let access: KubeAccess;
before(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const apiPort = (server.address() as AddressInfo).port;
  access = {
    getCurrentCluster: () => ({ name: 'c', server: `http://127.0.0.1:${apiPort}`, skipTLSVerify: true }),
    getCurrentContext: () => 'x',
    applyToHTTPSOptions: (o: https.RequestOptions) => {
      o.headers = { ...o.headers, Authorization: 'Bearer tok' };
      return Promise.resolve();
    },
  };
});
after(() => {
  wss.close();
  server.closeAllConnections();
  server.close();
});

/** Connects to the forward, writes `text`, and returns what came back until the other side closed or `ms` passed. */
async function roundTrip(url: string, text: string, ms = 2_000): Promise<string> {
  const { port } = new URL(url);
  const socket = net.connect(Number(port), '127.0.0.1');
  let got = '';
  socket.on('data', (c: Buffer) => { got += c.toString(); });
  socket.on('error', () => undefined);
  socket.write(text);
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    socket.on('data', () => { if (got.length >= text.length) { clearTimeout(timer); resolve(); } });
    socket.on('close', () => { clearTimeout(timer); resolve(); });
  });
  socket.destroy();
  return got;
}

describe('port-forward over WebSocket, without client-node (issue 17)', () => {
  it('carries bytes both ways on channel 0, past the port-number preamble, with the context\'s credentials', async () => {
    behaviour = 'echo-upper';
    const fwd = await forwardPodPort(access, 'ns', 'allowed', 15000);
    try {
      assert.equal(await roundTrip(fwd.url, 'hello envoy'), 'HELLO ENVOY');
      assert.equal(upgrades.at(-1), '/api/v1/namespaces/ns/pods/allowed/portforward?ports=15000 Bearer tok');
      assert.equal(fwd.lastFailure(), undefined);
    } finally {
      await fwd.close();
    }
  });

  it('reports what the kubelet said on the error channel', async () => {
    behaviour = 'error-channel';
    const fwd = await forwardPodPort(access, 'ns', 'allowed', 3500);
    try {
      assert.equal(await roundTrip(fwd.url, 'x'), '');
      assert.equal(fwd.lastFailure(), 'an error occurred forwarding 3500 -> 3500: connection refused');
    } finally {
      await fwd.close();
    }
  });

  it('says why a forward could not open (a 403 from the API server) and closes that connection only', async () => {
    const fwd = await forwardPodPort(access, 'ns', 'denied', 80);
    try {
      assert.equal(await roundTrip(fwd.url, 'x'), '');
      assert.match(fwd.lastFailure() ?? '', /403/);
    } finally {
      await fwd.close();
    }
  });
});
