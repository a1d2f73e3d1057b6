import { BlockList, isIP } from 'node:net';

/**
 * Which peers may state the client's address in `X-Forwarded-For` (TRUSTED_PROXIES). Without
 * this, anyone could name any address and dodge per-address limits; with it, the address of a
 * request is the nearest hop, counted from the socket's peer, that is not a trusted proxy.
 */
export class TrustedProxies {
  private readonly list = new BlockList();
  private readonly empty: boolean;

  /** `spec`: comma-separated addresses and CIDR ranges, IPv4 or IPv6. Throws on a bad entry. */
  constructor(spec: string) {
    const entries = spec.split(',').map((s) => s.trim()).filter(Boolean);
    for (const entry of entries) {
      const [addr = '', prefix] = entry.split('/');
      const type = isIP(addr);
      if (type === 0) throw new Error(`"${entry}" is not an IP address or CIDR range`);
      const family = type === 4 ? 'ipv4' : 'ipv6';
      if (prefix === undefined) {
        this.list.addAddress(addr, family);
        continue;
      }
      const bits = Number(prefix);
      if (!/^\d+$/.test(prefix) || bits > (type === 4 ? 32 : 128)) throw new Error(`"${entry}" has a bad prefix length`);
      this.list.addSubnet(addr, bits, family);
    }
    this.empty = entries.length === 0;
  }

  /** True when `address` (as a socket reports it) is a configured proxy. */
  trusts(address: string | undefined): boolean {
    if (this.empty || address === undefined) return false;
    const a = normalizeAddress(address);
    const type = isIP(a);
    return type !== 0 && this.list.check(a, type === 4 ? 'ipv4' : 'ipv6');
  }

  /**
   * The client's address: the socket peer, unless that peer is a trusted proxy; then the
   * `X-Forwarded-For` entries are read right to left and the first one that is not a trusted
   * proxy (or the leftmost, if all are) is the client. Malformed entries end the walk at the hop
   * that sent them.
   */
  clientAddress(peer: string | undefined, forwardedFor: string | string[] | undefined): string {
    let current = normalizeAddress(peer ?? 'unknown');
    if (!this.trusts(current) || forwardedFor === undefined) return current;
    const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',').map((s) => normalizeAddress(s.trim()));
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i] ?? '';
      if (isIP(hop) === 0) return current;
      current = hop;
      if (!this.trusts(hop)) return hop;
    }
    return current;
  }

  /** Fastify's `trustProxy` callback: the same rule for HTTP requests (`req.ip`). */
  readonly fastifyTrust = (address: string): boolean => this.trusts(address);
}

/** `::ffff:1.2.3.4` (an IPv4 peer on a dual-stack socket) is the IPv4 address it wraps. */
export function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}
