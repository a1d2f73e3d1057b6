import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on a loopback port in front of a server, whose connections a test can cut: `reset`
 * closes both sides at once (both ends see the connection end), `blackhole` stops forwarding
 * without closing anything (both ends keep a connection that carries nothing, as after a network
 * failure no one reports).
 */
export class TcpProxy {
  private readonly pairs = new Set<{ client: Socket; upstream: Socket; dead: boolean }>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number): Promise<TcpProxy> {
    const server = createServer((client) => proxy.accept(client, targetPort));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const proxy = new TcpProxy(server, typeof address === 'object' && address !== null ? address.port : 0);
    return proxy;
  }

  private accept(client: Socket, targetPort: number): void {
    const upstream = connect(targetPort, '127.0.0.1');
    const pair = { client, upstream, dead: false };
    this.pairs.add(pair);
    const forward = (from: Socket, to: Socket) => from.on('data', (chunk: Buffer) => {
      if (!pair.dead) to.write(chunk);
    });
    forward(client, upstream);
    forward(upstream, client);
    const end = (): void => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  }

  /** Open connections now. */
  get connections(): number {
    return this.pairs.size;
  }

  /** Cuts every open connection: `reset` ends them on both sides, `blackhole` silences them. */
  cut(mode: 'reset' | 'blackhole'): number {
    const n = this.pairs.size;
    for (const pair of [...this.pairs]) {
      if (mode === 'blackhole') {
        pair.dead = true;
        continue;
      }
      this.pairs.delete(pair);
      pair.client.resetAndDestroy();
      pair.upstream.resetAndDestroy();
    }
    return n;
  }

  async stop(): Promise<void> {
    for (const pair of this.pairs) {
      pair.client.destroy();
      pair.upstream.destroy();
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
