import { TestPostgres } from './postgres.js';
import { TestRedis } from './redis.js';
import { TestServer } from './server.js';

/** Why cluster tests cannot run here (no PostgreSQL or Redis binaries), or undefined; throws in CI. */
export function clusterUnavailable(): string | undefined {
  return TestPostgres.unavailable() ?? TestRedis.unavailable();
}

/**
 * Several Parley nodes in this process sharing one fresh PostgreSQL database and one throwaway
 * Redis: a cluster as REDIS_URL with DATABASE_URL makes it, with the shared secrets set and short
 * heartbeat and reconcile periods so tests see node changes quickly.
 */
export class TestCluster {
  private constructor(
    readonly nodes: TestServer[],
    private currentRedis: TestRedis,
    readonly env: Record<string, string>,
  ) {}

  static async start(count: number, env: Record<string, string> = {}): Promise<TestCluster> {
    const pg = await TestPostgres.shared();
    const redis = await TestRedis.start();
    const shared = {
      DATABASE_URL: await pg.createDatabase(),
      REDIS_URL: redis.url,
      JWT_ACCESS_SECRET: 'cluster-test-jwt-secret',
      COOKIE_SECRET: 'cluster-test-cookie-secret',
      FILE_URL_SECRET: 'cluster-test-file-secret',
      CLUSTER_NODE_TTL_MS: '1500',
      CLUSTER_RECONCILE_MS: '250',
      ...env,
    };
    const nodes: TestServer[] = [];
    // One after another: the first runs the migrations.
    for (let i = 0; i < count; i++) nodes.push(await TestServer.start({ ...shared, NODE_ID: `n${String(i + 1)}` }));
    return new TestCluster(nodes, redis, shared);
  }

  get redis(): TestRedis {
    return this.currentRedis;
  }

  /** Stops Redis and starts an empty one on the same port, as a Redis restart does. */
  async restartRedis(): Promise<void> {
    this.currentRedis = await this.currentRedis.restart();
  }

  node(i: number): TestServer {
    const n = this.nodes[i];
    if (!n) throw new Error(`no node ${String(i)}`);
    return n;
  }

  async stop(): Promise<void> {
    for (const n of this.nodes) await n.stop();
    await this.currentRedis.stop();
  }
}
