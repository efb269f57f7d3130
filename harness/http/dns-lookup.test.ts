/** Host names resolve through the given DNS server first (an AGC frontend's FQDN), anything else through the system. */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import type { LookupAddress } from 'node:dns';
import dnsPacket from 'dns-packet';
import { lookupVia } from './dns-lookup.ts';

/** A DNS server on loopback that knows one name. */
function startServer(name: string, address: string): Promise<{ server: string; close(): void }> {
  const socket = dgram.createSocket('udp4');
  socket.on('message', (msg, rinfo) => {
    const q = dnsPacket.decode(msg);
    const question = q.questions?.[0];
    const known = question?.name === name;
    socket.send(dnsPacket.encode({
      id: q.id ?? 0, type: 'response', flags: known ? 0 : 3, questions: q.questions ?? [],
      answers: known && question.type === 'A' ? [{ type: 'A', name, ttl: 5, class: 'IN', data: address }] : [],
    }), rinfo.port, rinfo.address);
  });
  return new Promise((resolve) => socket.bind(0, '127.0.0.1', () => resolve({ server: `127.0.0.1:${socket.address().port}`, close: () => socket.close() })));
}

function lookup(fn: ReturnType<typeof lookupVia>, host: string, all = false): Promise<string | LookupAddress[]> {
  return new Promise((resolve, reject) => {
    fn(host, { all }, (err, address) => (err ? reject(err) : resolve(address)));
  });
}

describe('lookupVia', () => {
  let dns: Awaited<ReturnType<typeof startServer>>;
  before(async () => { dns = await startServer('abc.fz12.alb.azure.com', '127.0.0.42'); });
  after(() => dns.close());

  it('answers a name the server knows, one address or all', async () => {
    const fn = lookupVia(dns.server);
    assert.equal(await lookup(fn, 'abc.fz12.alb.azure.com'), '127.0.0.42');
    assert.deepEqual(await lookup(fn, 'abc.fz12.alb.azure.com', true), [{ address: '127.0.0.42', family: 4 }]);
  });

  it('leaves IP addresses and names the server does not know to the system resolver', async () => {
    const fn = lookupVia(dns.server);
    assert.equal(await lookup(fn, '127.0.0.7'), '127.0.0.7');
    assert.match(await lookup(fn, 'localhost') as string, /^(127\.0\.0\.1|::1)$/);
    await assert.rejects(lookup(fn, 'nothing.invalid'), (e: NodeJS.ErrnoException) => e.code === 'ENOTFOUND');
  });
});
