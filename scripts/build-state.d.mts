// Types of build-state.mjs, for the tests that import it.

/** Written into dist/ after a successful build: the fingerprint of the sources it was built from. */
export declare const STAMP: string;
/** A hash of the build's inputs (src/ without tests, package.json, tsconfig*.json), by content. */
export declare function sourceFingerprint(root: string): string;
/** Why dist/ must be (re)built, or undefined when it holds a build of the current sources. */
export declare function staleReason(root: string): string | undefined;
/** The TypeScript compiler's script, or undefined where TypeScript is not installed. */
export declare function findTsc(root: string): string | undefined;
/** Compiles src/ to dist/ and stamps it; resolves with tsc's exit code. */
export declare function build(root: string): Promise<number>;
/** Builds dist/ when stale; resolves with 0 when it is current afterwards, else the exit code to end with. */
export declare function ensureBuilt(root: string, what: string): Promise<number>;
