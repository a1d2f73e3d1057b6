import { marks, type ImportTarget } from './target.js';

/**
 * What mappers need to know about records already in the store: which organizations, users,
 * conversations and messages exist (and where), which private-pair keys and organization names
 * are taken, which device holds an identity key. Answers come from the store, so records of an
 * earlier (interrupted) run and of Parley itself count. The orchestrator calls `prefetch` with a
 * batch's references, then the mappers read synchronously. Import phases run in reference order
 * (organizations, users, conversations, …), so an answer — "absent" included — stays true for the
 * rest of the run and is cached, up to a bound.
 */

export interface ConversationRef {
  readonly org: string;
  readonly type: string;
}

export interface MessageRef {
  readonly org: string;
  readonly cid: string;
}

export interface DeviceRef {
  readonly user_id: string;
  readonly device_id: string;
}

/** The ids a batch of records refers to. */
export interface Refs {
  organizations?: string[];
  orgNames?: string[];
  users?: string[];
  conversations?: string[];
  messages?: string[];
  /** `${org}|${pair_key}` of private conversations (neither part contains `|`). */
  pairs?: string[];
  identityKeys?: string[];
}

/** Past this many entries a cache is emptied (answers are fetched again as needed). */
const CACHE_LIMIT = 200_000;
/** Ids per IN list. */
const CHUNK = 500;

class Cache<V> {
  private readonly map = new Map<string, V | null>();
  get(key: string): V | null | undefined {
    return this.map.get(key);
  }
  set(key: string, value: V | null): void {
    if (this.map.size >= CACHE_LIMIT) this.map.clear();
    this.map.set(key, value);
  }
  missing(keys: Iterable<string>): string[] {
    const out = new Set<string>();
    for (const k of keys) if (!this.map.has(k)) out.add(k);
    return [...out];
  }
}

export class Lookups {
  private readonly orgs = new Cache<true>();
  private readonly orgNames = new Cache<string>();
  private readonly users = new Cache<string>();
  private readonly convs = new Cache<ConversationRef>();
  private readonly msgs = new Cache<MessageRef>();
  private readonly pairs = new Cache<string>();
  private readonly identities = new Cache<DeviceRef[]>();

  /** `orgMap`: SAMA organization id → Parley organization id (`--map-organization`). */
  constructor(
    private readonly target: ImportTarget,
    private readonly orgMap: ReadonlyMap<string, string>,
  ) {}

  /** The Parley organization a SAMA organization id stands for (itself unless mapped). */
  mapOrg(samaId: string): string {
    return this.orgMap.get(samaId) ?? samaId;
  }

  /** True when `samaId` was mapped onto another organization by the operator. */
  isMapped(samaId: string): boolean {
    return this.orgMap.has(samaId);
  }

  async prefetch(refs: Refs): Promise<void> {
    await this.fill(this.orgs, refs.organizations?.map((o) => this.mapOrg(o)), (ids) => `select id as k from organizations where id in (${marks(ids.length)})`, () => true);
    await this.fill(this.orgNames, refs.orgNames, (names) => `select name as k, id from organizations where name in (${marks(names.length)})`, (r) => r.id ?? '');
    await this.fill(this.users, refs.users, (ids) => `select id as k, organization_id as org from users where id in (${marks(ids.length)})`, (r) => r.org ?? '');
    await this.fill(this.convs, refs.conversations, (ids) => `select id as k, organization_id as org, type from conversations where id in (${marks(ids.length)})`, (r) => ({ org: r.org ?? '', type: r.type ?? '' }));
    await this.fill(this.msgs, refs.messages, (ids) => `select id as k, organization_id as org, cid from messages where id in (${marks(ids.length)})`, (r) => ({ org: r.org ?? '', cid: r.cid ?? '' }));
    await this.fill(
      this.pairs,
      refs.pairs,
      (keys) => `select organization_id || '|' || pair_key as k, id from conversations where pair_key in (${marks(keys.length)})`,
      (r) => r.id ?? '',
      (k) => k.slice(k.indexOf('|') + 1),
    );
    const keys = this.identities.missing(refs.identityKeys ?? []);
    for (let at = 0; at < keys.length; at += CHUNK) {
      const chunk = keys.slice(at, at + CHUNK);
      const rows = await this.target.select<{ identity_key: string; user_id: string; device_id: string }>(`select identity_key, user_id, device_id from encrypted_devices where identity_key in (${marks(chunk.length)})`, chunk);
      const found = new Map<string, DeviceRef[]>();
      for (const r of rows) {
        let list = found.get(r.identity_key);
        if (!list) found.set(r.identity_key, (list = []));
        list.push({ user_id: r.user_id, device_id: r.device_id });
      }
      for (const k of chunk) this.identities.set(k, found.get(k) ?? null);
    }
  }

  private async fill<V>(cache: Cache<V>, wanted: readonly string[] | undefined, sql: (keys: string[]) => string, value: (row: Record<string, string | undefined>) => V, param: (key: string) => string = (k) => k): Promise<void> {
    if (!wanted || wanted.length === 0) return;
    const keys = cache.missing(wanted);
    for (let at = 0; at < keys.length; at += CHUNK) {
      const chunk = keys.slice(at, at + CHUNK);
      const rows = await this.target.select<Record<string, string | undefined>>(sql(chunk), chunk.map(param));
      const found = new Map(rows.map((r) => [r.k ?? '', value(r)]));
      for (const k of chunk) cache.set(k, found.get(k) ?? null);
    }
  }

  /** True when the (mapped) organization exists in Parley. */
  organizationExists(samaId: string): boolean {
    return this.orgs.get(this.mapOrg(samaId)) === true;
  }

  /** The id of the organization that has this name, if any. */
  organizationNamed(name: string): string | undefined {
    return this.orgNames.get(name) ?? undefined;
  }

  /** Records that an organization now exists with this id and name (later records of the batch see it). */
  claimOrganization(id: string, name: string): void {
    this.orgs.set(id, true);
    this.orgNames.set(name, id);
  }

  /** The organization of a stored user, or undefined when there is no such user. */
  userOrg(id: string): string | undefined {
    return this.users.get(id) ?? undefined;
  }

  conversation(id: string): ConversationRef | undefined {
    return this.convs.get(id) ?? undefined;
  }

  message(id: string): MessageRef | undefined {
    return this.msgs.get(id) ?? undefined;
  }

  /** The conversation holding this private-pair key in the organization, if any. */
  pairHolder(org: string, pairKey: string): string | undefined {
    return this.pairs.get(`${org}|${pairKey}`) ?? undefined;
  }

  claimPair(org: string, pairKey: string, cid: string): void {
    this.pairs.set(`${org}|${pairKey}`, cid);
  }

  /** The live devices registered with this identity key. */
  devicesWithIdentity(identityKey: string): readonly DeviceRef[] {
    return this.identities.get(identityKey) ?? [];
  }
}
