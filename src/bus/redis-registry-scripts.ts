/**
 * The Lua scripts of the Redis session registry (`redis-registry.ts` describes the key layout).
 * Each runs atomically in Redis, holding every other client of it meanwhile.
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
 * Every session of every live node, as node id, field, flag triples.
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
 * back to a whole read of the node; the log starts empty at the current sequence number.
 * KEYS: sessions hash, log list, seq counter, epoch key. ARGV: epoch, then field, flag pairs.
 */
export const RESET = `
redis.call('DEL', KEYS[1], KEYS[2])
for i = 2, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('INCR', KEYS[3])
redis.call('SET', KEYS[4], ARGV[1])
return 1
`;

/**
 * What changed on every live node other than the caller since the caller's cursors. For each
 * live node: node id, kind, epoch, sequence number, count, then count strings. Kind 'same':
 * nothing changed (count 0); 'delta': the log entries after the cursor ("seq\tflag\tfield");
 * 'full': the whole hash as field, flag pairs — when the caller has no cursor for the node, the
 * node was rewritten (another epoch, or none: a node that keeps no log), or the log no longer
 * reaches back to the cursor. Node ids alone (kind 'self') report the caller as live.
 * KEYS: nodes set. ARGV: key prefix, caller's node id, then node id, epoch, seq cursors.
 */
export const READ = `
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
      local kind = 'full'
      local items = {}
      if k and epoch ~= '' and k[1] == epoch and k[2] <= seq then
        if k[2] == seq then
          kind = 'same'
        else
          local log = ARGV[1] .. 'log:' .. node
          local first = redis.call('LINDEX', log, 0)
          local fseq = first and tonumber(string.match(first, '^(%d+)'))
          if fseq and fseq <= k[2] + 1 then
            kind = 'delta'
            items = redis.call('LRANGE', log, k[2] + 1 - fseq, -1)
          end
        end
      end
      if kind == 'full' then items = redis.call('HGETALL', ARGV[1] .. 'sessions:' .. node) end
      table.insert(out, node); table.insert(out, kind); table.insert(out, epoch); table.insert(out, tostring(seq)); table.insert(out, #items)
      for _, v in ipairs(items) do table.insert(out, v) end
    end
  end
end
return out
`;

/**
 * Removes every node whose alive key has expired, with its sessions, and returns them as node
 * id, field, flag triples, plus a lone node id (followed by two empty strings) for a dead node
 * without sessions. Atomic, so a dead node is reaped by exactly one caller.
 * KEYS: nodes set. ARGV: key prefix.
 */
export const REAP = `
local out = {}
for _, node in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', ARGV[1] .. 'alive:' .. node) == 0 then
    local key = ARGV[1] .. 'sessions:' .. node
    local h = redis.call('HGETALL', key)
    table.insert(out, node)
    table.insert(out, '')
    table.insert(out, '')
    for i = 1, #h, 2 do
      table.insert(out, node)
      table.insert(out, h[i])
      table.insert(out, h[i + 1])
    end
    redis.call('DEL', key, ARGV[1] .. 'log:' .. node, ARGV[1] .. 'seq:' .. node, ARGV[1] .. 'epoch:' .. node)
    redis.call('SREM', KEYS[1], node)
  end
end
return out
`;
