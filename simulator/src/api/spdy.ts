/**
 * SPDY/3.1 framing, enough for the streams kubectl's port-forward opens (client-go over moby/spdystream): the server
 * side of a session over any Duplex (an upgraded socket, or a WebSocket carrying SPDY bytes, as kubectl 1.31+ tunnels
 * it). SYN_STREAM opens a stream (its header block zlib-compressed with SPDY/3's dictionary, one context per direction
 * for the whole session), SYN_REPLY accepts it, DATA carries bytes with FIN half-closing, RST_STREAM aborts, PING is
 * echoed, GOAWAY ends. Like spdystream, no flow control: SETTINGS and WINDOW_UPDATE are ignored.
 */
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import zlib from 'node:zlib';

/** The SPDY/3 header compression dictionary (draft-mbelshe-httpbis-spdy-00 §2.6.10.1; golang.org/x/net/spdy). */
const headerDictionary = Buffer.from([
  'AAAAB29wdGlvbnMAAAAEaGVhZAAAAARwb3N0AAAAA3B1dAAAAAZkZWxldGUAAAAFdHJhY2UAAAAGYWNjZXB0AAAADmFjY2VwdC1jaGFyc2V0AA',
  'AAD2FjY2VwdC1lbmNvZGluZwAAAA9hY2NlcHQtbGFuZ3VhZ2UAAAANYWNjZXB0LXJhbmdlcwAAAANhZ2UAAAAFYWxsb3cAAAANYXV0aG9yaXph',
  'dGlvbgAAAA1jYWNoZS1jb250cm9sAAAACmNvbm5lY3Rpb24AAAAMY29udGVudC1iYXNlAAAAEGNvbnRlbnQtZW5jb2RpbmcAAAAQY29udGVudC',
  '1sYW5ndWFnZQAAAA5jb250ZW50LWxlbmd0aAAAABBjb250ZW50LWxvY2F0aW9uAAAAC2NvbnRlbnQtbWQ1AAAADWNvbnRlbnQtcmFuZ2UAAAAM',
  'Y29udGVudC10eXBlAAAABGRhdGUAAAAEZXRhZwAAAAZleHBlY3QAAAAHZXhwaXJlcwAAAARmcm9tAAAABGhvc3QAAAAIaWYtbWF0Y2gAAAARaW',
  'YtbW9kaWZpZWQtc2luY2UAAAANaWYtbm9uZS1tYXRjaAAAAAhpZi1yYW5nZQAAABNpZi11bm1vZGlmaWVkLXNpbmNlAAAADWxhc3QtbW9kaWZp',
  'ZWQAAAAIbG9jYXRpb24AAAAMbWF4LWZvcndhcmRzAAAABnByYWdtYQAAABJwcm94eS1hdXRoZW50aWNhdGUAAAATcHJveHktYXV0aG9yaXphdG',
  'lvbgAAAAVyYW5nZQAAAAdyZWZlcmVyAAAAC3JldHJ5LWFmdGVyAAAABnNlcnZlcgAAAAJ0ZQAAAAd0cmFpbGVyAAAAEXRyYW5zZmVyLWVuY29k',
  'aW5nAAAAB3VwZ3JhZGUAAAAKdXNlci1hZ2VudAAAAAR2YXJ5AAAAA3ZpYQAAAAd3YXJuaW5nAAAAEHd3dy1hdXRoZW50aWNhdGUAAAAGbWV0aG',
  '9kAAAAA2dldAAAAAZzdGF0dXMAAAAGMjAwIE9LAAAAB3ZlcnNpb24AAAAISFRUUC8xLjEAAAADdXJsAAAABnB1YmxpYwAAAApzZXQtY29va2ll',
  'AAAACmtlZXAtYWxpdmUAAAAGb3JpZ2luMTAwMTAxMjAxMjAyMjA1MjA2MzAwMzAyMzAzMzA0MzA1MzA2MzA3NDAyNDA1NDA2NDA3NDA4NDA5ND',
  'EwNDExNDEyNDEzNDE0NDE1NDE2NDE3NTAyNTA0NTA1MjAzIE5vbi1BdXRob3JpdGF0aXZlIEluZm9ybWF0aW9uMjA0IE5vIENvbnRlbnQzMDEg',
  'TW92ZWQgUGVybWFuZW50bHk0MDAgQmFkIFJlcXVlc3Q0MDEgVW5hdXRob3JpemVkNDAzIEZvcmJpZGRlbjQwNCBOb3QgRm91bmQ1MDAgSW50ZX',
  'JuYWwgU2VydmVyIEVycm9yNTAxIE5vdCBJbXBsZW1lbnRlZDUwMyBTZXJ2aWNlIFVuYXZhaWxhYmxlSmFuIEZlYiBNYXIgQXByIE1heSBKdW4g',
  'SnVsIEF1ZyBTZXB0IE9jdCBOb3YgRGVjIDAwOjAwOjAwIE1vbiwgVHVlLCBXZWQsIFRodSwgRnJpLCBTYXQsIFN1biwgR01UY2h1bmtlZCx0ZX',
  'h0L2h0bWwsaW1hZ2UvcG5nLGltYWdlL2pwZyxpbWFnZS9naWYsYXBwbGljYXRpb24veG1sLGFwcGxpY2F0aW9uL3hodG1sK3htbCx0ZXh0L3Bs',
  'YWluLHRleHQvamF2YXNjcmlwdCxwdWJsaWNwcml2YXRlbWF4LWFnZT1nemlwLGRlZmxhdGUsc2RjaGNoYXJzZXQ9dXRmLThjaGFyc2V0PWlzby',
  '04ODU5LTEsdXRmLSwqLGVucT0wLg==',
].join(''), 'base64');

const frameTypes = { synStream: 1, synReply: 2, rstStream: 3, settings: 4, ping: 6, goAway: 7, headers: 8, windowUpdate: 9 } as const;
const flagFin = 0x01;
const maxDataFrame = 32 * 1024;

/** A zlib context shared by the session's header blocks in one direction, each block a sync-flushed chunk. */
class HeaderCodec {
  private readonly stream: zlib.Inflate | zlib.Deflate;
  private pending: Buffer[] = [];
  private queue: Promise<unknown> = Promise.resolve();

  constructor(kind: 'inflate' | 'deflate') {
    this.stream = kind === 'inflate' ? zlib.createInflate({ dictionary: headerDictionary }) : zlib.createDeflate({ dictionary: headerDictionary });
    this.stream.on('data', (chunk: Buffer) => this.pending.push(chunk));
    this.stream.on('error', () => undefined);
  }

  /** Runs one block through the context; blocks are processed in call order. */
  run(input: Buffer): Promise<Buffer> {
    const job = this.queue.then(() => new Promise<Buffer>((resolve, reject) => {
      this.stream.write(input, (err) => {
        if (err) reject(err);
      });
      this.stream.flush(zlib.constants.Z_SYNC_FLUSH, () => {
        const out = Buffer.concat(this.pending);
        this.pending = [];
        resolve(out);
      });
    }));
    this.queue = job.catch(() => undefined);
    return job;
  }

  close(): void {
    this.stream.destroy();
  }
}

/** One SPDY stream: its request headers (lower-case names), incoming bytes as events, outgoing through write/end. */
export class SpdyStream extends EventEmitter {
  /** The peer half-closed (FIN received). */
  remoteEnded = false;
  /** We half-closed (FIN sent). */
  localEnded = false;
  reset = false;

  constructor(private readonly session: SpdySession, readonly id: number, readonly headers: Record<string, string>) {
    super();
  }

  write(data: Buffer): void {
    if (this.localEnded || this.reset) return;
    for (let offset = 0; offset < data.length; offset += maxDataFrame) this.session.sendData(this.id, data.subarray(offset, offset + maxDataFrame), false);
  }

  /** Half-closes our side (an empty DATA frame with FIN). */
  end(): void {
    if (this.localEnded || this.reset) return;
    this.localEnded = true;
    this.session.sendData(this.id, Buffer.alloc(0), true);
  }

  /** Aborts the stream (RST_STREAM, status CANCEL). */
  abort(): void {
    if (this.reset) return;
    this.reset = true;
    this.session.sendRst(this.id, 5);
  }
}

/**
 * The server side of a SPDY/3.1 session. Emits `stream` (SpdyStream) for every SYN_STREAM after answering it with
 * SYN_REPLY, and `close` once the transport is gone.
 */
export class SpdySession extends EventEmitter {
  private buffer: Buffer = Buffer.alloc(0);
  private readonly inflate = new HeaderCodec('inflate');
  private readonly deflate = new HeaderCodec('deflate');
  private readonly streams = new Map<number, SpdyStream>();
  private frames: Promise<void> = Promise.resolve();
  private closed = false;
  private lastStreamId = 0;

  constructor(private readonly socket: Duplex) {
    super();
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('close', () => this.shutdown());
    socket.on('end', () => this.shutdown());
    socket.on('error', () => this.shutdown());
  }

  /** Ends the session: GOAWAY, then the transport. */
  close(): void {
    if (this.closed) return;
    const goAway = Buffer.alloc(8);
    goAway.writeUInt32BE(this.lastStreamId & 0x7fffffff, 0);
    this.sendControl(frameTypes.goAway, 0, goAway);
    this.socket.end();
    this.shutdown();
  }

  private shutdown(): void {
    if (this.closed) return;
    this.closed = true;
    for (const stream of this.streams.values()) {
      stream.reset = true;
      stream.emit('close');
    }
    this.streams.clear();
    this.inflate.close();
    this.deflate.close();
    this.emit('close');
  }

  private write(frame: Buffer): void {
    if (!this.closed && !this.socket.destroyed) this.socket.write(frame);
  }

  private sendControl(type: number, flags: number, payload: Buffer): void {
    const header = Buffer.alloc(8);
    header.writeUInt16BE(0x8000 | 3, 0);
    header.writeUInt16BE(type, 2);
    header.writeUInt32BE(((flags & 0xff) << 24) | payload.length, 4);
    this.write(Buffer.concat([header, payload]));
  }

  sendData(streamId: number, data: Buffer, fin: boolean): void {
    const header = Buffer.alloc(8);
    header.writeUInt32BE(streamId & 0x7fffffff, 0);
    header.writeUInt32BE(((fin ? flagFin : 0) << 24) | data.length, 4);
    this.write(Buffer.concat([header, data]));
  }

  sendRst(streamId: number, status: number): void {
    const payload = Buffer.alloc(8);
    payload.writeUInt32BE(streamId & 0x7fffffff, 0);
    payload.writeUInt32BE(status, 4);
    this.sendControl(frameTypes.rstStream, 0, payload);
  }

  private receive(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    while (this.buffer.length >= 8) {
      const length = this.buffer.readUInt32BE(4) & 0xffffff;
      if (this.buffer.length < 8 + length) return;
      const frame = this.buffer.subarray(0, 8 + length);
      this.buffer = this.buffer.subarray(8 + length);
      // Frames are handled in order: header blocks share one decompression context.
      this.frames = this.frames.then(() => this.handle(frame)).catch(() => this.close());
    }
  }

  private async handle(frame: Buffer): Promise<void> {
    const flags = frame[4]!;
    const payload = frame.subarray(8);
    if ((frame[0]! & 0x80) === 0) {
      const stream = this.streams.get(frame.readUInt32BE(0) & 0x7fffffff);
      if (!stream) return;
      if (payload.length > 0) stream.emit('data', Buffer.from(payload));
      if (flags & flagFin) {
        stream.remoteEnded = true;
        stream.emit('end');
      }
      return;
    }
    const type = frame.readUInt16BE(2);
    switch (type) {
      case frameTypes.synStream: {
        const id = payload.readUInt32BE(0) & 0x7fffffff;
        const block = await this.inflate.run(payload.subarray(10));
        const stream = new SpdyStream(this, id, decodeHeaderBlock(block));
        this.lastStreamId = Math.max(this.lastStreamId, id);
        this.streams.set(id, stream);
        stream.on('close', () => this.streams.delete(id));
        // Accept at once, as the kubelet's port-forward handler does; an empty header block.
        const reply = await this.deflate.run(Buffer.alloc(4));
        const idBytes = Buffer.alloc(4);
        idBytes.writeUInt32BE(id, 0);
        this.sendControl(frameTypes.synReply, 0, Buffer.concat([idBytes, reply]));
        this.emit('stream', stream);
        if (flags & flagFin) {
          stream.remoteEnded = true;
          stream.emit('end');
        }
        return;
      }
      case frameTypes.rstStream: {
        const stream = this.streams.get(payload.readUInt32BE(0) & 0x7fffffff);
        if (stream) {
          stream.reset = true;
          stream.emit('reset');
          stream.emit('close');
        }
        return;
      }
      case frameTypes.ping:
        this.sendControl(frameTypes.ping, 0, Buffer.from(payload));
        return;
      case frameTypes.goAway:
        this.close();
        return;
      case frameTypes.headers: {
        // Header blocks must still go through the shared context to keep it in step.
        await this.inflate.run(payload.subarray(4));
        return;
      }
      default:
        return; // SETTINGS, WINDOW_UPDATE: no flow control, as spdystream.
    }
  }
}

/** A SPDY/3 name/value block: a count, then length-prefixed names and values (multiple values NUL-separated). */
export function decodeHeaderBlock(block: Buffer): Record<string, string> {
  const headers: Record<string, string> = {};
  if (block.length < 4) return headers;
  const count = block.readUInt32BE(0);
  let pos = 4;
  for (let i = 0; i < count && pos + 4 <= block.length; i++) {
    const nameLength = block.readUInt32BE(pos);
    const name = block.subarray(pos + 4, pos + 4 + nameLength).toString('utf8').toLowerCase();
    pos += 4 + nameLength;
    const valueLength = block.readUInt32BE(pos);
    headers[name] = block.subarray(pos + 4, pos + 4 + valueLength).toString('utf8');
    pos += 4 + valueLength;
  }
  return headers;
}

/** Encodes a name/value block (for clients and tests; the server only sends empty ones). */
export function encodeHeaderBlock(headers: Record<string, string>): Buffer {
  const parts: Buffer[] = [];
  const count = Buffer.alloc(4);
  count.writeUInt32BE(Object.keys(headers).length, 0);
  parts.push(count);
  for (const [name, value] of Object.entries(headers)) {
    for (const s of [name.toLowerCase(), value]) {
      const bytes = Buffer.from(s, 'utf8');
      const length = Buffer.alloc(4);
      length.writeUInt32BE(bytes.length, 0);
      parts.push(length, bytes);
    }
  }
  return Buffer.concat(parts);
}

export { headerDictionary };
