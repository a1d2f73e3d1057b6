import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newId } from '../../protocol/ids.js';
import { ConflictError, type Store } from '../store.js';
import { ALL_TABLES, fillOrganization } from './fill.js';
import { freshOrg, makeUser } from './harness.js';

/** Contract of AdminStore, OrganizationStore.rename and the operator side of PushOutboxStore. */
export function adminContract(store: () => Store): void {
  describe('OrganizationStore.rename', () => {
    it('renames, refuses a taken name and answers undefined for an unknown id', async () => {
      const org = await freshOrg(store());
      const other = await freshOrg(store());
      const name = `renamed-${newId()}`;
      const renamed = await store().organizations.rename(org, name, 5);
      assert.equal(renamed?.name, name);
      assert.equal(renamed?.updated_at, 5);
      assert.equal((await store().organizations.byName(name))?._id, org);
      await assert.rejects(store().organizations.rename(other, name, 6), ConflictError);
      assert.equal(await store().organizations.rename(newId(), `x-${newId()}`, 7), undefined);
    });
  });

  describe('AdminStore listings', () => {
    it('pages organizations with user counts, and users of one organization by id', async () => {
      const org = await freshOrg(store());
      const ids = [];
      for (let i = 0; i < 5; i++) ids.push((await makeUser(store(), org))._id);
      ids.sort();
      const orgs = [];
      for (let after: string | undefined; ; ) {
        const page = await store().admin.organizations({ limit: 3, ...(after === undefined ? {} : { afterId: after }) });
        orgs.push(...page);
        if (page.length < 3) break;
        after = page[page.length - 1]?._id;
      }
      assert.deepEqual(orgs.map((o) => o._id), [...orgs.map((o) => o._id)].sort());
      assert.equal(orgs.find((o) => o._id === org)?.users, 5);
      const first = await store().admin.users(org, { limit: 2 });
      assert.deepEqual(first.map((u) => u._id), ids.slice(0, 2));
      const rest = await store().admin.users(org, { limit: 10, afterId: ids[1] ?? '' });
      assert.deepEqual(rest.map((u) => u._id), ids.slice(2));
      assert.deepEqual(await store().admin.users(await freshOrg(store()), { limit: 10 }), []);
    });

    it('finds users by a literal substring of login, e-mail or phone, in one organization or all', async () => {
      const [org, other] = [await freshOrg(store()), await freshOrg(store())];
      const tag = newId().slice(-8);
      const byLogin = await makeUser(store(), org, { login: `Mr_${tag}_x` });
      const byEmail = await makeUser(store(), org, { email: `${tag}@Example.com` });
      // Digits that never spell the tag (each hex digit shifted), or a tag of digits alone would
      // match this user's phone too.
      const byPhone = await makeUser(store(), other, { phone: `+49${[...tag].map((c) => String((parseInt(c, 16) + 1) % 10)).join('')}` });
      const decoy = await makeUser(store(), org, { login: `mrx${tag}` });
      const found = await store().admin.findUsers({ text: tag.toUpperCase(), limit: 10 });
      assert.deepEqual(new Set(found.map((u) => u._id)), new Set([byLogin._id, byEmail._id, decoy._id]));
      const phone = byPhone.phone?.slice(3) ?? '';
      assert.deepEqual((await store().admin.findUsers({ text: phone, limit: 10 })).map((u) => u._id), [byPhone._id]);
      assert.deepEqual((await store().admin.findUsers({ text: phone, orgId: org, limit: 10 })).map((u) => u._id), []);
      // `_` is a wildcard in LIKE; here it is a character.
      assert.deepEqual((await store().admin.findUsers({ text: `r_${tag}`, orgId: org, limit: 10 })).map((u) => u._id), [byLogin._id]);
    });
  });

  describe('AdminStore deletions', () => {
    it('counts a filled organization in every table', async () => {
      const filled = await fillOrganization(store());
      const counts = await store().admin.countOrganization(filled.orgId);
      assert.deepEqual(Object.keys(counts).sort(), [...ALL_TABLES]);
      assert.equal(counts.users, 2);
      assert.equal(counts.messages, 5);
      assert.equal(counts.organizations, 1);
    });

    it('deletes an organization step by step, completely, leaving another one as it was', async () => {
      const doomed = await fillOrganization(store());
      const kept = await fillOrganization(store());
      const before = await store().admin.countOrganization(kept.orgId);
      let from: string | undefined;
      let steps = 0;
      for (;;) {
        const step = await store().admin.deleteOrganizationRows(doomed.orgId, 2, from);
        if (!step) break;
        assert.ok(step.count <= 2);
        from = step.table;
        steps += 1;
      }
      assert.ok(steps >= ALL_TABLES.length);
      assert.deepEqual(await store().admin.countOrganization(doomed.orgId), {});
      assert.equal(await store().organizations.byId(doomed.orgId), undefined);
      assert.deepEqual(await store().admin.countOrganization(kept.orgId), before);
      assert.equal(await store().admin.deleteOrganizationRows(doomed.orgId, 2), undefined);
    });

    it('deletes messages by conversation or sender in bounded batches, with what hangs on them', async () => {
      const f = await fillOrganization(store());
      const other = await fillOrganization(store());
      const otherBefore = await store().admin.countOrganization(other.orgId);
      await assert.rejects(store().admin.deleteMessages(f.orgId, {}, 10));
      // Another organization's id selects nothing.
      assert.equal(await store().admin.deleteMessages(other.orgId, { cid: f.group }, 10), 0);
      assert.equal(await store().admin.deleteMessages(f.orgId, { cid: f.group, from: f.a }, 1), 1);
      assert.equal(await store().admin.deleteMessages(f.orgId, { cid: f.group, from: f.a }, 10), 1);
      assert.equal(await store().admin.deleteMessages(f.orgId, { cid: f.group, from: f.a }, 10), 0);
      assert.equal(await store().admin.deleteMessages(f.orgId, { from: f.a }, 10), 1);
      for (const id of f.sentBy.a) assert.equal(await store().messages.byId(f.orgId, id), undefined);
      for (const id of f.sentBy.b) assert.ok(await store().messages.byId(f.orgId, id));
      const left = await store().admin.countUser(f.orgId, f.b);
      // b's read statuses and reaction were on a's messages; a's encrypted message left b's inbox.
      assert.equal(left.message_statuses, undefined);
      assert.equal(left.message_reactions, undefined);
      assert.equal(left.encrypted_inbox, undefined);
      assert.deepEqual(await store().admin.countOrganization(other.orgId), otherBefore);
    });

    it('deletes a user\'s private rows, and with activity their memberships too, counting what went', async () => {
      const f = await fillOrganization(store());
      const other = await fillOrganization(store());
      const otherBefore = await store().admin.countOrganization(other.orgId);
      const bBefore = await store().admin.countUser(f.orgId, f.b);
      const counts = await store().admin.countUser(f.orgId, f.a);
      assert.equal(counts.users, 1);
      assert.equal(counts.messages, 3);
      assert.equal(counts.conversation_participants, 2);
      assert.equal(counts.files, 1);
      assert.equal(counts.blocked_users, 1);
      // Of another organization, nothing is deleted.
      assert.deepEqual(await store().admin.deleteUserRows(other.orgId, f.a, { activity: true }), {});
      const removed = await store().admin.deleteUserRows(f.orgId, f.a, { activity: false });
      assert.equal(removed.users, 1);
      assert.equal(removed.conversation_participants, undefined);
      assert.equal(await store().users.byId(f.orgId, f.a), undefined);
      const left = await store().admin.countUser(f.orgId, f.a);
      assert.deepEqual(Object.keys(left).sort(), ['conversation_participants', 'files', 'message_hidden', 'message_reactions', 'message_statuses', 'messages']);
      // b keeps everything but the block row a held against b and what went through a.
      const bAfter = await store().admin.countUser(f.orgId, f.b);
      assert.deepEqual(bAfter, { ...bBefore, blocked_users: 1 });
      assert.deepEqual(await store().admin.countOrganization(other.orgId), otherBefore);
    });

    it('removes memberships with activity and keeps participant counts exact', async () => {
      const f = await fillOrganization(store());
      const removed = await store().admin.deleteUserRows(f.orgId, f.b, { activity: true });
      assert.equal(removed.conversation_participants, 2);
      assert.equal(removed.message_statuses, 2);
      assert.equal(removed.message_reactions, 1);
      assert.equal((await store().conversations.byId(f.orgId, f.group))?.participants_count, 1);
      assert.deepEqual((await store().participants.list(f.group)).map((p) => p.user_id), [f.a]);
      const left = await store().admin.countUser(f.orgId, f.b);
      assert.deepEqual(Object.keys(left).sort(), ['files', 'messages']);
    });

    it('lists conversation and file ids of an organization or of one user, in pages', async () => {
      const f = await fillOrganization(store());
      assert.deepEqual(await store().admin.conversationIds(f.orgId, { limit: 10 }), [f.group, f.direct].sort());
      const [firstId] = [f.group, f.direct].sort();
      assert.equal((await store().admin.conversationIds(f.orgId, { limit: 10, afterId: firstId ?? '' })).length, 1);
      assert.deepEqual(await store().admin.conversationIds(f.orgId, { limit: 10, userId: f.b }), [f.group, f.direct].sort());
      assert.deepEqual(await store().admin.conversationIds(await freshOrg(store()), { limit: 10, userId: f.b }), []);
      assert.deepEqual(await store().admin.fileIds(f.orgId, { limit: 10 }), [...f.filesOf.a, ...f.filesOf.b].sort());
      assert.deepEqual(await store().admin.fileIds(f.orgId, { limit: 10, userId: f.b }), f.filesOf.b);
    });
  });

  describe('PushOutboxStore (operators)', () => {
    const row = (org: string, createdAt: number): { _id: string; organization_id: string; user_id: string; payload: string; created_at: number } => ({ _id: newId(), organization_id: org, user_id: newId(), payload: '{"title":"hi"}', created_at: createdAt });

    it('counts by state, lists, retries tried rows now and purges by age, within one organization', async () => {
      const [org, other] = [await freshOrg(store()), await freshOrg(store())];
      const rows = [row(org, 100), row(org, 200), row(org, 300), row(org, 400)];
      await store().pushOutbox.enqueue(rows);
      await store().pushOutbox.enqueue([row(other, 50)]);
      const ids = rows.map((r) => r._id);
      // The first two rows are tried (claim counts the try); the first fails and is due again
      // at 1000, the second is still leased until 9000.
      const claimed = await store().pushOutbox.claim(100, 250, 9000);
      assert.ok(claimed.some((c) => c._id === ids[0]) && claimed.some((c) => c._id === ids[1]));
      await store().pushOutbox.markFailed(ids[0] ?? '', 1000);
      const now = 2000;
      const stats = await store().pushOutbox.stats(now, org);
      assert.equal(stats.total, 4);
      assert.deepEqual(stats.byState, { new: 2, due: 1, waiting: 1 });
      assert.equal(stats.maxAttempts, 1);
      assert.equal(stats.oldestCreatedAt, 100);
      assert.equal(stats.oldestDueCreatedAt, 100);
      const listed = await store().pushOutbox.list({ limit: 10, orgId: org }, now);
      assert.deepEqual(listed.map((e) => e._id), [...ids].sort());
      assert.deepEqual(listed.map((e) => e.state), ['due', 'waiting', 'new', 'new']);
      assert.equal(listed[0]?.attempts, 1);
      assert.equal(listed[0]?.next_attempt_at, 1000);
      assert.deepEqual((await store().pushOutbox.list({ limit: 10, orgId: org, state: 'waiting' }, now)).map((e) => e._id), [ids[1]]);
      assert.deepEqual((await store().pushOutbox.list({ limit: 1, orgId: org, afterId: ids[1] ?? '' }, now)).map((e) => e._id), [ids[2]]);
      assert.equal((await store().pushOutbox.list({ limit: 10, orgId: other }, now)).length, 1);
      assert.equal(await store().pushOutbox.retryNow(now, { ids: [] }), 0);
      assert.equal(await store().pushOutbox.retryNow(now, { orgId: org }), 1);
      assert.deepEqual((await store().pushOutbox.stats(now, org)).byState, { new: 2, due: 2, waiting: 0 });
      assert.equal(await store().pushOutbox.retryNow(now, { orgId: org, resetAttempts: true }), 2);
      assert.equal((await store().pushOutbox.stats(now, org)).byState.new, 4);
      assert.equal(await store().pushOutbox.purge({ orgId: org, createdBefore: 250 }, 1), 1);
      assert.equal(await store().pushOutbox.purge({ orgId: org, createdBefore: 250 }, 10), 1);
      assert.equal(await store().pushOutbox.purge({ orgId: org, createdBefore: 250 }, 10), 0);
      assert.equal(await store().pushOutbox.purge({ orgId: org }, 10), 2);
      assert.equal((await store().pushOutbox.stats(now, org)).total, 0);
      assert.equal((await store().pushOutbox.stats(now, other)).total, 1);
    });
  });
}
