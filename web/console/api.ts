/**
 * The admin API as the console calls it. The admin key lives in this object only — in memory,
 * never in a URL, a cookie or storage — and goes with each request in the `admin-api-key`
 * header; a reload signs out. A header that scripts must set cannot be sent by another site's
 * page, so the API needs no CSRF token.
 */

/** A refusal of the admin API: its HTTP status and message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface Organization {
  _id: string;
  name: string;
  users: number;
  created_at: string;
}

export interface AdminUser {
  _id: string;
  login: string;
  email?: string;
  phone?: string;
  first_name?: string;
  last_name?: string;
  organization_id: string;
  created_at: string;
  recent_activity: number;
}

export interface AdminConversation {
  _id: string;
  type: string;
  name?: string;
  owner_id: string;
  opponent_id?: string;
  created_at: string;
  updated_at: string;
}

export interface LatencyBucket {
  /** Upper bound, seconds; null for +Inf. */
  le: number | null;
  count: number;
}

export interface Health {
  status: 'ok' | 'down' | 'unused';
  ms?: number;
}

export interface Overview {
  at: number;
  node_id: string;
  uptime: number;
  online_users: number;
  connections: number;
  messages_per_minute: number | null;
  nodes: { node_id: string; connections: number; started_at: number }[];
  messages_total: number;
  latency: { buckets: LatencyBucket[]; p50: number | null; p99: number | null };
  push_outbox: number | null;
  health: { store: Health; redis: Health };
}

export interface PushEntry {
  _id: string;
  user_id: string;
  organization_id: string;
  state: 'new' | 'due' | 'waiting';
  attempts: number;
  created_at: number;
  next_attempt_at: number;
  payload: string;
}

export interface PushOutbox {
  now: number;
  stats: { total: number; byState: Record<'new' | 'due' | 'waiting', number>; oldestCreatedAt: number | null; oldestDueCreatedAt: number | null; maxAttempts: number };
  pushes: PushEntry[];
  next: string | null;
}

export class AdminApi {
  constructor(private readonly key: string) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { 'admin-api-key': this.key };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(path, { method, headers, credentials: 'omit', cache: 'no-store', ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (!res.ok) {
      const message = (parsed as { error?: { message?: string } } | undefined)?.error?.message ?? (text || res.statusText);
      throw new ApiError(res.status, message);
    }
    return parsed as T;
  }

  overview(): Promise<Overview> {
    return this.call('GET', '/admin/overview');
  }

  organizations(): Promise<{ organizations: Organization[]; next: string | null }> {
    return this.call('GET', '/admin/organizations?limit=200');
  }

  createOrganization(name: string): Promise<{ organization: Organization }> {
    return this.call('POST', '/admin/organization', { name });
  }

  users(orgId: string, q: string, after?: string): Promise<{ users: AdminUser[]; next: string | null }> {
    const params = new URLSearchParams({ limit: '50' });
    if (q !== '') params.set('q', q);
    if (after !== undefined) params.set('after', after);
    return this.call('GET', `/admin/organizations/${encodeURIComponent(orgId)}/users?${params.toString()}`);
  }

  createUser(orgId: string, fields: { login: string; email?: string; password?: string }): Promise<{ user: AdminUser; password?: string }> {
    return this.call('POST', `/admin/organizations/${encodeURIComponent(orgId)}/users`, fields);
  }

  resetPassword(orgId: string, userId: string): Promise<{ user: AdminUser; password?: string; online: boolean }> {
    return this.call('POST', `${userPath(orgId, userId)}/password`, {});
  }

  revokeSessions(orgId: string, userId: string): Promise<{ user: AdminUser; online: boolean }> {
    return this.call('POST', `${userPath(orgId, userId)}/revoke`, {});
  }

  deleteUser(orgId: string, userId: string): Promise<{ deleted: boolean }> {
    return this.call('DELETE', userPath(orgId, userId));
  }

  conversations(orgId: string, userId: string): Promise<{ conversations: AdminConversation[] }> {
    return this.call('GET', `${userPath(orgId, userId)}/conversations`);
  }

  pushOutbox(orgId: string): Promise<PushOutbox> {
    return this.call('GET', `/admin/push-outbox${orgId === '' ? '' : `?orgId=${encodeURIComponent(orgId)}`}`);
  }
}

function userPath(orgId: string, userId: string): string {
  return `/admin/organizations/${encodeURIComponent(orgId)}/users/${encodeURIComponent(userId)}`;
}
