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

/**
 * parley_append_messages with m_view, as migrations 19 and 21 create it. `multiRowSingleNode`
 * false gives migration 19's text; true gives migration 21's, where a single node (no chain)
 * inserts the batch with one multi-row insert and the per-message loop runs only for a chain.
 * One text for both, so the two versions differ only where 21 changed something; the output
 * for 19 must stay what it was released as.
 */
function appendMessagesFunction(multiRowSingleNode: boolean): string {
  const head = `create or replace function parley_append_messages(
            m_id text[], m_org text[], m_cid text[], m_from text[], m_client text[], m_body text[], m_attachments text[], m_x text[],
            m_replied text[], m_forwarded text[], m_encrypted integer[], m_t bigint[], m_created bigint[], m_updated bigint[],
            h_idx integer[], h_user text[],
            p_idx integer[], p_id text[], p_org text[], p_user text[], p_payload text[], p_created bigint[],
            i_idx integer[], i_user text[], i_device text[], i_expires bigint[],
            chain boolean, m_view bigint[])
          returns table (item integer, stored_id text, prev_id text, prev_created_at bigint)
          language plpgsql volatile as $fn$
          declare
            n integer;
            new_id text;
            head_id text;
            head_at bigint;
            current_view bigint;
            stale text[] := '{}';
            done_idx integer[] := '{}';
            done_id text[] := '{}';
          begin
            if chain then
              perform 1 from conversations c where c.id = any(m_cid) order by c.id for update;
            end if;
`;
  const loop = `            for n in 1 .. coalesce(array_length(m_id, 1), 0) loop
              if chain and (m_cid[n] = any(stale) or m_view[n] is not null) then
                if not m_cid[n] = any(stale) then
                  select c.view_version into current_view from conversations c where c.id = m_cid[n];
                  if current_view is distinct from m_view[n] then
                    stale := stale || m_cid[n];
                  end if;
                end if;
                if m_cid[n] = any(stale) then
                  item := n - 1;
                  stored_id := null;
                  prev_id := null;
                  prev_created_at := null;
                  return next;
                  continue;
                end if;
              end if;
              new_id := m_id[n];
              head_id := null;
              head_at := null;
              if chain then
                select h.id, h.created_at into head_id, head_at from messages h where h.cid = m_cid[n] order by h.id desc limit 1;
                if head_id is not null and new_id <= head_id then
                  new_id := parley_id_after(head_id, m_id[n]);
                end if;
              end if;
              insert into messages (id, organization_id, cid, from_id, client_id, body, attachments, x, replied_message_id, forwarded_message_id, encrypted_message_type, t, created_at, updated_at)
                values (new_id, m_org[n], m_cid[n], m_from[n], m_client[n], m_body[n], m_attachments[n], m_x[n], m_replied[n], m_forwarded[n], m_encrypted[n], m_t[n], m_created[n], m_updated[n])
                on conflict do nothing;
              if found then
                done_idx := done_idx || (n - 1);
                done_id := done_id || new_id;
                item := n - 1;
                stored_id := new_id;
                prev_id := head_id;
                prev_created_at := head_at;
                return next;
              end if;
            end loop;
`;
  const fast = `            if not chain then
              -- One node: one multi-row insert in batch order (the statement-level search
              -- trigger then fires once per batch, not once per message).
              with ins as (
                insert into messages (id, organization_id, cid, from_id, client_id, body, attachments, x, replied_message_id, forwarded_message_id, encrypted_message_type, t, created_at, updated_at)
                  select * from unnest(m_id, m_org, m_cid, m_from, m_client, m_body, m_attachments, m_x, m_replied, m_forwarded, m_encrypted, m_t, m_created, m_updated)
                  on conflict do nothing
                  returning messages.id
              )
              select coalesce(array_agg((k.ord - 1)::integer order by k.ord), '{}'), coalesce(array_agg(k.mid order by k.ord), '{}')
                into done_idx, done_id
                from ins join unnest(m_id) with ordinality as k(mid, ord) on k.mid = ins.id;
              return query select d.i, d.mid, null::text, null::bigint from unnest(done_idx, done_id) as d(i, mid);
            else
`;
  const tail = `            if array_length(done_idx, 1) is null then
              return;
            end if;
            update conversations c set updated_at = w.at
              from (select m_cid[d + 1] as cid, m_org[d + 1] as org, max(m_created[d + 1]) as at from unnest(done_idx) as d group by 1, 2) w
              where c.id = w.cid and c.organization_id = w.org and c.updated_at < w.at;
            insert into message_hidden (mid, user_id, cid)
              select k.id, h.u, m_cid[h.i + 1] from unnest(h_idx, h_user) as h(i, u) join unnest(done_idx, done_id) as k(i, id) on k.i = h.i
              on conflict do nothing;
            insert into push_outbox (id, organization_id, user_id, payload, attempts, next_attempt_at, created_at, sent_to)
              select p.id, p.org, p.u, p.payload, 0, p.at, p.at, null
              from unnest(p_idx, p_id, p_org, p_user, p_payload, p_created) as p(i, id, org, u, payload, at) where p.i = any(done_idx);
            insert into encrypted_inbox (user_id, device_id, cid, mid, expires_at)
              select e.u, e.dev, m_cid[e.i + 1], k.id, e.exp from unnest(i_idx, i_user, i_device, i_expires) as e(i, u, dev, exp) join unnest(done_idx, done_id) as k(i, id) on k.i = e.i
              on conflict do nothing;
          end
          $fn$`;
  return multiRowSingleNode ? `${head}${fast}${loop}            end if;\n${tail}` : `${head}${loop}${tail}`;
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
  {
    version: 2,
    name: 'conversations, participants, operations log',
    statements: [
      `create table conversations (
        id text primary key,
        organization_id text not null references organizations (id),
        type text not null,
        name text,
        description text,
        owner_id text not null,
        opponent_id text,
        pair_key text,
        image_object text,
        is_encrypted integer not null default 0,
        participants_count integer not null default 0,
        created_at bigint not null,
        updated_at bigint not null
      )`,
      `create unique index conversations_pair_key on conversations (organization_id, pair_key) where pair_key is not null`,
      `create index conversations_org_updated_idx on conversations (organization_id, updated_at)`,
      `create table conversation_participants (
        conversation_id text not null references conversations (id) on delete cascade,
        user_id text not null,
        organization_id text not null,
        role text,
        last_read_message_id text,
        created_at bigint not null,
        updated_at bigint not null,
        primary key (conversation_id, user_id)
      )`,
      `create index participants_user_idx on conversation_participants (organization_id, user_id, conversation_id)`,
      `create table operations_log (
        id text primary key,
        organization_id text not null,
        user_id text not null,
        packet text not null,
        created_at bigint not null,
        expires_at bigint not null
      )`,
      `create index operations_log_user_idx on operations_log (organization_id, user_id, created_at, id)`,
      `create index operations_log_expiry_idx on operations_log (expires_at)`,
    ],
  },
  {
    version: 3,
    name: 'messages',
    statements: [
      `create table messages (
        id text primary key,
        organization_id text not null,
        cid text not null,
        from_id text not null,
        client_id text,
        body text,
        attachments text,
        x text,
        replied_message_id text,
        forwarded_message_id text,
        encrypted_message_type integer,
        t bigint not null,
        created_at bigint not null,
        updated_at bigint not null
      )`,
      `create index messages_cid_id_idx on messages (cid, id)`,
      `create index messages_cid_updated_idx on messages (cid, updated_at)`,
      `create unique index messages_client_key on messages (cid, from_id, client_id) where client_id is not null`,
      `create table message_hidden (
        mid text not null,
        user_id text not null,
        cid text not null,
        primary key (mid, user_id)
      )`,
      `create index message_hidden_cid_idx on message_hidden (cid)`,
    ],
  },
  {
    version: 4,
    name: 'message statuses and reactions',
    statements: [
      `create table message_statuses (
        mid text not null,
        cid text not null,
        user_id text not null,
        status text not null,
        created_at bigint not null,
        primary key (mid, user_id)
      )`,
      `create index message_statuses_cid_idx on message_statuses (cid)`,
      `create table message_reactions (
        mid text not null,
        cid text not null,
        user_id text not null,
        reaction text not null,
        created_at bigint not null,
        primary key (mid, user_id, reaction)
      )`,
      `create index message_reactions_cid_idx on message_reactions (cid)`,
    ],
  },
  {
    version: 5,
    name: 'push outbox',
    statements: [
      `create table push_outbox (
        id text primary key,
        organization_id text not null,
        user_id text not null,
        payload text not null,
        attempts integer not null default 0,
        next_attempt_at bigint not null,
        created_at bigint not null
      )`,
      `create index push_outbox_due_idx on push_outbox (next_attempt_at, id)`,
    ],
  },
  {
    version: 6,
    name: 'block lists',
    statements: [
      `create table blocked_users (
        organization_id text not null,
        user_id text not null,
        blocked_user_id text not null,
        enabled integer not null default 1,
        created_at bigint not null,
        primary key (user_id, blocked_user_id)
      )`,
      `create index blocked_users_blocked_idx on blocked_users (blocked_user_id)`,
    ],
  },
  {
    version: 7,
    name: 'contacts',
    statements: [
      `create table contacts (
        id text primary key,
        organization_id text not null,
        user_id text not null,
        first_name text,
        last_name text,
        company text,
        email text,
        phone text,
        created_at bigint not null,
        updated_at bigint not null
      )`,
      `create index contacts_owner_idx on contacts (organization_id, user_id, id)`,
    ],
  },
  {
    version: 8,
    name: 'files and their links',
    statements: [
      `create table files (
        object_id text primary key,
        id text not null,
        organization_id text not null,
        user_id text not null,
        name text not null,
        size bigint not null,
        content_type text not null,
        uploaded_at bigint,
        created_at bigint not null,
        updated_at bigint not null
      )`,
      `create index files_created_idx on files (created_at)`,
      // scope is a conversation id (attachments, conversation images) or '*' (avatars: the whole
      // organization may see them).
      `create table file_links (
        object_id text not null,
        organization_id text not null,
        scope text not null,
        created_at bigint not null,
        primary key (object_id, scope)
      )`,
      `create index file_links_scope_idx on file_links (scope)`,
    ],
  },
  {
    version: 9,
    name: 'push subscriptions, push events, outbox leases',
    statements: [
      `create table push_subscriptions (
        id text primary key,
        organization_id text not null,
        user_id text not null,
        platform text not null,
        device_udid text not null,
        web_endpoint text,
        web_key_auth text,
        web_key_p256dh text,
        device_token text,
        created_at bigint not null,
        updated_at bigint not null
      )`,
      `create unique index push_subscriptions_device_key on push_subscriptions (user_id, device_udid)`,
      `create index push_subscriptions_user_idx on push_subscriptions (organization_id, user_id)`,
      `create index push_subscriptions_endpoint_idx on push_subscriptions (organization_id, web_endpoint) where web_endpoint is not null`,
      `create index push_subscriptions_token_idx on push_subscriptions (organization_id, device_token) where device_token is not null`,
      `create table push_events (
        id text primary key,
        organization_id text not null,
        user_id text not null,
        user_ids text not null,
        message text not null,
        created_at bigint not null,
        updated_at bigint not null
      )`,
      `alter table push_outbox add column sent_to text`,
    ],
  },
  {
    version: 10,
    name: 'messages: index only edited messages by updated_at',
    // Every message insert used to add an entry to (cid, updated_at): one more index page per
    // conversation written by each commit. Unedited messages have updated_at = created_at and
    // are found by the (cid, id) index (ids embed their creation time), so only edited ones need
    // the updated_at index (docs/benchmarks.md).
    statements: [`drop index messages_cid_updated_idx`, `create index messages_cid_edited_idx on messages (cid, updated_at) where updated_at > created_at`],
  },
  {
    version: 11,
    name: 'end-to-end encryption: key bundles, one-time pre-keys, per-device inboxes',
    statements: [
      `create table encrypted_devices (
        organization_id text not null,
        user_id text not null,
        device_id text not null,
        identity_key text not null,
        signed_key text not null,
        created_at bigint not null,
        updated_at bigint not null,
        expires_at bigint not null,
        primary key (user_id, device_id)
      )`,
      `create index encrypted_devices_expiry_idx on encrypted_devices (expires_at)`,
      // seq keeps the order the device sent its keys in: the lowest is handed out first.
      `create table encrypted_pre_keys (
        user_id text not null,
        device_id text not null,
        seq integer not null,
        key_id text,
        pre_key text not null,
        primary key (user_id, device_id, seq)
      )`,
      // One row per (device, message) not yet listed by that device (protocol.md §3.11).
      `create table encrypted_inbox (
        user_id text not null,
        device_id text not null,
        cid text not null,
        mid text not null,
        expires_at bigint not null,
        primary key (user_id, device_id, cid, mid)
      )`,
      `create index encrypted_inbox_mid_idx on encrypted_inbox (mid)`,
      `create index encrypted_inbox_expiry_idx on encrypted_inbox (expires_at)`,
      // The expiry sweep finds encrypted messages by age without reading the others.
      `create index messages_encrypted_created_idx on messages (created_at) where encrypted_message_type is not null`,
    ],
  },
  {
    version: 12,
    name: 'conversation handlers',
    statements: [
      `create table conversation_handlers (
        conversation_id text primary key,
        organization_id text not null,
        content text not null,
        updated_by text not null,
        created_at bigint not null,
        updated_at bigint not null,
        last_error text,
        last_error_at bigint
      )`,
    ],
  },
  {
    version: 13,
    name: 'conversation chain heads (cluster)',
    statements: [
      // Cluster mode (PostgreSQL): one round trip locks a batch's conversation rows, in id order
      // so that batches of different nodes cannot deadlock, and then reads each one's newest
      // message. The newest message must be read after the lock is granted: a VOLATILE plpgsql
      // function takes a fresh snapshot per statement, where a single SELECT … FOR UPDATE joined
      // with the messages would return the messages as they were before it waited.
      {
        sqlite: 'select 1',
        postgres: `create or replace function parley_chain_heads(conversation_ids text[])
          returns table (head_cid text, head_id text, head_created_at bigint)
          language plpgsql volatile as $fn$
          begin
            perform 1 from conversations c where c.id = any(conversation_ids) order by c.id for update;
            return query
              select w.cid, l.id, l.created_at
              from unnest(conversation_ids) as w(cid)
              left join lateral (select m.id, m.created_at from messages m where m.cid = w.cid order by m.id desc limit 1) l on true;
          end
          $fn$`,
      },
    ],
  },
  {
    version: 14,
    name: 'message batches in one round trip (PostgreSQL)',
    statements: [
      // Replaced by parley_append_messages below.
      { sqlite: 'select 1', postgres: 'drop function if exists parley_chain_heads(text[])' },
      // parley_id_after(prev, own): the id just above `prev` (same second, next value of its
      // middle ten hex digits, carrying into the second), ending with `own`'s last six digits.
      // The SQL twin of idAfter in src/protocol/ids.ts.
      {
        sqlite: 'select 1',
        postgres: `create or replace function parley_id_after(prev text, own text) returns text
          language sql immutable as $fn$
            select case when s.mid = 0 then lpad(to_hex(('x' || substr(prev, 1, 8))::bit(32)::bigint + 1), 8, '0') else substr(prev, 1, 8) end
              || lpad(to_hex(s.mid), 10, '0') || substr(own, 19, 6)
            from (select ((('x' || lpad(substr(prev, 9, 10), 16, '0'))::bit(64)::bigint + 1) & 1099511627775) as mid) s
          $fn$`,
      },
      // parley_append_messages: a whole group-commit batch as one autocommit statement, so a
      // batch costs one round trip instead of four (BEGIN, lock and heads, insert, COMMIT); in
      // a cluster each round trip is a chance to wait for a CPU. Items come as parallel arrays
      // (index n of each array is item n; text arrays carry the driver's own UTF-8 encoding,
      // which jsonb would not). With `chain` (several nodes): locks the batch's conversation
      // rows in id order, then gives each item an id above its conversation's newest message,
      // read after the lock and after the batch's earlier inserts. Inserts each message unless
      // it conflicts (a retried client id: a duplicate), then — for inserted messages only —
      // moves conversations.updated_at forward and writes the hidden markers, push outbox rows
      // and encrypted-inbox rows, whose `*_idx` arrays name their item. Returns one row per
      // inserted item: its index, the id it was stored under and, with `chain`, the newest
      // message of its conversation before it.
      {
        sqlite: 'select 1',
        postgres: `create or replace function parley_append_messages(
            m_id text[], m_org text[], m_cid text[], m_from text[], m_client text[], m_body text[], m_attachments text[], m_x text[],
            m_replied text[], m_forwarded text[], m_encrypted integer[], m_t bigint[], m_created bigint[], m_updated bigint[],
            h_idx integer[], h_user text[],
            p_idx integer[], p_id text[], p_org text[], p_user text[], p_payload text[], p_created bigint[],
            i_idx integer[], i_user text[], i_device text[], i_expires bigint[],
            chain boolean)
          returns table (item integer, stored_id text, prev_id text, prev_created_at bigint)
          language plpgsql volatile as $fn$
          declare
            n integer;
            new_id text;
            head_id text;
            head_at bigint;
            done_idx integer[] := '{}';
            done_id text[] := '{}';
          begin
            if chain then
              perform 1 from conversations c where c.id = any(m_cid) order by c.id for update;
            end if;
            for n in 1 .. coalesce(array_length(m_id, 1), 0) loop
              new_id := m_id[n];
              head_id := null;
              head_at := null;
              if chain then
                select h.id, h.created_at into head_id, head_at from messages h where h.cid = m_cid[n] order by h.id desc limit 1;
                if head_id is not null and new_id <= head_id then
                  new_id := parley_id_after(head_id, m_id[n]);
                end if;
              end if;
              insert into messages (id, organization_id, cid, from_id, client_id, body, attachments, x, replied_message_id, forwarded_message_id, encrypted_message_type, t, created_at, updated_at)
                values (new_id, m_org[n], m_cid[n], m_from[n], m_client[n], m_body[n], m_attachments[n], m_x[n], m_replied[n], m_forwarded[n], m_encrypted[n], m_t[n], m_created[n], m_updated[n])
                on conflict do nothing;
              if found then
                done_idx := done_idx || (n - 1);
                done_id := done_id || new_id;
                item := n - 1;
                stored_id := new_id;
                prev_id := head_id;
                prev_created_at := head_at;
                return next;
              end if;
            end loop;
            if array_length(done_idx, 1) is null then
              return;
            end if;
            update conversations c set updated_at = w.at
              from (select m_cid[d + 1] as cid, m_org[d + 1] as org, max(m_created[d + 1]) as at from unnest(done_idx) as d group by 1, 2) w
              where c.id = w.cid and c.organization_id = w.org and c.updated_at < w.at;
            insert into message_hidden (mid, user_id, cid)
              select k.id, h.u, m_cid[h.i + 1] from unnest(h_idx, h_user) as h(i, u) join unnest(done_idx, done_id) as k(i, id) on k.i = h.i
              on conflict do nothing;
            insert into push_outbox (id, organization_id, user_id, payload, attempts, next_attempt_at, created_at, sent_to)
              select p.id, p.org, p.u, p.payload, 0, p.at, p.at, null
              from unnest(p_idx, p_id, p_org, p_user, p_payload, p_created) as p(i, id, org, u, payload, at) where p.i = any(done_idx);
            insert into encrypted_inbox (user_id, device_id, cid, mid, expires_at)
              select e.u, e.dev, m_cid[e.i + 1], k.id, e.exp from unnest(i_idx, i_user, i_device, i_expires) as e(i, u, dev, exp) join unnest(done_idx, done_id) as k(i, id) on k.i = e.i
              on conflict do nothing;
          end
          $fn$`,
      },
    ],
  },
  {
    version: 15,
    name: 'full-text search over messages (parley_message_search)',
    // What is indexed: a message with a body, without encrypted_message_type, outside encrypted
    // conversations (is_encrypted never changes after creation) — encrypted payloads are never
    // indexed. The index is kept in step by triggers, so every writer (the SQLite writer thread,
    // the PostgreSQL batch, edits, deletes for everyone, retention and erasure) updates it in
    // its own transaction. Per-user hiding (delete for me, deleted_for) is filtered when
    // searching, from message_hidden. Each entry also carries its conversation id as a scope
    // token the user's words cannot reach, so a search over some conversations intersects
    // posting lists instead of reading every match (docs/protocol-extensions.md, Full-text search).
    statements: [
      // SQLite: a contentless FTS5 table (the text lives only in messages) whose rowid is the
      // message's rowid negated: FTS5 walks a word's entries cheaply only in ascending rowid
      // order (descending loads whole posting lists), and negated, ascending is newest first,
      // the order a search reads candidates in. contentless_delete lets a trigger remove an
      // entry by rowid, a no-op for a message that was never indexed. Words are runs of letters,
      // digits and marks, lower-cased, accents kept: the words PostgreSQL's 'simple' makes below.
      {
        sqlite: `create virtual table message_search using fts5(body, scope, content='', contentless_delete=1, tokenize="unicode61 remove_diacritics 0 categories 'L* N* Co M*'")`,
        postgres: `create table message_search (
          mid text primary key,
          organization_id text not null,
          cid text not null,
          doc tsvector not null
        )`,
      },
      {
        sqlite: `create trigger message_search_insert after insert on messages
          when new.encrypted_message_type is null and new.body is not null and new.body <> ''
            and not exists (select 1 from conversations c where c.id = new.cid and c.is_encrypted <> 0)
          begin
            insert into message_search (rowid, body, scope) values (-new.rowid, new.body, new.cid);
          end`,
        // 'simple': no stemming and no stop words, so one configuration serves every language
        // (a per-language stemmer would mangle the others). ASCII punctuation becomes a space
        // first so that URLs, e-mail addresses and dotted numbers split into words as they do on
        // SQLite. The scope lexeme '~<cid>' cannot come from a query (queries are made of words).
        postgres: `create function parley_search_doc(body text, cid text) returns tsvector
          language sql immutable parallel safe as $fn$
            select to_tsvector('simple', translate(body, '!"#$%&''()*+,-./:;<=>?@[\\]^_\`{|}~', repeat(' ', 32))) || array_to_tsvector(array['~' || cid])
          $fn$`,
      },
      {
        sqlite: `create trigger message_search_delete after delete on messages
          begin
            delete from message_search where rowid = -old.rowid;
          end`,
        postgres: `create function parley_message_search_added() returns trigger language plpgsql as $fn$
          begin
            insert into message_search (mid, organization_id, cid, doc)
              select a.id, a.organization_id, a.cid, parley_search_doc(a.body, a.cid) from added a
              where a.encrypted_message_type is null and a.body is not null and a.body <> ''
                and not exists (select 1 from conversations c where c.id = a.cid and c.is_encrypted <> 0);
            return null;
          end
          $fn$`,
      },
      {
        sqlite: `create trigger message_search_update after update of body, encrypted_message_type, cid on messages
          begin
            delete from message_search where rowid = -old.rowid;
            insert into message_search (rowid, body, scope)
              select -new.rowid, new.body, new.cid
              where new.encrypted_message_type is null and new.body is not null and new.body <> ''
                and not exists (select 1 from conversations c where c.id = new.cid and c.is_encrypted <> 0);
          end`,
        postgres: `create function parley_message_search_removed() returns trigger language plpgsql as $fn$
          begin
            delete from message_search s using removed r where s.mid = r.id;
            return null;
          end
          $fn$`,
      },
      {
        sqlite: `insert into message_search (rowid, body, scope)
          select -m.rowid, m.body, m.cid from messages m
          where m.encrypted_message_type is null and m.body is not null and m.body <> ''
            and not exists (select 1 from conversations c where c.id = m.cid and c.is_encrypted <> 0)`,
        postgres: `create function parley_message_search_changed() returns trigger language plpgsql as $fn$
          begin
            delete from message_search where mid = old.id;
            if new.encrypted_message_type is null and new.body is not null and new.body <> ''
              and not exists (select 1 from conversations c where c.id = new.cid and c.is_encrypted <> 0) then
              insert into message_search (mid, organization_id, cid, doc) values (new.id, new.organization_id, new.cid, parley_search_doc(new.body, new.cid));
            end if;
            return null;
          end
          $fn$`,
      },
      // PostgreSQL: inserts and deletes are statement triggers over the transition table (one
      // insert per batch of up to 512 messages, not one per row); edits are rare and per row.
      { sqlite: 'select 1', postgres: `create trigger message_search_added after insert on messages referencing new table as added for each statement execute function parley_message_search_added()` },
      { sqlite: 'select 1', postgres: `create trigger message_search_removed after delete on messages referencing old table as removed for each statement execute function parley_message_search_removed()` },
      {
        sqlite: 'select 1',
        postgres: `create trigger message_search_changed after update of body, encrypted_message_type, cid on messages for each row
          when (old.body is distinct from new.body or old.encrypted_message_type is distinct from new.encrypted_message_type or old.cid is distinct from new.cid)
          execute function parley_message_search_changed()`,
      },
      {
        sqlite: 'select 1',
        postgres: `insert into message_search (mid, organization_id, cid, doc)
          select m.id, m.organization_id, m.cid, parley_search_doc(m.body, m.cid) from messages m
          where m.encrypted_message_type is null and m.body is not null and m.body <> ''
            and not exists (select 1 from conversations c where c.id = m.cid and c.is_encrypted <> 0)`,
      },
      // Built after the backfill (one pass instead of one insert per row).
      { sqlite: 'select 1', postgres: `create index message_search_doc_idx on message_search using gin (doc)` },
    ],
  },
  {
    version: 16,
    name: 'scheduled messages',
    statements: [
      // One row per parley_message_schedule. claimed_by/claimed_until are a dispatcher's lease:
      // a node that dies holding one lets another node take the row when it ends.
      `create table scheduled_messages (
        id text primary key,
        organization_id text not null,
        user_id text not null,
        cid text not null,
        client_id text not null,
        content text not null,
        send_at bigint not null,
        state text not null,
        attempts integer not null default 0,
        claimed_by text,
        claimed_until bigint,
        server_mid text,
        error text,
        finished_at bigint,
        created_at bigint not null
      )`,
      `create unique index scheduled_messages_client_key on scheduled_messages (organization_id, user_id, client_id)`,
      `create index scheduled_messages_due_idx on scheduled_messages (send_at) where state = 'pending'`,
      `create index scheduled_messages_author_idx on scheduled_messages (user_id, send_at) where state = 'pending'`,
      `create index scheduled_messages_finished_idx on scheduled_messages (finished_at) where state <> 'pending'`,
    ],
  },
  {
    version: 17,
    name: 'retention periods',
    statements: [
      // One row per organization default (scope '*') or conversation (scope = its id). The
      // sweeper reads the whole (small) table each run; message_list reads two rows by key.
      `create table retention_policies (
        organization_id text not null,
        scope text not null,
        seconds bigint not null,
        updated_at bigint not null,
        primary key (organization_id, scope)
      )`,
    ],
  },
  {
    version: 18,
    name: 'personal data exports',
    statements: [
      // One row per export job: pending → running (leased by one node) → ready or failed; the
      // archive is a storage object named by the job id, deleted with the row at expires_at.
      `create table data_exports (
        id text primary key,
        organization_id text not null,
        user_id text not null,
        requested_by text not null,
        status text not null,
        lease_until bigint,
        size bigint,
        error text,
        created_at bigint not null,
        updated_at bigint not null,
        expires_at bigint not null
      )`,
      `create index data_exports_user_idx on data_exports (organization_id, user_id, created_at)`,
      `create index data_exports_status_idx on data_exports (status, created_at)`,
      `create index data_exports_expiry_idx on data_exports (expires_at)`,
    ],
  },
  {
    version: 19,
    name: 'versioned send views (PostgreSQL cluster)',
    statements: [
      // conversations.view_version counts changes to what ConversationStore.sendView answers:
      // the conversation's own columns (updated_at aside), its membership rows (last read
      // marks aside), its handler's script, and for a private conversation the block state of
      // its two sides. Triggers bump it, so every writer (handlers, the CLI, the importer,
      // erasure) is covered without remembering to. A node may check a message against a
      // cached view; parley_append_messages compares the view's version under the
      // conversation's row lock and refuses the message if the view is outdated (see
      // SendViewCache). SQLite runs one node, whose read cache is the only writer: nothing there.
      { sqlite: 'select 1', postgres: `alter table conversations add column view_version bigint not null default 0` },
      {
        sqlite: 'select 1',
        postgres: `create or replace function parley_view_bump_row() returns trigger language plpgsql as $fn$
          begin
            new.view_version := old.view_version + 1;
            return new;
          end
          $fn$`,
      },
      {
        sqlite: 'select 1',
        postgres: `create trigger conversations_view_version before update on conversations for each row
          when ((old.organization_id, old.type, old.name, old.description, old.owner_id, old.opponent_id, old.pair_key, old.image_object, old.is_encrypted, old.participants_count)
            is distinct from (new.organization_id, new.type, new.name, new.description, new.owner_id, new.opponent_id, new.pair_key, new.image_object, new.is_encrypted, new.participants_count))
          execute function parley_view_bump_row()`,
      },
      // Bumps the conversations named by a membership or handler change. The rows are locked in
      // id order, as parley_append_messages locks them, so the two cannot deadlock.
      {
        sqlite: 'select 1',
        postgres: `create or replace function parley_view_bump(conversation_ids text[]) returns void language plpgsql as $fn$
          begin
            perform 1 from conversations c where c.id = any(conversation_ids) order by c.id for update;
            update conversations c set view_version = c.view_version + 1 where c.id = any(conversation_ids);
          end
          $fn$`,
      },
      {
        sqlite: 'select 1',
        postgres: `create or replace function parley_view_bump_added() returns trigger language plpgsql as $fn$
          begin
            perform parley_view_bump(array(select distinct conversation_id from changed_rows));
            return null;
          end
          $fn$`,
      },
      {
        sqlite: 'select 1',
        postgres: `create trigger participants_added_view_version after insert on conversation_participants
          referencing new table as changed_rows for each statement execute function parley_view_bump_added()`,
      },
      {
        sqlite: 'select 1',
        postgres: `create trigger participants_removed_view_version after delete on conversation_participants
          referencing old table as changed_rows for each statement execute function parley_view_bump_added()`,
      },
      {
        sqlite: 'select 1',
        postgres: `create or replace function parley_view_bump_one() returns trigger language plpgsql as $fn$
          declare
            r record;
          begin
            if tg_op = 'DELETE' then r := old; else r := new; end if;
            perform parley_view_bump(array[r.conversation_id]);
            return null;
          end
          $fn$`,
      },
      // A read mark moves on every read; only a role change alters what a view is used for.
      {
        sqlite: 'select 1',
        postgres: `create trigger participants_role_view_version after update on conversation_participants for each row
          when ((old.conversation_id, old.user_id, old.role) is distinct from (new.conversation_id, new.user_id, new.role))
          execute function parley_view_bump_one()`,
      },
      {
        sqlite: 'select 1',
        postgres: `create trigger handlers_view_version after insert or delete on conversation_handlers for each row execute function parley_view_bump_one()`,
      },
      // Recording a handler's last error is not a change of script.
      {
        sqlite: 'select 1',
        postgres: `create trigger handlers_changed_view_version after update on conversation_handlers for each row
          when ((old.conversation_id, old.content) is distinct from (new.conversation_id, new.content))
          execute function parley_view_bump_one()`,
      },
      // A block between two users changes the view of their private conversations (plain and
      // encrypted), found by pair_key as pairKey (store/sql/conversations.ts) spells it.
      {
        sqlite: 'select 1',
        postgres: `create or replace function parley_view_bump_blocks() returns trigger language plpgsql as $fn$
          declare
            r record;
            pair text;
          begin
            if tg_op = 'DELETE' then r := old; else r := new; end if;
            pair := least(r.user_id collate "C", r.blocked_user_id collate "C") || ':' || greatest(r.user_id collate "C", r.blocked_user_id collate "C");
            perform parley_view_bump(array(select c.id from conversations c where c.organization_id = r.organization_id and c.pair_key in (pair || ':0', pair || ':1')));
            return null;
          end
          $fn$`,
      },
      {
        sqlite: 'select 1',
        postgres: `create trigger blocks_view_version after insert or delete or update on blocked_users for each row execute function parley_view_bump_blocks()`,
      },
      // parley_append_messages with one more argument, m_view: per item, the view_version its
      // checks read, or null for an item checked against nothing (a bot reply, a system
      // message). With chain, after the lock, an item whose conversation's view_version is not
      // m_view is not inserted, and nor is any later item of that conversation in the batch (so a
      // redone item cannot fall behind its successors); each such item comes back as a row
      // with a null stored_id. Otherwise as migration 14's version, which stays for nodes of the
      // previous release during a rolling upgrade.
      {
        sqlite: 'select 1',
        postgres: appendMessagesFunction(false),
      },
    ],
  },
  {
    version: 20,
    name: 'search indexing after the commit (SQLite)',
    // SQLite only. Indexing each message in the commit that stores it made FTS5 flush once per
    // message (the index's rowids are the messages' negated, so each row of a commit came below
    // the one before, and FTS5 flushes at every such row), about 40 % of the writer thread's CPU
    // per message. Now an insert only queues the message's rowid in message_search_pending; the
    // writer thread indexes the queue in chunks of a few hundred between message batches
    // (store/sqlite/search-indexer.ts), and a search first has the queue emptied, so a search
    // still finds every message committed before it. Which messages are indexed is unchanged
    // (the indexer applies migration 15's rule). PostgreSQL keeps its statement triggers: one
    // insert per batch already.
    statements: [
      { sqlite: 'create table message_search_pending (mrow integer primary key)', postgres: 'select 1' },
      { sqlite: 'drop trigger message_search_insert', postgres: 'select 1' },
      // Only the cheap tests here; the conversation's is_encrypted is read by the indexer.
      {
        sqlite: `create trigger message_search_queue after insert on messages
          when new.encrypted_message_type is null and new.body is not null and new.body <> ''
          begin
            insert or ignore into message_search_pending (mrow) values (new.rowid);
          end`,
        postgres: 'select 1',
      },
      // A deleted message leaves the queue too: a later message may be given its rowid.
      { sqlite: 'drop trigger message_search_delete', postgres: 'select 1' },
      {
        sqlite: `create trigger message_search_delete after delete on messages
          begin
            delete from message_search where rowid = -old.rowid;
            delete from message_search_pending where mrow = old.rowid;
          end`,
        postgres: 'select 1',
      },
      // An edit of a queued message leaves it to the indexer, which reads the new body.
      { sqlite: 'drop trigger message_search_update', postgres: 'select 1' },
      {
        sqlite: `create trigger message_search_update after update of body, encrypted_message_type, cid on messages
          begin
            delete from message_search where rowid = -old.rowid;
            insert into message_search (rowid, body, scope)
              select -new.rowid, new.body, new.cid
              where new.encrypted_message_type is null and new.body is not null and new.body <> ''
                and not exists (select 1 from message_search_pending where mrow = new.rowid)
                and not exists (select 1 from conversations c where c.id = new.cid and c.is_encrypted <> 0);
          end`,
        postgres: 'select 1',
      },
    ],
  },
  {
    version: 21,
    name: 'one multi-row message insert per batch on a single PostgreSQL node',
    // parley_append_messages (migration 19) again, changed only where chain is false (one node,
    // which keeps each conversation's order itself): the batch's messages go in with one
    // multi-row insert instead of one insert per message, so PostgreSQL runs one statement,
    // and the statement-level search trigger once, per batch (the per-message insert was about
    // two thirds of its time per message; docs/benchmarks.md, Round three). The chained path
    // (a cluster) is unchanged. Both texts come from appendMessagesFunction, whose output for
    // migration 19 is pinned by a test (migrations.test.ts).
    statements: [
      {
        sqlite: 'select 1',
        postgres: appendMessagesFunction(true),
      },
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

/** How a database's recorded schema versions compare with the steps this code knows. */
export interface SchemaState {
  /** The newest version this code knows. */
  readonly latest: number;
  /** The newest version the database has, 0 for none. */
  readonly applied: number;
  /** Known steps the database lacks: applied at the next start. */
  readonly pending: readonly { readonly version: number; readonly name: string }[];
  /** Versions the database has that this code does not know: it was migrated by a newer Parley. */
  readonly unknown: readonly number[];
}

/** Compares `versions` (what schema_migrations records) with MIGRATIONS. */
export function schemaState(versions: readonly number[]): SchemaState {
  const have = new Set(versions);
  const known = new Set(MIGRATIONS.map((m) => m.version));
  return {
    latest: Math.max(...known),
    applied: versions.length === 0 ? 0 : Math.max(...versions),
    pending: MIGRATIONS.filter((m) => !have.has(m.version)).map((m) => ({ version: m.version, name: m.name })),
    unknown: versions.filter((v) => !known.has(v)).sort((a, b) => a - b),
  };
}
