/**
 * The schema, as numbered steps. Most DDL here is valid in both SQLite and PostgreSQL (bigint has
 * integer affinity in SQLite); where the engines differ, a statement gives one text per dialect.
 * A released step is never edited: add a new one.
 */
export type Statement = string | { readonly sqlite: string; readonly postgres: string };

export interface MigrationStep {
  readonly version: number;
  readonly name: string;
  readonly statements: readonly Statement[];
}

export const MIGRATIONS: readonly MigrationStep[] = [
  {
    version: 1,
    name: 'organizations, users, tokens',
    statements: [
      `create table organizations (
        id text primary key,
        name text not null,
        created_at bigint not null,
        updated_at bigint not null
      )`,
      `create unique index organizations_name_key on organizations (name)`,
      `create table users (
        id text primary key,
        organization_id text not null references organizations (id),
        login text not null,
        login_lower text not null,
        email text,
        phone text,
        first_name text,
        last_name text,
        password_hash text not null,
        recent_activity bigint not null,
        avatar_object text,
        created_at bigint not null,
        updated_at bigint not null
      )`,
      `create unique index users_login_lower_key on users (organization_id, login_lower)`,
      `create unique index users_email_key on users (organization_id, email) where email is not null`,
      `create unique index users_phone_key on users (organization_id, phone) where phone is not null`,
      `create table user_tokens (
        organization_id text not null,
        user_id text not null,
        device_id text not null,
        type text not null,
        token_hash text not null,
        expires_at bigint not null,
        created_at bigint not null,
        primary key (user_id, device_id, type)
      )`,
      `create index user_tokens_hash_idx on user_tokens (token_hash)`,
      `create index user_tokens_expiry_idx on user_tokens (expires_at)`,
    ],
  },
];

/** The statements of `steps` for one engine, in the shape `migrate` runs. */
export function forDialect(steps: readonly MigrationStep[], dialect: 'sqlite' | 'postgres'): { version: number; name: string; statements: string[] }[] {
  return steps.map((s) => ({
    version: s.version,
    name: s.name,
    statements: s.statements.map((st) => (typeof st === 'string' ? st : st[dialect])),
  }));
}
