/**
 * The Lua scripts of the Redis session registry (`redis-registry.ts` describes the key layout).
 * Each runs atomically in Redis, so each must stay short: nothing here reads a node's whole hash
 * except SNAPSHOT (see its note).
 */

/**
 * Heartbeat: refreshes this node's alive key and its membership of the node set. Returns 1 when
 * the node was not a member — the registry lost it (a Redis restart, or it was reaped as dead).
 * KEYS: nodes set, alive key. ARGV: node id, ttl ms.
 */
export const HEARTBEAT = `
redis.call('SET', KEYS[2], '1', 'PX', ARGV[2])
return redis.call('SADD', KEYS[1], ARGV[1])
`;

/**
 * Every session of every live node, as node id, field, flag triples. Reads every hash in one
 * script (Redis is held for all of it): tests and the registry bench only, never a reconcile.
 * KEYS: nodes set. ARGV: key prefix.
 */
export const SNAPSHOT = `
local out = {}
for _, node in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', ARGV[1] .. 'alive:' .. node) == 1 then
    local h = redis.call('HGETALL', ARGV[1] .. 'sessions:' .. node)
    for i = 1, #h, 2 do
      table.insert(out, node)
      table.insert(out, h[i])
      table.insert(out, h[i + 1])
    end
  end
end
return out
`;

/**
 * Records one change of this node's entries: field → flag ('0', '1'), or '-' to remove it.
 * A change that changes nothing is not logged. Each logged change gets the next number of the
 * node's sequence and goes on the node's change log, which keeps the newest ARGV[3].
 * KEYS: sessions hash, log list, seq counter. ARGV: field, flag, log length.
 */
export const WRITE = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if ARGV[2] == '-' then
  if not cur then return 0 end
  redis.call('HDEL', KEYS[1], ARGV[1])
else
  if cur == ARGV[2] then return 0 end
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
end
local n = redis.call('INCR', KEYS[3])
redis.call('RPUSH', KEYS[2], n .. '\t' .. ARGV[2] .. '\t' .. ARGV[1])
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[3]), -1)
return n
`;

/**
 * Rewrites this node's entries (start, republish) under a new epoch, which sends every reader
 * back to a whole read of the node; the log starts empty at the current sequence number. The
 * new entries were written beforehand, in chunks, to a key of their own (KEYS[5]), which this
 * moves into place in O(1): one script writing 16,667 entries held Redis for 56 ms
 * (docs/benchmarks.md). No such key (a rewrite to no entries) leaves the node none.
 * KEYS: sessions hash, log list, seq counter, epoch key, new entries' hash. ARGV: epoch.
 */
export const RESET = `
redis.call('UNLINK', KEYS[1], KEYS[2])
if redis.call('EXISTS', KEYS[5]) == 1 then
  redis.call('RENAME', KEYS[5], KEYS[1])
  redis.call('PERSIST', KEYS[1])
end
redis.call('INCR', KEYS[3])
redis.call('SET', KEYS[4], ARGV[1])
return 1
`;

/**
 * A Lua function shared by READ and TAIL: what a reader whose copy of a node is as of `kseq` of
 * `kepoch` must read to be current, given the node's epoch and seq now. Returns 'same' (nothing
 * changed), 'delta' with the log entries after `kseq` ("seq\tflag\tfield"), or 'full' (the copy
 * cannot be brought up to date from the log: another epoch, or none — a node whose keys Redis
 * lost and that has not rewritten them, whose log is therefore not to be trusted — or the log no
 * longer reaches back to `kseq`).
 */
const SINCE = `
local function since(epoch, seq, log, kepoch, kseq)
  if epoch == '' or kepoch ~= epoch or kseq > seq then return 'full', {} end
  if kseq == seq then return 'same', {} end
  local first = redis.call('LINDEX', log, 0)
  local fseq = first and tonumber(string.match(first, '^(%d+)'))
  if fseq and fseq <= kseq + 1 then return 'delta', redis.call('LRANGE', log, kseq + 1 - fseq, -1) end
  return 'full', {}
end
`;

/**
 * What changed on every live node other than the caller since the caller's cursors. For each
 * live node: node id, kind, epoch, sequence number, count, then count strings. Kind 'same' or
 * 'delta' as SINCE answers for the caller's cursor; 'full' (count 0) when the caller has no
 * cursor for the node or SINCE answers 'full': the caller then reads the node's hash itself, in
 * chunks, from this epoch and seq on. Node ids alone (kind 'self') report the caller as live.
 * KEYS: nodes set. ARGV: key prefix, caller's node id, then node id, epoch, seq cursors.
 */
export const READ = `${SINCE}
local known = {}
for i = 3, #ARGV, 3 do known[ARGV[i]] = { ARGV[i + 1], tonumber(ARGV[i + 2]) } end
local out = {}
for _, node in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', ARGV[1] .. 'alive:' .. node) == 1 then
    if node == ARGV[2] then
      table.insert(out, node); table.insert(out, 'self'); table.insert(out, ''); table.insert(out, '0'); table.insert(out, 0)
    else
      local epoch = redis.call('GET', ARGV[1] .. 'epoch:' .. node) or ''
      local seq = tonumber(redis.call('GET', ARGV[1] .. 'seq:' .. node) or '0')
      local k = known[node]
      local kind, items = 'full', {}
      if k then kind, items = since(epoch, seq, ARGV[1] .. 'log:' .. node, k[1], k[2]) end
      table.insert(out, node); table.insert(out, kind); table.insert(out, epoch); table.insert(out, tostring(seq)); table.insert(out, #items)
      for _, v in ipairs(items) do table.insert(out, v) end
    end
  end
end
return out
`;

/**
 * Brings one node's copy, scanned since `seq` of `epoch` was taken, up to date: kind (as SINCE
 * answers), the node's epoch and seq now, then the log entries after ARGV[2] for 'delta'.
 * KEYS: the node's epoch key, seq counter, log list. ARGV: epoch, seq.
 */
export const TAIL = `${SINCE}
local epoch = redis.call('GET', KEYS[1]) or ''
local seq = tonumber(redis.call('GET', KEYS[2]) or '0')
local kind, items = since(epoch, seq, KEYS[3], ARGV[1], tonumber(ARGV[2]))
local out = { kind, epoch, tostring(seq) }
for _, v in ipairs(items) do table.insert(out, v) end
return out
`;

/**
 * Claims every node whose alive key has expired: removes it from the node set with its log, seq
 * and epoch, and renames its sessions hash (O(1)) to `reaping:<node>:<ARGV[2]>`, which expires
 * after ARGV[3] ms should the caller die before reading it. Atomic, so each dead node is claimed
 * by exactly one caller, who then reads the renamed hash in chunks and deletes it: nothing here
 * reads a hash whole (one script reading a dead node's 16,667 entries held Redis for 32 ms,
 * docs/benchmarks.md). Returns node id, renamed key pairs; the key is '' for a node without
 * sessions.
 * KEYS: nodes set. ARGV: key prefix, claim token, expiry ms.
 */
export const REAP = `
local out = {}
for _, node in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', ARGV[1] .. 'alive:' .. node) == 0 then
    local key = ARGV[1] .. 'sessions:' .. node
    local claimed = ''
    if redis.call('EXISTS', key) == 1 then
      claimed = ARGV[1] .. 'reaping:' .. node .. ':' .. ARGV[2]
      redis.call('RENAME', key, claimed)
      redis.call('PEXPIRE', claimed, ARGV[3])
    end
    redis.call('UNLINK', ARGV[1] .. 'log:' .. node, ARGV[1] .. 'seq:' .. node, ARGV[1] .. 'epoch:' .. node)
    redis.call('SREM', KEYS[1], node)
    table.insert(out, node)
    table.insert(out, claimed)
  end
end
return out
`;
