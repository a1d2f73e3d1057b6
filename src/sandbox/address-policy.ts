import { BlockList, isIP } from 'node:net';

/**
 * Which addresses a handler's FETCH may connect to (protocol.md §8; design.md "programmable
 * chat"). Refused: every address that is not on the public internet — loopback, private,
 * carrier-grade NAT, link-local (169.254.0.0/16 holds cloud metadata services, fe80::/10),
 * unique-local (fc00::/7), unspecified, multicast, reserved and documentation ranges — and IPv6
 * forms that embed such an IPv4 address (IPv4-mapped, NAT64, 6to4). An allow-list of addresses
 * and CIDR ranges (HANDLER_FETCH_ALLOW) lets chosen ones through anyway, e.g. an internal API.
 */
export class AddressPolicy {
  private readonly allowed = new BlockList();

  /** `allow`: comma-separated IP addresses or CIDR ranges (validated by the config loader). */
  constructor(allow: string) {
    for (const entry of allow.split(',').map((e) => e.trim()).filter(Boolean)) {
      const [addr = '', prefix] = entry.split('/');
      const family = isIP(addr) === 6 ? 'ipv6' : 'ipv4';
      if (prefix === undefined) this.allowed.addAddress(addr, family);
      else this.allowed.addSubnet(addr, Number(prefix), family);
    }
  }

  /** True when a connection to this IP address (v4 or v6 literal, no brackets) may be made. */
  allows(address: string): boolean {
    const family = isIP(address);
    if (family === 0) return false;
    if (this.allowed.check(address, family === 6 ? 'ipv6' : 'ipv4')) return true;
    if (family === 4) return !FORBIDDEN_V4.check(address, 'ipv4');
    const words = ipv6Words(address);
    if (!words) return false;
    const embedded = embeddedIpv4(words);
    if (embedded !== undefined) return this.allows(embedded);
    return !FORBIDDEN_V6.check(address, 'ipv6');
  }
}

const FORBIDDEN_V4 = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], // "this network", unspecified
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const) FORBIDDEN_V4.addSubnet(net, bits, 'ipv4');

const FORBIDDEN_V6 = new BlockList();
for (const [net, bits] of [
  ['::', 96], // unspecified, loopback, IPv4-compatible
  ['100::', 64], // discard
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique-local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
] as const) FORBIDDEN_V6.addSubnet(net, bits, 'ipv6');

/** The eight 16-bit words of an IPv6 literal (a trailing dotted IPv4 part allowed), or undefined. */
export function ipv6Words(address: string): number[] | undefined {
  let text = address.toLowerCase().replace(/%.*$/, '');
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a = 0, b = 0, c = 0, d = 0] = dotted.slice(1).map(Number);
    if ([a, b, c, d].some((n) => n > 255)) return undefined;
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((w) => (/^[0-9a-f]{1,4}$/.test(w) ? parseInt(w, 16) : NaN)));
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = parse(halves[0] ?? '');
  const rest = halves.length === 2 ? parse(halves[1] ?? '') : [];
  const gap = 8 - head.length - rest.length;
  if (halves.length === 2 ? gap < 1 : gap !== 0) return undefined;
  const words = [...head, ...new Array<number>(halves.length === 2 ? gap : 0).fill(0), ...rest];
  return words.some((w) => Number.isNaN(w)) ? undefined : words;
}

/** The IPv4 address an IPv6 one stands for (IPv4-mapped, NAT64 64:ff9b::/96, 6to4 2002::/16), if any. */
function embeddedIpv4(w: readonly number[]): string | undefined {
  const v4 = (hi: number, lo: number): string => `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  const [w0 = 0, w1 = 0, w2 = 0, w3 = 0, w4 = 0, w5 = 0, w6 = 0, w7 = 0] = w;
  if (w0 === 0 && w1 === 0 && w2 === 0 && w3 === 0 && w4 === 0 && w5 === 0xffff) return v4(w6, w7);
  if (w0 === 0x64 && w1 === 0xff9b && w2 === 0 && w3 === 0 && w4 === 0 && w5 === 0) return v4(w6, w7);
  if (w0 === 0x2002) return v4(w1, w2);
  return undefined;
}
