/**
 * A gzipped tar (POSIX ustar) of a directory, written without external tools: the in-cluster image has no `tar`, and
 * Sonobuoy's plugin contract wants the results as one file (its own plugin helper tars the results directory into
 * `results.tar.gz` and names it in the `done` file).
 */
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { gzipSync } from 'node:zlib';

const block = 512;

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

/** The 512-byte ustar header of one entry; names over 100 bytes go into the 155-byte prefix field. */
function header(name: string, size: number, mode: number, mtime: number, type: '0' | '5'): Buffer {
  const h = Buffer.alloc(block);
  let prefix = '';
  let base = name;
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf('/', name.length - 1 - (type === '5' ? 1 : 0));
    prefix = name.slice(0, cut);
    base = name.slice(cut + 1);
    if (Buffer.byteLength(base) > 100 || Buffer.byteLength(prefix) > 155) throw new Error(`path too long for a tar entry: ${name}`);
  }
  h.write(base, 0, 100, 'utf8');
  h.write(octal(mode, 8), 100, 8, 'ascii');
  h.write(octal(0, 8), 108, 8, 'ascii'); // uid
  h.write(octal(0, 8), 116, 8, 'ascii'); // gid
  h.write(octal(size, 12), 124, 12, 'ascii');
  h.write(octal(Math.floor(mtime / 1000), 12), 136, 12, 'ascii');
  h.write('        ', 148, 8, 'ascii'); // checksum placeholder: spaces while summing
  h.write(type, 156, 1, 'ascii');
  h.write('ustar\0', 257, 6, 'ascii');
  h.write('00', 263, 2, 'ascii');
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  return h;
}

function entries(dir: string, skip: (rel: string) => boolean): { rel: string; path: string; dir: boolean }[] {
  const out: { rel: string; path: string; dir: boolean }[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name);
      const rel = relative(dir, path).split(sep).join('/');
      if (skip(rel)) continue;
      const st = statSync(path);
      if (st.isDirectory()) {
        out.push({ rel: `${rel}/`, path, dir: true });
        walk(path);
      } else if (st.isFile()) {
        out.push({ rel, path, dir: false });
      }
    }
  };
  walk(dir);
  return out;
}

/** Writes `out` (.tar.gz) with every file and folder under `dir` (paths relative to it), except those `skip` names. */
export function writeTarGz(dir: string, out: string, skip: (rel: string) => boolean = () => false): string[] {
  const parts: Buffer[] = [];
  const list = entries(dir, skip);
  for (const e of list) {
    const st = statSync(e.path);
    if (e.dir) {
      parts.push(header(e.rel, 0, 0o755, st.mtimeMs, '5'));
    } else {
      const body = readFileSync(e.path);
      parts.push(header(e.rel, body.length, 0o644, st.mtimeMs, '0'), body);
      const pad = (block - (body.length % block)) % block;
      if (pad) parts.push(Buffer.alloc(pad));
    }
  }
  parts.push(Buffer.alloc(block * 2)); // end of archive
  writeFileSync(out, gzipSync(Buffer.concat(parts)));
  return list.map((e) => e.rel);
}
