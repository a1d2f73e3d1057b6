import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CONFIG_DEFINITIONS, isClustered, loadConfig } from '../../src/config/config.js';
import { TrustedProxies } from '../../src/transport/client-address.js';
import { parseBlockYaml, type YamlValue } from '../helpers/block-yaml.js';

// deploy/ cannot be run here (container images cannot be pulled); these tests check that its
// files agree with each other and with Parley's configuration. test/cluster/load-balancer.test.ts
// runs deploy/nginx/parley.conf itself.

const ROOT = join(import.meta.dirname, '..', '..');
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

type YamlMap = { [key: string]: YamlValue };
function map(v: YamlValue | undefined, what: string): YamlMap {
  assert.ok(v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v), `${what} is a mapping`);
  return v;
}
function list(v: YamlValue | undefined, what: string): YamlValue[] {
  assert.ok(Array.isArray(v), `${what} is a sequence`);
  return v;
}
function str(v: YamlValue | undefined, what: string): string {
  assert.equal(typeof v, 'string', `${what} is a scalar`);
  return v as string;
}

/** One nginx directive with the blocks it sits in (e.g. ['server', 'location /files/']). */
interface Directive {
  readonly context: readonly string[];
  readonly name: string;
  readonly args: readonly string[];
}

/** The directives of an nginx config file (comments dropped; quoting is not used in ours). */
function nginxDirectives(conf: string): Directive[] {
  const text = conf.split('\n').map((l) => l.replace(/#.*$/, '')).join('\n');
  const out: Directive[] = [];
  const context: string[] = [];
  let current = '';
  for (const c of text) {
    if (c === ';' || c === '{') {
      const [name = '', ...args] = current.trim().split(/\s+/);
      if (c === ';') out.push({ context: [...context], name, args });
      else context.push([name, ...args].join(' '));
      current = '';
    } else if (c === '}') {
      assert.ok(context.pop() !== undefined && current.trim() === '', 'balanced braces');
    } else current += c;
  }
  assert.equal(context.length, 0, 'every block closed');
  return out;
}

/** nginx sizes (1m, 100m, 512k, 4096) in bytes. */
function nginxSize(v: string): number {
  const m = /^(\d+)([kmg]?)$/i.exec(v);
  assert.ok(m, `size ${v}`);
  return Number(m[1]) * { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(m[2] ?? '').toLowerCase() as '' | 'k' | 'm' | 'g'];
}

/** nginx times (60, 60s, 5m, 1h) in ms. */
function nginxTimeMs(v: string): number {
  const m = /^(\d+)(ms|s|m|h)?$/.exec(v);
  assert.ok(m, `time ${v}`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
}

/** `${NAME}`, `${NAME:?message}`, `${NAME:-default}` … in compose interpolation. */
const VARIABLE = /\$\{([A-Z_][A-Z0-9_]*)(?:[:?+-][^}]*)?\}/g;

describe('the block-YAML reader the compose checks use', () => {
  it('reads anchors, merges, sequences of mappings and quoted scalars, and refuses what it does not know', () => {
    const doc = ['base: &b', '  a: "1"', '  b: two # comment', 'use:', '  <<: *b', '  b: three', 'items:', '  - name: x', '    port: \'8\'\'0\'', '  - plain', 'empty:'].join('\n');
    assert.deepEqual(parseBlockYaml(doc), { base: { a: '1', b: 'two' }, use: { a: '1', b: 'three' }, items: [{ name: 'x', port: "8'0" }, 'plain'], empty: null });
    assert.throws(() => parseBlockYaml('a: [1, 2]'), /outside the block subset/);
    assert.throws(() => parseBlockYaml('a: |\n  text'), /outside the block subset/);
    assert.throws(() => parseBlockYaml('a: 1\na: 2'), /duplicate key/);
    assert.throws(() => parseBlockYaml('a:\n\t- 1'), /tab/);
    assert.throws(() => parseBlockYaml('a: *missing'), /unknown alias/);
  });
});

describe('deploy/: compose file, Dockerfile, .env.example and nginx config agree', () => {
  const compose = map(parseBlockYaml(read('deploy/compose.yaml')), 'compose.yaml');
  const services = map(compose.services, 'services');
  const isParley = (s: YamlValue | undefined): boolean => map(map(s, 'service').build ?? {}, 'build').dockerfile === 'deploy/Dockerfile';
  const nodes = Object.keys(services).filter((name) => isParley(services[name]));
  const envExample = new Map(read('deploy/.env.example').split('\n').filter((l) => /^[A-Z_][A-Z0-9_]*=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const));
  const dockerfile = read('deploy/Dockerfile');
  const conf = nginxDirectives(read('deploy/nginx/parley.conf'));
  const nginx = map(services.nginx, 'nginx service');
  const nginxAddress = map(map(map(nginx.networks, 'nginx networks').default, 'nginx default network'), 'nginx network').ipv4_address as string;

  /** A node's environment inside its container: the Dockerfile's ENV, then compose's, `${…}` filled from .env.example. */
  function containerEnv(node: string): Record<string, string> {
    const env: Record<string, string> = {};
    for (const m of dockerfile.matchAll(/^ENV (.+)$/gm)) for (const pair of (m[1] ?? '').split(/\s+/)) env[pair.slice(0, pair.indexOf('='))] = pair.slice(pair.indexOf('=') + 1);
    for (const [k, v] of Object.entries(map(map(services[node], node).environment, `${node} environment`))) {
      env[k] = str(v, `${node} ${k}`).replace(VARIABLE, (_all, name: string) => envExample.get(name) || `sample${name.toLowerCase().replaceAll('_', '')}`);
    }
    return env;
  }

  it('runs three Parley nodes, each a valid cluster-mode config with its own NODE_ID that trusts nginx as its proxy', () => {
    assert.deepEqual(nodes, ['parley-1', 'parley-2', 'parley-3']);
    for (const node of nodes) {
      const config = loadConfig(containerEnv(node));
      assert.ok(isClustered(config), `${node} joins the cluster (REDIS_URL and a PostgreSQL DATABASE_URL)`);
      assert.equal(config.nodeId, node);
      assert.ok(new TrustedProxies(config.trustedProxies).trusts(nginxAddress), `${node} trusts X-Forwarded-For from nginx (${nginxAddress})`);
      const env = map(map(services[node], node).environment, `${node} environment`);
      for (const shared of ['JWT_ACCESS_SECRET', 'COOKIE_SECRET', 'FILE_URL_SECRET', 'HTTP_ADMIN_API_KEY']) {
        assert.match(str(env[shared], `${node} ${shared}`), new RegExp(`^\\$\\{${shared}:\\?`), `${node}: ${shared} comes from .env, required`);
      }
    }
  });

  it('gates start-up on health: nodes wait for PostgreSQL and Redis, nginx for every node, whose check is /readyz on its port', () => {
    for (const node of nodes) {
      const s = map(services[node], node);
      const port = loadConfig(containerEnv(node)).port;
      const test = list(map(s.healthcheck, `${node} healthcheck`).test, `${node} healthcheck test`).map((a) => str(a, 'healthcheck argument')).join(' ');
      assert.ok(test.includes(`127.0.0.1:${String(port)}/readyz`), `${node} healthcheck asks /readyz: ${test}`);
      const deps = map(s.depends_on, `${node} depends_on`);
      for (const dep of ['postgres', 'redis']) assert.equal(map(deps[dep], dep).condition, 'service_healthy', `${node} waits for ${dep}`);
    }
    for (const dep of ['postgres', 'redis']) assert.ok(map(services[dep], dep).healthcheck, `${dep} has a healthcheck`);
    const deps = map(nginx.depends_on, 'nginx depends_on');
    assert.deepEqual(Object.keys(deps).sort(), [...nodes].sort());
    for (const node of nodes) assert.equal(map(deps[node], node).condition, 'service_healthy');
  });

  it('stores files in the bundled MinIO: nodes hold its key pair, reach it at S3_ENDPOINT, and wait for it', () => {
    const minioName = Object.keys(services).find((name) => /^minio\/minio[:@]/.test(str(map(services[name], name).image, `${name} image`)));
    assert.ok(minioName, 'a MinIO service');
    const minio = map(services[minioName], minioName);
    const minioEnv = map(minio.environment, 'minio environment');
    assert.ok(minio.healthcheck, 'MinIO has a healthcheck');
    const endpoint = new URL(envExample.get('S3_ENDPOINT') ?? '');
    assert.equal(endpoint.hostname, minioName, '.env.example points S3_ENDPOINT at the MinIO service');
    assert.ok(list(minio.ports, 'minio ports').some((p) => str(p, 'port').endsWith(`:${endpoint.port}`)), 'MinIO is published on the port of S3_ENDPOINT, for clients');
    for (const node of nodes) {
      const env = map(map(services[node], node).environment, `${node} environment`);
      const config = loadConfig(containerEnv(node));
      assert.ok(['s3', 'minio'].includes(config.storageDriver), `${node} stores files in S3 (${config.storageDriver})`);
      assert.equal(config.s3CreateBucket, true, 'the first node creates the bucket');
      assert.equal(str(env.S3_ENDPOINT, 'S3_ENDPOINT'), '${S3_ENDPOINT:?set S3_ENDPOINT in .env}');
      assert.equal(str(env.S3_ACCESS_KEY, 'S3_ACCESS_KEY'), str(minioEnv.MINIO_ROOT_USER, 'MINIO_ROOT_USER'), `${node} uses MinIO's key`);
      assert.equal(str(env.S3_SECRET_KEY, 'S3_SECRET_KEY'), str(minioEnv.MINIO_ROOT_PASSWORD, 'MINIO_ROOT_PASSWORD'), `${node} uses MinIO's secret`);
      assert.equal(map(map(map(services[node], node).depends_on, 'depends_on')[minioName], minioName).condition, 'service_healthy');
    }
  });

  it("points nginx at exactly the compose nodes, with deploy/nginx/parley.conf mounted as its site", () => {
    const upstream = conf.filter((d) => d.context.join('/') === 'upstream parley' && d.name === 'server').map((d) => d.args[0]);
    assert.deepEqual(upstream, nodes.map((n) => `${n}:${String(loadConfig(containerEnv(n)).port)}`));
    assert.ok(list(nginx.volumes, 'nginx volumes').some((v) => /^\.\/nginx\/parley\.conf:\/etc\/nginx\/conf\.d\/[\w.-]+\.conf(:ro)?$/.test(str(v, 'nginx volume'))), 'parley.conf mounted into conf.d');
    const addresses = [nginxAddress, ...nodes.map((n) => map(map(map(services[n], n).networks, 'networks').default, 'default').ipv4_address)];
    assert.equal(new Set(addresses).size, addresses.length, 'fixed addresses are distinct');
  });

  it('sets every ${VARIABLE} compose uses in .env.example, and nothing else', () => {
    const used = new Set([...read('deploy/compose.yaml').matchAll(VARIABLE)].map((m) => m[1]));
    assert.deepEqual([...envExample.keys()].sort(), [...used].sort());
  });

  it("matches Parley's limits and timing in nginx: body sizes, idle sockets outliving the heartbeat", () => {
    const at = (context: string, name: string): string => {
      const d = conf.find((x) => x.context.join('/') === context && x.name === name);
      assert.ok(d, `${name} in ${context}`);
      return d.args[0] ?? '';
    };
    assert.equal(nginxSize(at('server', 'client_max_body_size')), CONFIG_DEFINITIONS.maxFrameBytes.default, 'HTTP bodies: WS_MAX_FRAME_BYTES');
    assert.equal(nginxSize(at('server/location /files/', 'client_max_body_size')), CONFIG_DEFINITIONS.fileMaxSize.default, 'uploads: FILE_MAX_SIZE');
    assert.ok(nginxTimeMs(at('server', 'proxy_read_timeout')) > 2 * CONFIG_DEFINITIONS.heartbeatIntervalMs.default, 'proxy_read_timeout well above WS_HEARTBEAT_INTERVAL_MS');
    assert.deepEqual(conf.filter((d) => d.name === 'proxy_set_header').map((d) => d.args[0]).sort(), ['Connection', 'Host', 'Upgrade', 'X-Forwarded-For']);
  });

  it('builds the image from node:20 (a build argument) with npm ci and npm run build, and runs the built bin', () => {
    assert.match(dockerfile, /^ARG NODE_IMAGE=node:20-bookworm$/m);
    assert.match(dockerfile, /^ARG NODE_RUNTIME_IMAGE=node:20-bookworm-slim$/m, 'the same Debian release as the build stage, so its native modules load');
    assert.match(dockerfile, /^FROM \$\{NODE_IMAGE\} AS build$/m);
    assert.match(dockerfile, /^FROM \$\{NODE_RUNTIME_IMAGE\}$/m);
    assert.match(dockerfile, /^RUN npm ci$/m);
    assert.match(dockerfile, /^RUN npm run build && npm prune --omit=dev$/m);
    const pkg = JSON.parse(read('package.json')) as { bin: { parley: string }; scripts: { build: string } };
    assert.equal(pkg.scripts.build, 'node scripts/build.mjs');
    assert.match(read('scripts/build.mjs'), /from '\.\/build-state\.mjs'/);
    assert.doesNotMatch(read('scripts/build-state.mjs'), /from '\.\//, 'build-state.mjs imports nothing else from scripts/');
    assert.match(dockerfile, /^COPY scripts\/build\.mjs scripts\/build-state\.mjs \.\/scripts\/$/m, 'the build script is in the build stage');
    assert.deepEqual((JSON.parse(read('tsconfig.build.json')) as { include: string[] }).include, ['src'], 'the build needs only src/, which the Dockerfile copies');
    assert.match(dockerfile, /^COPY src \.\/src$/m);
    assert.match(dockerfile, new RegExp(`^CMD \\["node", "${pkg.bin.parley.replace('.', '\\.')}"\\]$`, 'm'));
  });

  it('runs as a non-root user with /data as a volume, a /readyz health check and SIGTERM as the stop signal', () => {
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    assert.match(runtime, /^USER node$/m);
    assert.match(runtime, /^VOLUME \/data$/m);
    assert.ok(runtime.indexOf('chown -R node:node /data') < runtime.indexOf('VOLUME /data'), 'chown before VOLUME: later build steps would not reach the volume');
    assert.match(runtime, /^ENV .*\bDATA_DIR=\/data\b/m);
    assert.match(runtime, /^STOPSIGNAL SIGTERM$/m);
    const check = /^HEALTHCHECK (.*\\\n)*.*$/m.exec(runtime)?.[0] ?? '';
    // The port as the config reads it: the first of its names that is set and not empty, else the default.
    const port = `\${${[...CONFIG_DEFINITIONS.port.env.map((n) => `e.${n}`), String(CONFIG_DEFINITIONS.port.default)].join(' || ')}}`;
    assert.ok(check.includes(`http://127.0.0.1:${port}/readyz`), `HEALTHCHECK asks /readyz on ${port}: ${check}`);
  });
});
