// Types of build-state.mjs, for the tests that import it.

/** Written into dist/ after a successful build: the fingerprint of the sources it was built from. */
export declare const STAMP: string;
/** Where Vite builds the web console (dist/console). */
export declare const CONSOLE_DIR: string;
/** The stamp of the web inputs dist/console was built from. */
export declare const CONSOLE_STAMP: string;
/** A hash of the build's inputs (src/ without tests, package.json, tsconfig*.json, web/, packages/client/src/), by content. */
export declare function sourceFingerprint(root: string): string;
/** A hash of the web console's inputs (web/, packages/client/src/, the shared histogram module, package.json). */
export declare function webFingerprint(root: string): string;
/** Why dist/ must be (re)built, or undefined when it holds a build of the current sources. */
export declare function staleReason(root: string): string | undefined;
/** Why dist/console must be (re)built, or undefined when it holds a build of the current web inputs. */
export declare function consoleStaleReason(root: string): string | undefined;
/** The TypeScript compiler's script, or undefined where TypeScript is not installed. */
export declare function findTsc(root: string): string | undefined;
/** Vite's command-line script, or undefined where Vite is not installed. */
export declare function findVite(root: string): string | undefined;
/** Builds the web console into dist/console and stamps it; resolves with Vite's exit code. */
export declare function buildConsole(root: string, stdio?: 'inherit' | 'pipe'): Promise<number>;
/** Compiles src/ to dist/, builds the web console, and stamps dist/; resolves with the failing step's exit code, else 0. */
export declare function build(root: string): Promise<number>;
/** Builds dist/ when stale; resolves with 0 when it is current afterwards, else the exit code to end with. */
export declare function ensureBuilt(root: string, what: string): Promise<number>;
