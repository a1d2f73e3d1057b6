import { publicConversation } from '../../domain/conversations.js';
import { eraseUser } from '../../domain/erasure.js';
import { publicOrganization } from '../../domain/organizations.js';
import { createAccount, generatePassword, resetAccountPassword } from '../../domain/user-accounts.js';
import { publicUser } from '../../domain/users.js';
import type { ObjectStorage } from '../../files/storage.js';
import type { UserRecord } from '../../store/store.js';
import type { HttpRoutes } from '../http.js';
import type { LocalSessions } from '../sessions.js';
import { endUserSessions } from './admin-sessions.js';
import { adminJson, badInput, bodyOf, nextOf, optionalString, organizationOf, pageOf, stringsOf, userOf } from './admin-json.js';

/** A user as the console shows it: the public user object plus its organization. */
function shown(u: UserRecord): Record<string, unknown> {
  return { ...publicUser(u), organization_id: u.organization_id };
}

/** What the console's organization and user routes need beyond the HTTP context. */
export interface ConsoleUserDeps {
  /** This node's sockets, to close a changed user's sessions. */
  readonly sessions: LocalSessions;
  /** Makes the node forget cached reads after an account changed beneath it. */
  readonly forgetCachedReads: () => void;
  /** Where files live, for deleting a user's uploads with the user. */
  readonly storage: ObjectStorage;
}

/**
 * The web console's organizations and users (JSON, behind the admin key; see admin-json.ts):
 * - `GET /admin/organizations?limit&after` → `{organizations: [{…, users}], next}`
 * - `GET /admin/organizations/:orgId/users?q&limit&after` → `{users, next}` (`q`: login, e-mail
 *   or phone containing it, at most `limit`, no paging)
 * - `POST /admin/organizations/:orgId/users` `{login, password?, email?, phone?, first_name?,
 *   last_name?}` → 201 `{user, password?}` (a generated password is returned once)
 * - `POST /admin/organizations/:orgId/users/:userId/password` `{password?}` → `{user, password?,
 *   online}`: new password, every token revoked, sockets closed (4002)
 * - `POST /admin/organizations/:orgId/users/:userId/revoke` → `{user, online}`: tokens revoked,
 *   sockets closed (4002)
 * - `DELETE /admin/organizations/:orgId/users/:userId?keepMessages=true` → `{deleted, removed,
 *   conversationsDeleted, ownershipsHandedOver}`: domain/erasure.ts, then sockets closed (4001)
 * - `GET /admin/organizations/:orgId/users/:userId/conversations?limit` → `{conversations}`,
 *   newest first
 * The same domain functions as the admin CLI; users are looked up within the organization of
 * the path, so another organization's ids are refused with 404.
 */
export function adminConsoleUserRoutes(deps: ConsoleUserDeps): HttpRoutes {
  return (app, ctx) => {
    const store = ctx.deps.store;
    const now = (): number => Date.now();
    const end = async (user: UserRecord, reason: 'password' | 'revoked' | 'deleted'): Promise<boolean> => {
      deps.forgetCachedReads();
      return endUserSessions(ctx, deps.sessions, user.organization_id, user._id, reason);
    };

    app.get('/admin/organizations', adminJson(ctx, async (req) => {
      const page = pageOf(stringsOf(req.query));
      const orgs = await store.admin.organizations(page);
      return { organizations: orgs.map((o) => ({ ...publicOrganization(o), users: o.users })), next: nextOf(orgs, page.limit) };
    }));

    app.get('/admin/organizations/:orgId/users', adminJson(ctx, async (req) => {
      const org = await organizationOf(ctx, stringsOf(req.params).orgId);
      const query = stringsOf(req.query);
      const page = pageOf(query);
      if (query.q !== undefined && query.q.trim() !== '') {
        const found = await store.admin.findUsers({ text: query.q.trim(), orgId: org._id, limit: page.limit });
        return { users: found.map(shown), next: null };
      }
      const users = await store.admin.users(org._id, page);
      return { users: users.map(shown), next: nextOf(users, page.limit) };
    }));

    app.post('/admin/organizations/:orgId/users', adminJson(ctx, async (req, reply) => {
      const org = await organizationOf(ctx, stringsOf(req.params).orgId);
      const body = bodyOf(req);
      const login = optionalString(body, 'login');
      if (login === undefined) throw badInput('"login" is required');
      const given = optionalString(body, 'password');
      const password = given ?? generatePassword();
      const user = await createAccount(store, ctx.deps.passwords, org._id, {
        login,
        password,
        email: optionalString(body, 'email'),
        phone: optionalString(body, 'phone'),
        firstName: optionalString(body, 'first_name'),
        lastName: optionalString(body, 'last_name'),
      }, now());
      return reply.code(201).send({ user: shown(user), ...(given === undefined ? { password } : {}) });
    }));

    app.post('/admin/organizations/:orgId/users/:userId/password', adminJson(ctx, async (req) => {
      const params = stringsOf(req.params);
      const user = await userOf(ctx, params.orgId, params.userId);
      const given = optionalString(bodyOf(req), 'password');
      const password = given ?? generatePassword();
      await resetAccountPassword(store, ctx.deps.passwords, user, password, now());
      const online = await end(user, 'password');
      return { user: shown(user), ...(given === undefined ? { password } : {}), online };
    }));

    app.post('/admin/organizations/:orgId/users/:userId/revoke', adminJson(ctx, async (req) => {
      const params = stringsOf(req.params);
      const user = await userOf(ctx, params.orgId, params.userId);
      await store.tokens.deleteUser(user._id);
      const online = await end(user, 'revoked');
      return { user: shown(user), online };
    }));

    app.delete('/admin/organizations/:orgId/users/:userId', adminJson(ctx, async (req) => {
      const params = stringsOf(req.params);
      const user = await userOf(ctx, params.orgId, params.userId);
      const keep = stringsOf(req.query).keepMessages;
      if (keep !== undefined && keep !== 'true' && keep !== 'false') throw badInput('"keepMessages" must be true or false');
      const keepMessages = keep === 'true';
      const result = await eraseUser(store, keepMessages ? undefined : deps.storage, user.organization_id, user._id, {
        keepMessages,
        now: now(),
        yieldToWriters: store.dialect === 'sqlite',
      });
      await end(user, 'deleted');
      return { user: shown(user), deleted: true, keepMessages, ...result };
    }));

    app.get('/admin/organizations/:orgId/users/:userId/conversations', adminJson(ctx, async (req) => {
      const params = stringsOf(req.params);
      const user = await userOf(ctx, params.orgId, params.userId);
      const { limit } = pageOf(stringsOf(req.query), 100);
      const conversations = await store.conversations.listForUser(user.organization_id, user._id, { limit });
      return { conversations: conversations.map((c) => publicConversation(c)) };
    }));
  };
}
