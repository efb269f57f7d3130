// A sidecar's listener hands its sockets to an HTTP server that never listens: closeAll must end a kept-alive
// connection (as Envoy does when it exits) instead of waiting for the client to drop it.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { closeAll, trackConnection } from './proxy-listeners.ts';

void test('closeAll ends the kept-alive connections a listener handed to an HTTP server', { timeout: 20_000 }, async () => {
  const app = http.createServer((_req, res) => res.end('ok'));
  app.keepAliveTimeout = 60_000;
  const listener: net.Server = net.createServer((socket) => {
    trackConnection(listener, socket);
    app.emit('connection', socket);
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  // One request answered on a kept-alive connection the client holds open for the next.
  const client = net.connect((listener.address() as AddressInfo).port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    client.once('error', reject);
    client.on('data', (chunk: Buffer) => {
      if (chunk.toString('latin1').endsWith('ok')) resolve();
    });
    client.write('GET / HTTP/1.1\r\nHost: sidecar\r\nConnection: keep-alive\r\n\r\n');
  });
  const clientClosed = new Promise<void>((resolve) => client.once('close', () => resolve()));
  // Closing the listener ends it instead of waiting for the client (or the 60 s keep-alive) to drop it.
  await Promise.all([closeAll([listener]), clientClosed]);
  assert.equal(listener.listening, false);
  assert.equal(client.destroyed, true, 'the client saw its kept-alive connection end');
});
