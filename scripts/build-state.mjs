// Whether dist/ holds a build of the current sources, and the build that makes it so.
// Plain JavaScript with no dependencies: `npm start` runs it in a production install, where
// neither TypeScript nor tsx is present.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { join, relative, sep } from 'node:path';

/** Written into dist/ after a successful build: the fingerprint of the sources it was built from. */
export const STAMP = join('dist', '.build-stamp.json');

/** The files outside src/ whose content changes what tsc emits. */
const CONFIG_FILES = ['package.json', 'tsconfig.json', 'tsconfig.build.json'];

/**
 * A hash of the build's inputs: every file under src/ but tests (tsconfig.build.json leaves them
 * out, so editing one needs no build), and the config files. By content, not modification time:
 * a fresh clone, a copy or a container layer changes every mtime but none of the output, and
 * `npm prune` rewrites package-lock.json (which is therefore not an input) with the same bytes.
 * About 1 MB of source: ~15 ms.
 * @param {string} root the repository root
 * @returns {string}
 */
export function sourceFingerprint(root) {
  const files = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (!entry.name.endsWith('.test.ts')) files.push(path);
    }
  };
  walk(join(root, 'src'));
  files.sort();
  for (const name of CONFIG_FILES) if (existsSync(join(root, name))) files.push(join(root, name));
  const hash = createHash('sha256');
  for (const file of files) {
    const bytes = readFileSync(file);
    // Forward slashes: the same tree gives the same fingerprint on every platform.
    hash.update(`${relative(root, file).split(sep).join('/')}\0${String(bytes.length)}\0`);
    hash.update(bytes);
  }
  return hash.digest('hex');
}

/**
 * Why dist/ must be (re)built, or undefined when it holds a build of the current sources.
 * @param {string} root
 * @returns {string | undefined}
 */
export function staleReason(root) {
  if (!existsSync(join(root, 'dist', 'main.js'))) return 'dist/ has not been built';
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(join(root, STAMP), 'utf8'));
  } catch {
    return 'dist/ has no build stamp (built by an older build, or the last build failed)';
  }
  if (stamp?.fingerprint !== sourceFingerprint(root)) return 'the sources changed since the last build';
  return undefined;
}

/**
 * The TypeScript compiler's script, or undefined where TypeScript is not installed (a
 * production install: `npm ci --omit=dev`, `npm prune --omit=dev`).
 * @param {string} root
 * @returns {string | undefined}
 */
export function findTsc(root) {
  try {
    return createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
  } catch {
    return undefined;
  }
}

/**
 * Compiles src/ to dist/ with tsc and stamps dist/ with the fingerprint of the sources as they
 * were when the build began (a file edited during the build leaves the stamp stale, so the next
 * start builds again). The stamp is removed first and written only when tsc succeeds: after a
 * failed build, dist/ counts as stale even where tsc emitted files. SIGINT and SIGTERM received
 * meanwhile are passed to tsc.
 * @param {string} root
 * @returns {Promise<number>} tsc's exit code (128 + the signal's number when a signal ended it)
 */
export async function build(root) {
  const tsc = findTsc(root);
  if (tsc === undefined) throw new Error('TypeScript is not installed');
  rmSync(join(root, STAMP), { force: true });
  const fingerprint = sourceFingerprint(root);
  const child = spawn(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  const forward = (signal) => child.kill(signal);
  process.on('SIGINT', forward).on('SIGTERM', forward);
  const code = await new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (exitCode, signal) => resolve(exitCode ?? 128 + (constants.signals[signal] ?? 0)));
  }).finally(() => process.off('SIGINT', forward).off('SIGTERM', forward));
  if (code === 0) writeFileSync(join(root, STAMP), `${JSON.stringify({ fingerprint, builtAt: new Date().toISOString() })}\n`);
  return code;
}

/**
 * Builds dist/ when it is stale (see staleReason), saying so on stderr; resolves with 0 when
 * dist/ is current afterwards, else with the exit code the caller should end with (1 when a
 * build is needed and TypeScript is absent, as in a production install whose sources changed).
 * `what` names the caller in messages ("start", "run the admin CLI").
 */
export async function ensureBuilt(root, what) {
  const stale = staleReason(root);
  if (stale === undefined) return 0;
  if (findTsc(root) === undefined) {
    process.stderr.write(
      `parley: cannot ${what}: ${stale}, and TypeScript, which builds it, is not installed.\n` +
        'Install the dev dependencies (`npm ci`) and try again, or, for a production install, build first\n' +
        'and then remove them: `npm ci && npm run build && npm prune --omit=dev`.\n',
    );
    return 1;
  }
  process.stderr.write(`parley: building (${stale})\n`);
  const code = await build(root);
  if (code !== 0) process.stderr.write(code > 128 ? `parley: the build was interrupted; cannot ${what}\n` : `parley: the build failed; cannot ${what}\n`);
  return code;
}
