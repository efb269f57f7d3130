/** IPv4 CIDR containment for IngressBackend IPRange sources (IPv6 ranges never match IPv4 peers). */
import { isIPv4 } from 'node:net';

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((n, part) => ((n << 8) | Number(part)) >>> 0, 0);
}

/** Whether `ip` lies inside `cidr` (e.g. `10.0.0.0/8`). False for malformed input or mixed families. */
export function cidrContains(cidr: string, ip: string): boolean {
  const [base, bitsText] = cidr.split('/');
  if (!base || bitsText === undefined || !isIPv4(base) || !isIPv4(ip)) return false;
  const bits = Number(bitsText);
  if (!Number.isInteger(bits) || bits < 0 || bits > 32) return false;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return ((ipv4ToInt(base) & mask) >>> 0) === ((ipv4ToInt(ip) & mask) >>> 0);
}
