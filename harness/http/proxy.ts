/**
 * Which proxy a request goes through, by the rules kubectl (Go's `http.ProxyFromEnvironment`) applies, so the API
 * server, a Prometheus URL and Log Analytics are reached the same way: `HTTPS_PROXY` for https URLs, `HTTP_PROXY`
 * for http ones (upper case first, then lower case), except for hosts `NO_PROXY` lists (`*`, host names and their
 * subdomains, `.domain`, IPs, CIDRs, optionally with `:port`) and except loopback (`localhost`, 127.0.0.0/8, ::1),
 * which Go never proxies. A kubeconfig's `proxy-url` wins over the environment for its cluster.
 */
import net from 'node:net';

/** The first non-empty of the variables. */
function envAny(env: NodeJS.ProcessEnv, ...names: string[]): string | undefined {
  for (const n of names) {
    const v = env[n];
    if (v !== undefined && v.trim() !== '') return v.trim();
  }
  return undefined;
}

/** A proxy setting as a URL: `proxy:3128` means `http://proxy:3128`, as in Go. */
export function normaliseProxy(value: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
}

function ipv4ToNumber(ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

function inCidr(ip: string, cidr: string): boolean {
  const [base, bitsText] = cidr.split('/');
  const bits = Number(bitsText);
  if (!base || !Number.isInteger(bits)) return false;
  if (net.isIPv4(ip) && net.isIPv4(base)) {
    if (bits === 0) return true;
    const mask = bits >= 32 ? 0xffffffff : (0xffffffff << (32 - bits)) >>> 0;
    return ((ipv4ToNumber(ip) & mask) >>> 0) === ((ipv4ToNumber(base) & mask) >>> 0);
  }
  return false;
}

function isLoopback(host: string): boolean {
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (net.isIPv4(host)) return host.startsWith('127.');
  return host === '::1' || host === '0:0:0:0:0:0:0:1';
}

/** Whether `NO_PROXY` (or loopback) exempts host:port from the proxy. */
export function bypassesProxy(host: string, port: string, noProxy: string | undefined): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (isLoopback(h)) return true;
  for (const raw of (noProxy ?? '').split(/[,\s]+/).map((e) => e.trim().toLowerCase()).filter(Boolean)) {
    if (raw === '*') return true;
    if (raw.includes('/')) {
      if (inCidr(h, raw)) return true;
      continue;
    }
    let entry = raw;
    let entryPort: string | undefined;
    const m = /^(.*):(\d+)$/.exec(raw);
    if (m && !net.isIPv6(raw)) {
      entry = m[1] ?? '';
      entryPort = m[2];
    }
    if (entryPort !== undefined && entryPort !== port) continue;
    entry = entry.replace(/^\[|\]$/g, '');
    if (net.isIP(entry)) {
      if (entry === h) return true;
      continue;
    }
    const domain = entry.replace(/^\*?\./, '');
    if (h === domain || h.endsWith(`.${domain}`)) return true;
  }
  return false;
}

/** The proxy (a URL) a request to `url` goes through from this environment, or undefined for a direct connection. */
export function proxyForUrl(url: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  const proxy = u.protocol === 'https:' ? envAny(env, 'HTTPS_PROXY', 'https_proxy') : u.protocol === 'http:' ? envAny(env, 'HTTP_PROXY', 'http_proxy') : undefined;
  if (!proxy) return undefined;
  const port = u.port || (u.protocol === 'https:' ? '443' : '80');
  if (bypassesProxy(u.hostname, port, envAny(env, 'NO_PROXY', 'no_proxy'))) return undefined;
  return normaliseProxy(proxy);
}
