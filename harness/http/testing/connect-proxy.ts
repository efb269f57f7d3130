/**
 * A loopback HTTP CONNECT proxy for tests: tunnels to the host it is asked for (optionally mapped, so a host that
 * resolves nowhere else is reachable only through it), requires Basic credentials when given, counts tunnels, and
 * can be told to accept and never answer (a hung proxy).
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface TestProxy {
  url: string;
  port: number;
  /** Every CONNECT target asked for, with whether the credentials were right. */
  readonly tunnels: { target: string; authorized: boolean }[];
  close(): Promise<void>;
}

export async function startConnectProxy(opts: { credentials?: string; map?: (host: string, port: string) => { host: string; port: string }; hang?: boolean } = {}): Promise<TestProxy> {
  const tunnels: { target: string; authorized: boolean }[] = [];
  const sockets = new Set<net.Socket>();
  const server: Server = createServer((_req, res) => {
    res.writeHead(405);
    res.end('CONNECT only');
  });
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  server.on('connect', (req, client: net.Socket, head: Buffer) => {
    const target = req.url ?? '';
    const expected = opts.credentials ? `Basic ${Buffer.from(opts.credentials).toString('base64')}` : undefined;
    const authorized = !expected || req.headers['proxy-authorization'] === expected;
    tunnels.push({ target, authorized });
    if (opts.hang) return; // accept, never answer
    if (!authorized) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\n\r\n');
      return;
    }
    const at = target.lastIndexOf(':');
    const to = opts.map ? opts.map(target.slice(0, at), target.slice(at + 1)) : { host: target.slice(0, at), port: target.slice(at + 1) };
    const upstream = net.connect(Number(to.port), to.host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.once('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${opts.credentials ? `${opts.credentials}@` : ''}127.0.0.1:${port}`,
    port,
    tunnels,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}
