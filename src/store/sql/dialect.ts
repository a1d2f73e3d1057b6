import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/**
 * What the shared SQL code needs to know about the engine underneath. Each dialect folder
 * (store/sqlite, store/postgres) supplies one.
 */
export interface SqlDialect {
  readonly name: 'sqlite' | 'postgres';
  /** If `err` is a unique-key violation, the engine's text naming the key (columns or index); else undefined. */
  uniqueViolation(err: unknown): string | undefined;
}

/** A Kysely handle plus its dialect facts; what every table module is built from. */
export interface SqlContext {
  readonly db: Kysely<Database>;
  readonly dialect: SqlDialect;
}

/** Escapes LIKE wildcards so user text is matched literally (used with `escape '\'`). */
export function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** Parses a JSON text column, tolerating NULL. */
export function parseJson<T>(text: string | null): T | null {
  return text === null ? null : (JSON.parse(text) as T);
}
