/**
 * Istio mTLS on the simulated sockets: a proxy presents its workload certificate (SAN
 * `spiffe://cluster.local/ns/<ns>/sa/<sa>`) and verifies the peer's against istiod's root. The inbound listener
 * tells TLS from plaintext by the first byte (Envoy's TLS inspector), and the peer's identity and the XFCC hash come
 * from the peer certificate.
 */
import { createHash } from 'node:crypto';
import type net from 'node:net';
import type tls from 'node:tls';
import type { WorkloadCertificate } from '../ca.ts';

/** The first bytes of a connection; resolves with them put back, or undefined if it closed first. */
export function peekFirstByte(socket: net.Socket): Promise<number | undefined> {
  return new Promise((resolve) => {
    const onData = (chunk: Buffer): void => {
      cleanup();
      socket.pause();
      socket.unshift(chunk);
      resolve(chunk[0]);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(undefined);
    };
    const cleanup = (): void => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('error', onEnd);
      socket.off('close', onEnd);
    };
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('error', onEnd);
    socket.once('close', onEnd);
  });
}

/** A TLS handshake record starts with content type 22. */
export const tlsHandshakeByte = 0x16;

/** The server side's TLS settings: its certificate, client certificates required and verified against the root. */
export function serverSecureContext(cert: WorkloadCertificate): tls.TlsOptions {
  return { key: cert.keyPem, cert: cert.certPem, ca: [cert.rootPem], requestCert: true, rejectUnauthorized: true, ALPNProtocols: ['istio-http/1.1', 'istio', 'http/1.1'] };
}

/** The client side's TLS settings: its certificate, the server's verified against the root and required to be a SPIFFE identity. */
export function clientTlsOptions(cert: WorkloadCertificate): tls.ConnectionOptions {
  return {
    key: cert.keyPem,
    cert: cert.certPem,
    ca: [cert.rootPem],
    rejectUnauthorized: true,
    ALPNProtocols: ['istio-http/1.1', 'istio', 'http/1.1'],
    // Istio verifies the server's SAN against the destination's identities, not a hostname.
    checkServerIdentity: (_host, peer) => (spiffeUriOf(peer) ? undefined : new Error('the server certificate carries no SPIFFE identity')),
  };
}

/** The `spiffe://` URI SAN of a certificate. */
export function spiffeUriOf(cert: tls.PeerCertificate | undefined): string | undefined {
  return /URI:(spiffe:\/\/[^,\s]+)/.exec(cert?.subjectaltname ?? '')?.[1];
}

/** XFCC's `Hash`: the hex SHA-256 of the peer certificate (DER). */
export function certificateHash(cert: tls.PeerCertificate): string {
  return createHash('sha256').update(cert.raw).digest('hex');
}
