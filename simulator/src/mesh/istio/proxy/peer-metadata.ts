/**
 * Istio's metadata exchange for HTTP: a client proxy sends its node metadata in `x-envoy-peer-metadata` (and its
 * node id in `x-envoy-peer-metadata-id`); the server proxy reads them for the `source_*` metric labels and removes
 * them before the request reaches the app. Upstream encodes a protobuf Struct in base64; the simulated proxies
 * exchange base64 JSON of the same fields, since only they read it (README).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { WorkloadInfo } from '../view.ts';

export const peerMetadataHeader = 'x-envoy-peer-metadata';
export const peerIdHeader = 'x-envoy-peer-metadata-id';

export interface PeerMetadata {
  WORKLOAD_NAME: string;
  NAMESPACE: string;
  CANONICAL_SERVICE: string;
  CANONICAL_REVISION: string;
  APP: string;
  VERSION: string;
  CLUSTER_ID: string;
  SERVICE_ACCOUNT: string;
}

/** The headers a proxy of `kind` adds to the requests it sends upstream. */
export function peerHeaders(kind: 'sidecar' | 'router', ip: string, w: WorkloadInfo): Record<string, string> {
  const md: PeerMetadata = {
    WORKLOAD_NAME: w.workload, NAMESPACE: w.namespace, CANONICAL_SERVICE: w.canonicalService, CANONICAL_REVISION: w.canonicalRevision,
    APP: w.app, VERSION: w.version, CLUSTER_ID: w.cluster, SERVICE_ACCOUNT: w.serviceAccount,
  };
  return {
    [peerMetadataHeader]: Buffer.from(JSON.stringify(md)).toString('base64'),
    [peerIdHeader]: `${kind}~${ip}~${w.pod}.${w.namespace}~${w.namespace}.svc.cluster.local`,
  };
}

/** The peer's metadata and proxy kind from a request's headers (undefined when absent or unreadable). */
export function readPeer(headers: IncomingHttpHeaders): { metadata: PeerMetadata; kind: string } | undefined {
  const raw = headers[peerMetadataHeader];
  const id = headers[peerIdHeader];
  if (typeof raw !== 'string' || typeof id !== 'string') return undefined;
  try {
    const metadata = JSON.parse(Buffer.from(raw, 'base64').toString('utf8')) as PeerMetadata;
    return { metadata, kind: id.split('~')[0] ?? '' };
  } catch {
    return undefined;
  }
}
