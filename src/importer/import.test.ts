import assert from 'node:assert/strict';
import { createECDH, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ObjectId, type Document } from 'bson';
import { samaPasswordFields, writeDump } from '../../test/helpers/sama-dump.js';
import { ALREADY_STORED, importDump } from './import.js';
import type { MapSettings } from './spec.js';
import type { ImportSummary } from './summary.js';
import { openSqliteTarget, type ImportTarget } from './target.js';

const SETTINGS: MapSettings = { now: Date.now(), accessTokenTtlSec: 3600, refreshTokenTtlSec: 86400, encryptedDeviceTtlSec: 86400, encryptedMessageTtlSec: 86400, operationsLogTtlSec: 86400 };
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

/** Imports `collections` (written as .bson) into a fresh SQLite store; returns the summary and the open target. */
async function importInto(collections: Record<string, Document[]>, opts: { orgMap?: Map<string, string>; target?: ImportTarget } = {}): Promise<{ summary: ImportSummary; target: ImportTarget }> {
  const dump = tempDir('sama-dump-');
  await writeDump(dump, collections, 'bson');
  const target = opts.target ?? (await openSqliteTarget(tempDir('parley-data-')));
  const summary = await importDump({ dir: dump, target, settings: SETTINGS, orgMap: opts.orgMap, batchSize: 3 });
  return { summary, target };
}

const of = (s: ImportSummary, name: string) => s.collections.find((c) => c.collection === name) ?? assert.fail(name);
const now = new Date();

describe('SAMA import mapping', () => {
  it('keeps a login, e-mail or phone unique per organization, naming the user that holds it', async () => {
    const org = new ObjectId();
    const [a, b, c, d] = [new ObjectId(), new ObjectId(), new ObjectId(), new ObjectId()];
    const user = (_id: ObjectId, login: string, email: string, phone: string) => ({ _id, organization_id: org, login, email, phone, ...samaPasswordFields('p', 's'), created_at: now });
    const { summary, target } = await importInto({
      organizations: [{ _id: org, name: `o-${org.toHexString()}` }],
      users: [user(a, 'Ann', '', ''), user(b, 'ann', '', ''), user(c, 'cy', 'x@y.z', ''), user(d, 'dee', 'x@y.z', '')],
    });
    const users = of(summary, 'users');
    assert.deepEqual([users.imported, users.bad], [2, 2]);
    assert.deepEqual(
      users.badRecords.map((r) => r.reason),
      [`login, e-mail or phone taken by another user: login "ann" belongs to ${a.toHexString()}`, `login, e-mail or phone taken by another user: e-mail x@y.z belongs to ${c.toHexString()}`],
    );
    const rows = await target.select<{ email: string | null; phone: string | null; password_hash: string }>('select email, phone, password_hash from users where id = ?', [a.toHexString()]);
    assert.deepEqual(rows[0], { email: null, phone: null, password_hash: `sama-sha512x20$s$${samaPasswordFields('p', 's').encrypted_password}` });
    await target.close();
  });

  it('renames an organization whose name Parley already uses, and maps organizations when told to', async () => {
    const kept = new ObjectId();
    const old = new ObjectId();
    const user = new ObjectId();
    const stray = new ObjectId();
    const { summary, target } = await importInto(
      {
        organizations: [
          { _id: kept, name: 'default' },
          { _id: old, name: 'old default' },
        ],
        users: [
          { _id: user, organization_id: old, login: 'u1', created_at: now },
          { _id: stray, login: 'nobody-knows', created_at: now },
        ],
      },
      { orgMap: new Map([[old.toHexString(), kept.toHexString()]]) },
    );
    const orgs = of(summary, 'organizations');
    assert.deepEqual([orgs.imported, orgs.skipped], [1, 1]);
    assert.equal(orgs.skippedReasons['mapped onto another organization by --map-organization'], 1);
    const users = of(summary, 'users');
    assert.deepEqual([users.imported, users.bad], [1, 1]);
    assert.equal(users.badReasons['no organization_id'], 1);
    assert.equal((await target.select<{ organization_id: string }>('select organization_id from users where id = ?', [user.toHexString()]))[0]?.organization_id, kept.toHexString());
    assert.equal(users.notes['no password in SAMA: the user must set one (user_send_otp, user_reset_password)'], 1);

    // A second dump whose organization is named like one Parley has: imported under another name.
    const other = new ObjectId();
    const again = await importInto({ organizations: [{ _id: other, name: 'default' }] }, { target });
    assert.equal(of(again.summary, 'organizations').imported, 1);
    const named = await target.select<{ name: string }>('select name from organizations where id = ?', [other.toHexString()]);
    assert.equal(named[0]?.name, `default (SAMA ${other.toHexString()})`);
    await target.close();
  });

  it('imports a second private conversation of one pair without its pair key, and recounts participants', async () => {
    const org = new ObjectId();
    const [a, b] = [new ObjectId(), new ObjectId()];
    const [c1, c2] = [new ObjectId(), new ObjectId()];
    const { summary, target } = await importInto({
      organizations: [{ _id: org, name: `o-${org.toHexString()}` }],
      users: [a, b].map((_id, i) => ({ _id, organization_id: org, login: `p${i}`, created_at: now })),
      conversations: [c1, c2].map((_id, i) => ({ _id, organization_id: org, type: 'u', owner_id: i === 0 ? a : b, opponent_id: i === 0 ? b : a, created_at: now })),
      conversations_participants: [
        { conversation_id: c1, user_id: a, organization_id: org },
        { conversation_id: c1, user_id: b, organization_id: org },
        { conversation_id: c1, user_id: b, organization_id: org },
        { conversation_id: c2, user_id: new ObjectId(), organization_id: org },
      ],
    });
    const convs = of(summary, 'conversations');
    assert.equal(convs.imported, 2);
    assert.equal(Object.keys(convs.notes).length, 1);
    const rows = await target.select<{ id: string; pair_key: string | null; participants_count: number }>('select id, pair_key, participants_count from conversations order by id', []);
    assert.deepEqual(
      rows.map((r) => [r.id, r.pair_key === null, Number(r.participants_count)]),
      [
        [c1.toHexString(), false, 2],
        [c2.toHexString(), true, 0],
      ],
    );
    const parts = of(summary, 'conversations_participants');
    assert.deepEqual([parts.imported, parts.skipped, parts.bad], [2, 1, 1]);
    assert.equal(parts.skippedReasons[ALREADY_STORED], 1);
    assert.equal(parts.badReasons['user not in the dump'], 1);
    await target.close();
  });

  it('stores messages, web push keys and pre-keys in the forms Parley uses', async () => {
    const org = new ObjectId();
    const u = new ObjectId();
    const cid = new ObjectId();
    const mid = new ObjectId();
    const file = new ObjectId();
    const point = createECDH('prime256v1');
    point.generateKeys();
    const auth = randomBytes(16);
    const { summary, target } = await importInto({
      organizations: [{ _id: org, name: `o-${org.toHexString()}` }],
      users: [{ _id: u, organization_id: org, login: 'm', created_at: now }],
      conversations: [{ _id: cid, organization_id: org, type: 'g', owner_id: u, created_at: new Date(0) }],
      messages: [{ _id: mid, organization_id: org, cid, from: u, body: 'hi', attachments: [{ file_id: file, file_name: 'a.png' }], x: { when: new Date(5000) }, created_at: new Date(10_500), updated_at: new Date(9000) }],
      push_subscriptions: [
        { _id: new ObjectId(), organization_id: org, user_id: u, platform: 'web', device_udid: 12, web_endpoint: 'https://push.example/1', web_key_auth: auth.toString('base64'), web_key_p256dh: point.getPublicKey().toString('base64') },
        { _id: new ObjectId(), organization_id: org, user_id: u, platform: 'android', device_udid: '12', device_token: 't' },
        { _id: new ObjectId(), organization_id: org, user_id: u, platform: 'web', device_udid: 'w', web_endpoint: 'http://insecure.example' },
      ],
      encrypted_devices: [{ user_id: u, device_id: 'd', identity_key: 'i', signed_key: 's', one_time_pre_keys: { b: 'kb', 2: 'k2', 1: 'k1' }, updated_at: now }],
    });
    const [m] = await target.select<Record<string, unknown>>('select * from messages', []);
    assert.equal(m?.id, mid.toHexString());
    assert.equal(m?.t, 11);
    assert.equal(Number(m?.created_at), 10_500);
    assert.equal(Number(m?.updated_at), 10_500);
    assert.deepEqual(JSON.parse(String(m?.attachments)), [{ file_id: file.toHexString(), file_name: 'a.png' }]);
    assert.deepEqual(JSON.parse(String(m?.x)), { when: new Date(5000).toISOString() });
    assert.equal((await target.select<{ updated_at: number }>('select updated_at from conversations', []))[0]?.updated_at, 10_500);
    assert.deepEqual(await target.select('select object_id, scope from file_links', []), [{ object_id: file.toHexString(), scope: cid.toHexString() }]);

    const subs = of(summary, 'push_subscriptions');
    assert.deepEqual([subs.imported, subs.skipped, subs.bad], [1, 1, 1]);
    assert.deepEqual(await target.select('select device_udid, web_key_auth, web_key_p256dh from push_subscriptions', []), [{ device_udid: '12', web_key_auth: auth.toString('base64url'), web_key_p256dh: point.getPublicKey().toString('base64url') }]);
    assert.deepEqual(await target.select('select seq, key_id, pre_key from encrypted_pre_keys order by seq', []), [
      { seq: 0, key_id: '1', pre_key: 'k1' },
      { seq: 1, key_id: '2', pre_key: 'k2' },
      { seq: 2, key_id: 'b', pre_key: 'kb' },
    ]);
    await target.close();
  });
});

describe('SAMA import when the store refuses a write', () => {
  /** The real SQLite target, but inserting a user whose login is `login` fails with `error`. */
  function refusing(inner: ImportTarget, login: string, error: Error & { code?: string }): ImportTarget {
    return {
      ...inner,
      dialect: inner.dialect,
      select: (sql, params) => inner.select(sql, params),
      refusesRecord: (err) => inner.refusesRecord(err),
      close: () => inner.close(),
      transaction: (work) =>
        inner.transaction((tx) =>
          work({
            ...tx,
            insert: (table, rows) => {
              if (table === 'users' && rows.some((r) => r.login === login)) throw error;
              return tx.insert(table, rows);
            },
          }),
        ),
    };
  }

  const dump = (org: ObjectId) => ({
    organizations: [{ _id: org, name: `o-${org.toHexString()}` }],
    users: ['u1', 'poison', 'u3', 'u4'].map((login) => ({ _id: new ObjectId(), organization_id: org, login, created_at: now })),
  });

  it('reports the refused record as bad and imports the rest of its batch', async () => {
    const org = new ObjectId();
    const inner = await openSqliteTarget(tempDir('parley-data-'));
    const refused = Object.assign(new Error('CHECK constraint failed'), { code: 'SQLITE_CONSTRAINT_CHECK' });
    const { summary } = await importInto(dump(org), { target: refusing(inner, 'poison', refused) });
    const users = of(summary, 'users');
    assert.deepEqual([users.imported, users.bad], [3, 1]);
    assert.equal(users.badRecords[0]?.reason, 'refused by the store: CHECK constraint failed');
    assert.equal(users.badRecords[0]?.at, 2);
    await inner.close();
  });

  it('stops on an error that is not about a record (the rerun finishes)', async () => {
    const org = new ObjectId();
    const inner = await openSqliteTarget(tempDir('parley-data-'));
    const gone = Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' });
    const same = dump(org);
    await assert.rejects(importInto(same, { target: refusing(inner, 'poison', gone) }), /disk I\/O error/);
    const { summary } = await importInto(same, { target: inner });
    assert.deepEqual([of(summary, 'organizations').skipped, of(summary, 'users').imported], [1, 4]);
    await inner.close();
  });
});
