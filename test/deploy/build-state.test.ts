import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { CONSOLE_STAMP, STAMP, consoleStaleReason, findTsc, sourceFingerprint, staleReason, webFingerprint } from '../../scripts/build-state.mjs';

// What `npm start` (scripts/start.mjs) takes for "dist/ is current", on a small fake tree: the
// real build runs in test/deploy/production-install.test.ts.

describe('build-state: when npm start builds', () => {
  let root = '';
  const write = (path: string, text: string): void => {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  /** What a successful build leaves: dist/main.js and the stamp of the sources as they are. */
  const stampBuild = (): void => {
    write('dist/main.js', '// built\n');
    write(STAMP, JSON.stringify({ fingerprint: sourceFingerprint(root) }));
  };

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'parley-build-state-'));
    write('package.json', '{"type":"module"}\n');
    write('tsconfig.json', '{}\n');
    write('tsconfig.build.json', '{}\n');
    write('src/main.ts', 'export const a = 1;\n');
    write('src/store/store.ts', 'export const b = 2;\n');
    write('src/store/store.test.ts', 'test\n');
    write('web/console/main.tsx', 'export {};\n');
    write('packages/client/src/client.ts', 'export {};\n');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('builds when dist/ was never built, or has no stamp (a failed or pre-stamp build)', () => {
    assert.equal(staleReason(root), 'dist/ has not been built');
    write('dist/main.js', '// emitted by a build that then failed\n');
    assert.match(staleReason(root) ?? '', /no build stamp/);
    stampBuild();
    assert.equal(staleReason(root), undefined);
  });

  it('builds again when a source or config file changes, is added or is removed', () => {
    stampBuild();
    const changes: [string, () => void][] = [
      ['a source edited', () => write('src/main.ts', 'export const a = 2;\n')],
      ['a source added', () => write('src/store/new.ts', 'export {};\n')],
      ['a source removed', () => rmSync(join(root, 'src/store/store.ts'))],
      ['tsconfig.build.json edited', () => write('tsconfig.build.json', '{"compilerOptions":{}}\n')],
      ['package.json edited', () => write('package.json', '{"type":"commonjs"}\n')],
      ['a web console source edited', () => write('web/console/main.tsx', 'export const c = 3;\n')],
      ['an SDK source the chat demo bundles edited', () => write('packages/client/src/client.ts', 'export const d = 4;\n')],
    ];
    for (const [what, change] of changes) {
      change();
      assert.equal(staleReason(root), 'the sources changed since the last build', what);
      stampBuild();
    }
  });

  it('does not build for a changed test, lockfile or modification time (a clone, a copy, npm prune)', () => {
    stampBuild();
    write('src/store/store.test.ts', 'another test\n');
    write('package-lock.json', '{}\n');
    const later = new Date(Date.now() + 60_000);
    for (const f of ['src/main.ts', 'package.json', 'tsconfig.json']) utimesSync(join(root, f), later, later);
    assert.equal(staleReason(root), undefined);
  });

  it('rebuilds the web console alone when its inputs change (the browser tests run from src/)', () => {
    assert.equal(consoleStaleReason(root), 'the web console has not been built');
    write(CONSOLE_STAMP, JSON.stringify({ fingerprint: webFingerprint(root) }));
    assert.equal(consoleStaleReason(root), undefined);
    write('src/main.ts', 'export const a = 5;\n');
    assert.equal(consoleStaleReason(root), undefined, 'a server source does not change the console');
    write('src/transport/histogram.ts', 'export {};\n');
    assert.match(consoleStaleReason(root) ?? '', /web sources changed/, 'the histogram module is bundled into the console');
    write(CONSOLE_STAMP, JSON.stringify({ fingerprint: webFingerprint(root) }));
    write('web/demo/main.tsx', 'export {};\n');
    assert.match(consoleStaleReason(root) ?? '', /web sources changed/);
  });

  it('finds tsc only where TypeScript is installed', () => {
    assert.equal(findTsc(root), undefined, 'a tree without node_modules');
    assert.match(findTsc(join(import.meta.dirname, '..', '..')) ?? '', /typescript[/\\]bin[/\\]tsc$/);
  });
});
