import type { Deriver } from './derived.js';
import type { Lookups, Refs } from './lookups.js';
import type { ImportTable, Row } from './tables.js';
import type { TargetTx } from './target.js';
import type { Doc } from './values.js';

/**
 * How one SAMA collection becomes Parley rows. A mapper is pure: it reads a document, names the
 * records it refers to, and — once those are looked up — returns rows or throws a Reject
 * (values.ts). The orchestrator (import.ts) batches, looks up, writes and counts.
 */

/** Lifetimes the mappers need (from Parley's configuration, seconds), and the import's clock. */
export interface MapSettings {
  readonly now: number;
  readonly accessTokenTtlSec: number;
  readonly refreshTokenTtlSec: number;
  readonly encryptedDeviceTtlSec: number;
  readonly encryptedMessageTtlSec: number;
  readonly operationsLogTtlSec: number;
}

/** Rows of another table that belong to a record. */
export interface ExtraRows {
  readonly table: ImportTable;
  readonly rows: readonly Row[];
}

/** What a record becomes. */
export interface Mapped {
  /** Rows of the collection's table; the record counts as imported when one of them is inserted. */
  readonly rows: readonly Row[];
  /**
   * Rows of other tables (a message's hidden-for rows, a device's pre-keys, file links), written
   * in the same transaction and only when the record's own rows were inserted: a record already
   * stored keeps what it has (a pre-key Parley handed out since is not brought back).
   */
  readonly extra?: readonly ExtraRows[];
  /** Set when the record was changed on its way in (counted by reason in the summary). */
  readonly note?: string;
}

/** A parsed record waiting for its references to be looked up. */
export interface Parsed {
  readonly refs: Refs;
  /** Builds the rows; may throw a Reject once references are known. */
  build(look: Lookups): Mapped;
}

export interface CollectionSpec {
  /** SAMA's collection name (the dump file's base name). */
  readonly collection: string;
  /** Older names of the same collection, used when the current one is absent. */
  readonly aliases?: readonly string[];
  readonly table: ImportTable;
  /** Fields the mapper reads; any other field found is reported as not carried over. */
  readonly fields: readonly string[];
  /** Fields Parley has no place for, each with the reason, reported when found. */
  readonly dropped?: Readonly<Record<string, string>>;
  /** The document's other fields are data, not schema (encrypted_message_statuses: one per identity key). */
  readonly openFields?: boolean;
  /**
   * When the table has unique keys besides its primary key: a row that was not inserted and
   * whose primary key is not stored clashed on one of them, and this says why (`skip`: a
   * duplicate that is fine to leave out).
   */
  explainClash?(row: Row, tx: TargetTx): Promise<{ kind: 'bad'; reason: string; detail?: string } | { kind: 'skip'; reason: string; detail?: string }>;
  /** Reads a document; `look` may only be asked for the organization mapping here (nothing is fetched yet). */
  parse(doc: Doc, settings: MapSettings, look: Lookups): Parsed;
  /** Values derived from the collection's stored rows, written after its last batch (derived.ts). */
  derive?(): Deriver;
}
