/** Why an upgrade was refused. */
export type Refusal = 'total' | 'per_address' | 'shutting_down';

/**
 * Counts open WebSocket connections in total and per client address, and says whether one more
 * may open. A slot is taken when the upgrade is accepted and given back when the TCP socket
 * closes, so handshakes in progress count too. 0 means no cap.
 */
export class ConnectionGate {
  private readonly perAddress = new Map<string, number>();
  private total = 0;

  constructor(private readonly limits: { readonly maxTotal: number; readonly maxPerAddress: number }) {}

  /** Takes a slot for `address`, or says which cap is full (and takes nothing). */
  take(address: string): Refusal | undefined {
    if (this.limits.maxTotal > 0 && this.total >= this.limits.maxTotal) return 'total';
    const n = this.perAddress.get(address) ?? 0;
    if (this.limits.maxPerAddress > 0 && n >= this.limits.maxPerAddress) return 'per_address';
    this.perAddress.set(address, n + 1);
    this.total += 1;
    return undefined;
  }

  /** Gives back a slot taken by `take`. */
  release(address: string): void {
    const n = this.perAddress.get(address) ?? 0;
    if (n <= 1) this.perAddress.delete(address);
    else this.perAddress.set(address, n - 1);
    this.total = Math.max(0, this.total - 1);
  }

  get open(): number {
    return this.total;
  }
}
