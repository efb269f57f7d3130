/**
 * Closing a proxy's listeners as Envoy does when it exits: every connection ends at once. A sidecar's inbound listener
 * is a plain TCP server that hands each socket to an HTTP or TLS server (`emit('connection')`) after a look at it
 * (RBAC, the first byte); that server never listens, so it tracks none of them, and the listener's close() waits for
 * every one. A kept-alive connection (the ingress keeps its upstream connections 60 s) then held a stopping sidecar,
 * and so a deleted pod, that long (found on the upstream control plane, simulator/README.md).
 */
import http from 'node:http';
import type net from 'node:net';

const handedOver = new WeakMap<net.Server, Set<net.Socket>>();

/** Records a socket `listener` accepted and hands on, so closeAll(listener) ends it. */
export function trackConnection(listener: net.Server, socket: net.Socket): void {
  let sockets = handedOver.get(listener);
  if (!sockets) handedOver.set(listener, (sockets = new Set()));
  sockets.add(socket);
  socket.once('close', () => sockets.delete(socket));
}

/** Closes the servers and ends their connections, tracked or their own; resolves once every server has closed. */
export function closeAll(servers: net.Server[]): Promise<void> {
  return Promise.all(servers.map((s) => new Promise<void>((resolve) => {
    s.close(() => resolve());
    if (s instanceof http.Server) s.closeAllConnections();
    for (const socket of handedOver.get(s) ?? []) socket.destroy();
  }))).then(() => undefined);
}
