// Whether dist/ holds a build of the current sources, and the build that makes it so.
// Plain JavaScript with no dependencies: `npm start` runs it in a production install, where
// neither TypeScript nor tsx is present.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';

/** Written into dist/ after a successful build: the fingerprint of the sources it was built from. */
export const STAMP = join('dist', '.build-stamp.json');

/** The files outside src/ whose content changes what tsc emits. */
const CONFIG_FILES = ['package.json', 'tsconfig.json', 'tsconfig.build.json'];

/**
 * The web console's inputs (Vite builds them into dist/console): its pages, and the SDK sources
 * the chat demo bundles. src/transport/histogram.ts, which it bundles too, is under src/.
 */
const WEB_DIRS = ['web', join('packages', 'client', 'src')];

/** Where Vite puts the console, and the stamp of the web inputs it was built from. */
export const CONSOLE_DIR = join('dist', 'console');
export const CONSOLE_STAMP = join(CONSOLE_DIR, '.build-stamp.json');

/** Every file under `dir` but tests, appended to `out`; nothing when `dir` is absent. */
function walkInputs(dir, out) {
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walkInputs(path, out);
    else if (!entry.name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

/** A hash of `files` by path (relative to `root`, forward slashes) and content. */
function hashFiles(root, files) {
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
 * A hash of the web console's inputs (WEB_DIRS, the histogram module it shares with the server,
 * package.json for the versions of Vite, Preact and uPlot).
 * @param {string} root
 * @returns {string}
 */
export function webFingerprint(root) {
  const files = WEB_DIRS.flatMap((d) => walkInputs(join(root, d), []).sort());
  for (const name of [join('src', 'transport', 'histogram.ts'), 'package.json']) if (existsSync(join(root, name))) files.push(join(root, name));
  return hashFiles(root, files);
}

/**
 * A hash of the build's inputs: every file under src/ but tests (tsconfig.build.json leaves them
 * out, so editing one needs no build), the config files, and the web console's sources (web/,
 * packages/client/src/). By content, not modification time:
 * a fresh clone, a copy or a container layer changes every mtime but none of the output, and
 * `npm prune` rewrites package-lock.json (which is therefore not an input) with the same bytes.
 * About 1 MB of source: ~15 ms.
 * @param {string} root the repository root
 * @returns {string}
 */
export function sourceFingerprint(root) {
  const files = walkInputs(join(root, 'src'), []).sort();
  for (const name of CONFIG_FILES) if (existsSync(join(root, name))) files.push(join(root, name));
  for (const dir of WEB_DIRS) files.push(...walkInputs(join(root, dir), []).sort());
  return hashFiles(root, files);
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
 * Vite's command-line script, or undefined where Vite is not installed (a production install).
 * @param {string} root
 * @returns {string | undefined}
 */
export function findVite(root) {
  try {
    return join(dirname(createRequire(join(root, 'package.json')).resolve('vite/package.json')), 'bin', 'vite.js');
  } catch {
    return undefined;
  }
}

/**
 * Runs `script` with `args` in `root` under this Node.js, passing on SIGINT and SIGTERM.
 * @param {string} root
 * @param {string} script
 * @param {string[]} args
 * @param {'inherit' | 'pipe'} stdio
 * @returns {Promise<number>} the exit code (128 + the signal's number when a signal ended it)
 */
async function runNode(root, script, args, stdio = 'inherit') {
  const child = spawn(process.execPath, [script, ...args], { cwd: root, stdio: stdio === 'pipe' ? ['ignore', 'pipe', 'pipe'] : 'inherit' });
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  const forward = (signal) => child.kill(signal);
  process.on('SIGINT', forward).on('SIGTERM', forward);
  const code = await new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (exitCode, signal) => resolve(exitCode ?? 128 + (constants.signals[signal] ?? 0)));
  }).finally(() => process.off('SIGINT', forward).off('SIGTERM', forward));
  if (code !== 0 && stdio === 'pipe') process.stderr.write(output);
  return code;
}

/**
 * Why dist/console must be (re)built by Vite, or undefined when it holds a build of the current
 * web inputs (webFingerprint). The browser tests call it: they run from src/ with no full build.
 * @param {string} root
 * @returns {string | undefined}
 */
export function consoleStaleReason(root) {
  try {
    const stamp = JSON.parse(readFileSync(join(root, CONSOLE_STAMP), 'utf8'));
    return stamp?.fingerprint === webFingerprint(root) ? undefined : 'the web sources changed since the last build';
  } catch {
    return 'the web console has not been built';
  }
}

/**
 * Builds the web console and the chat demo (web/) with Vite into dist/console and stamps it
 * with the fingerprint of the web inputs as they were when the build began.
 * @param {string} root
 * @param {'inherit' | 'pipe'} stdio `pipe`: Vite's output is shown only when it fails
 * @returns {Promise<number>} Vite's exit code
 */
export async function buildConsole(root, stdio = 'inherit') {
  const vite = findVite(root);
  if (vite === undefined) throw new Error('Vite is not installed');
  const fingerprint = webFingerprint(root);
  const code = await runNode(root, vite, ['build', '--config', join('web', 'vite.config.ts')], stdio);
  if (code === 0) writeFileSync(join(root, CONSOLE_STAMP), `${JSON.stringify({ fingerprint, builtAt: new Date().toISOString() })}\n`);
  return code;
}

/**
 * Compiles src/ to dist/ with tsc, builds the web console with Vite (buildConsole), and stamps
 * dist/ with the fingerprint of the sources as they were when the build began (a file edited
 * during the build leaves the stamp stale, so the next start builds again). The stamp is
 * removed first and written only when both succeed: after a failed build, dist/ counts as stale
 * even where tsc emitted files. SIGINT and SIGTERM received meanwhile are passed to the child.
 * @param {string} root
 * @returns {Promise<number>} the failing step's exit code, else 0
 */
export async function build(root) {
  const tsc = findTsc(root);
  if (tsc === undefined) throw new Error('TypeScript is not installed');
  rmSync(join(root, STAMP), { force: true });
  const fingerprint = sourceFingerprint(root);
  let code = await runNode(root, tsc, ['-p', 'tsconfig.build.json']);
  if (code === 0) code = await buildConsole(root);
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
