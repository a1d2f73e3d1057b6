import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort } from './free-port.js';

/**
 * A throwaway Redis server for tests: `redis-server` on a free loopback port, nothing persisted.
 * Tests skip with a printed reason where the binary is absent, except in CI (CI=true), which
 * must run them.
 */
export class TestRedis {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {}

  /** Why Redis tests cannot run here, or undefined when they can; throws in CI. */
  static unavailable(): string | undefined {
    try {
      execFileSync('sh', ['-c', 'command -v redis-server'], { stdio: 'ignore' });
      return undefined;
    } catch {
      const reason = 'redis-server not found; install the redis-server package to run these tests';
      if (process.env.CI) throw new Error(`${reason} (CI must run them)`);
      return reason;
    }
  }

  static async start(port?: number): Promise<TestRedis> {
    port ??= await freePort();
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    const server = new TestRedis(child, port);
    const deadline = Date.now() + 10_000;
    for (;;) {
      const probe = server.client();
      try {
        await probe.ping();
        probe.disconnect();
        return server;
      } catch (err) {
        probe.disconnect();
        if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`, { cause: err });
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  /** The redis-server process (for CPU accounting in the bench). */
  get pid(): number {
    return this.child.pid ?? 0;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** A client that fails fast instead of retrying. */
  client(): Redis {
    const c = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    c.on('error', () => undefined);
    return c;
  }

  /** Stops this server and starts a new, empty one on the same port (a Redis restart). */
  async restart(): Promise<TestRedis> {
    await this.stop();
    return TestRedis.start(this.port);
  }

  stop(): Promise<void> {
    if (this.child.exitCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.kill('SIGTERM');
    });
  }
}
