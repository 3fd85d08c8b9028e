#include "services/dynamodb/redis/redis_dynamodb_scripts.hpp"

namespace mallard::dynamodb::redis_scripts {

// Scripts build key names from their arguments (the tables an operation touches are only known
// once their versions are read); this is fine on a single Redis server, which is what Mallard
// supports. A table version is "<table id>:<generation>:<open stream id>".

const redis::RedisScript& ReadUnit() {
  static const redis::RedisScript script(R"lua(
local base = ARGV[1]
local tables = tonumber(ARGV[2])
local out = {}
local items_keys = {}
for t = 1, tables do
  local name = ARGV[2 + t]
  local version = redis.call('HGET', KEYS[2], name)
  if version then
    out[#out + 1] = version
    out[#out + 1] = redis.call('HGET', KEYS[1], name)
    items_keys[t] = base .. string.match(version, '^(%d+)') .. ':items'
  else
    out[#out + 1] = false
    out[#out + 1] = false
  end
end
for j = 3 + tables, #ARGV, 2 do
  local key = items_keys[tonumber(ARGV[j])]
  if key then out[#out + 1] = redis.call('HGET', key, ARGV[j + 1]) else out[#out + 1] = false end
end
return out
)lua");
  return script;
}

namespace {

// Lua shared by Apply and ClearScope: dropping a table with every key it owns, and every stream of
// a table name with its records. Index names come from the stored definition ("indexes"[].name).
constexpr const char* kDropLua = R"lua(
local function drop_table(tables, versions, base, name)
  local version = redis.call('HGET', versions, name)
  if version then
    local prefix = base .. string.match(version, '^(%d+)')
    local definition = redis.call('HGET', tables, name)
    if definition then
      local ok, decoded = pcall(cjson.decode, definition)
      if ok and type(decoded) == 'table' and type(decoded.indexes) == 'table' then
        for _, index in ipairs(decoded.indexes) do
          if type(index) == 'table' and type(index.name) == 'string' then
            redis.call('UNLINK', prefix .. ':ix:' .. index.name)
          end
        end
      end
    end
    redis.call('UNLINK', prefix .. ':items', prefix .. ':keys', prefix .. ':stats', prefix .. ':history')
  end
  redis.call('HDEL', tables, name)
  redis.call('HDEL', versions, name)
end
local function drop_streams(streams, records_base, table_name)
  local entries = redis.call('HGETALL', streams)
  for j = 1, #entries, 2 do
    local id, description = string.match(entries[j + 1], '^(%d+)|%d*|%d*|%d*|(.*)$')
    if id then
      local ok, decoded = pcall(cjson.decode, description)
      if ok and type(decoded) == 'table' and decoded.table == table_name then
        redis.call('UNLINK', records_base .. id)
        redis.call('HDEL', streams, entries[j])
      end
    end
  end
end
)lua";

}  // namespace

const redis::RedisScript& Apply() {
  // Index operations adjust the index statistics only when the entry really appeared or went:
  // while an index is being filled from existing items, a write may remove an entry the filler
  // has not added yet, and the counts must stay right either way.
  static const redis::RedisScript script(std::string(kDropLua) + R"lua(
local sequence_key = ARGV[1]
-- a scope whose snapshot export is reading live data takes no writes until it ends
if ARGV[2] ~= '' and redis.call('EXISTS', ARGV[2]) == 1 then return {'EXPORTING'} end
local checks = tonumber(ARGV[3])
local i = 4
for c = 1, checks do
  local current = redis.call('HGET', ARGV[i], ARGV[i + 1])
  if (current or '') ~= ARGV[i + 2] then return {'CONFLICT', c} end
  i = i + 3
end
local sequences = {}
local function count(stats, count_field, size_field, sign, size)
  redis.call('HINCRBY', stats, count_field, sign)
  redis.call('HINCRBY', stats, size_field, sign * tonumber(size))
end
while i <= #ARGV do
  local op = ARGV[i]
  if op == 'HSET' then
    redis.call('HSET', ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]); i = i + 4
  elseif op == 'HDEL' then
    redis.call('HDEL', ARGV[i + 1], ARGV[i + 2]); i = i + 3
  elseif op == 'HINCRBY' then
    redis.call('HINCRBY', ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]); i = i + 4
  elseif op == 'ZADD' then
    redis.call('ZADD', ARGV[i + 1], 0, ARGV[i + 2]); i = i + 3
  elseif op == 'ZREM' then
    redis.call('ZREM', ARGV[i + 1], ARGV[i + 2]); i = i + 3
  elseif op == 'IXADD' then
    if redis.call('ZADD', ARGV[i + 1], 0, ARGV[i + 2]) == 1 then
      count(ARGV[i + 3], ARGV[i + 4], ARGV[i + 5], 1, ARGV[i + 6])
    end
    i = i + 7
  elseif op == 'IXDEL' then
    if redis.call('ZREM', ARGV[i + 1], ARGV[i + 2]) == 1 then
      count(ARGV[i + 3], ARGV[i + 4], ARGV[i + 5], -1, ARGV[i + 6])
    end
    i = i + 7
  elseif op == 'IXFILL' then
    -- items hash, primary key, item text as read, then as IXADD: only if the item is unchanged.
    if redis.call('HGET', ARGV[i + 1], ARGV[i + 2]) == ARGV[i + 3] and
       redis.call('ZADD', ARGV[i + 4], 0, ARGV[i + 5]) == 1 then
      count(ARGV[i + 6], ARGV[i + 7], ARGV[i + 8], 1, ARGV[i + 9])
    end
    i = i + 10
  elseif op == 'RPUSH' then
    redis.call('RPUSH', ARGV[i + 1], ARGV[i + 2]); i = i + 3
  elseif op == 'SADD' then
    redis.call('SADD', ARGV[i + 1], ARGV[i + 2]); i = i + 3
  elseif op == 'UNLINK' then
    redis.call('UNLINK', ARGV[i + 1]); i = i + 2
  elseif op == 'RECORD' then
    -- records set, member: the member gets the next global sequence number as its score.
    local sequence = redis.call('INCR', sequence_key)
    redis.call('ZADD', ARGV[i + 1], sequence, ARGV[i + 2])
    sequences[#sequences + 1] = sequence
    i = i + 3
  elseif op == 'CLOSE' then
    -- streams hash, ARN, records set, now: a stream entry is "id|start|closed|end|description".
    local entry = redis.call('HGET', ARGV[i + 1], ARGV[i + 2])
    if entry then
      local id, start, closed, _, description = string.match(entry, '^(%d+)|(%d*)|(%d*)|(%d*)|(.*)$')
      if id and closed == '' then
        local last = redis.call('ZRANGE', ARGV[i + 3], -1, -1, 'WITHSCORES')
        local ending = last[2] or start
        redis.call('HSET', ARGV[i + 1], ARGV[i + 2],
                   id .. '|' .. start .. '|' .. ARGV[i + 4] .. '|' .. ending .. '|' .. description)
      end
    end
    i = i + 5
  elseif op == 'SEQFLOOR' then
    -- the sequence counter rises to at least the value (imported records keep their numbers)
    if tonumber(redis.call('GET', sequence_key) or '0') < tonumber(ARGV[i + 1]) then
      redis.call('SET', sequence_key, ARGV[i + 1])
    end
    i = i + 2
  elseif op == 'DROPTABLE' then
    -- definitions hash, versions hash, table key base, name
    drop_table(ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]); i = i + 5
  elseif op == 'DROPSTREAMS' then
    -- streams hash, records key base, table name
    drop_streams(ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]); i = i + 4
  else
    return redis.error_reply('unknown operation ' .. tostring(op))
  end
end
return {'OK', unpack(sequences)}
)lua");
  return script;
}

const redis::RedisScript& RangeBatch() {
  // Index members are the index key followed by the table's primary key; the index key part is
  // the partition (4-byte hash, 4-byte length, bytes) and, with a sort key, an escaped component
  // that ends at the first pair of zero bytes (zero bytes inside it are always followed by 0xff);
  // a multi-attribute sort key has one such component per RANGE attribute (mode "2".."4").
  static const redis::RedisScript script(R"lua(
local members
if ARGV[3] == 'F' then
  members = redis.call('ZRANGEBYLEX', ARGV[1], ARGV[4], ARGV[5], 'LIMIT', 0, ARGV[6])
else
  members = redis.call('ZREVRANGEBYLEX', ARGV[1], ARGV[5], ARGV[4], 'LIMIT', 0, ARGV[6])
end
local items = {}
for k, member in ipairs(members) do
  local key = member
  if ARGV[7] ~= 'T' then
    local b1, b2, b3, b4 = string.byte(member, 5, 8)
    local position = 9 + ((b1 * 256 + b2) * 256 + b3) * 256 + b4
    if ARGV[7] == 'S' then
      position = string.find(member, '\0\0', position, true) + 2
    elseif ARGV[7] ~= 'I' then
      for _ = 1, tonumber(ARGV[7]) do position = string.find(member, '\0\0', position, true) + 2 end
    end
    key = string.sub(member, position)
  end
  items[k] = redis.call('HGET', ARGV[2], key)
end
return {members, items}
)lua");
  return script;
}

const redis::RedisScript& ReadStream() {
  static const redis::RedisScript script(R"lua(
local entry = redis.call('HGET', KEYS[1], ARGV[1])
if not entry then return false end
local key = ARGV[2] .. string.match(entry, '^(%d+)|')
local cutoff = tonumber(ARGV[5])
while true do
  local head = redis.call('ZRANGE', key, 0, 99)
  local old = 0
  for _, member in ipairs(head) do
    if tonumber(string.match(member, '^(%-?%d+)|')) < cutoff then old = old + 1 else break end
  end
  if old > 0 then redis.call('ZREMRANGEBYRANK', key, 0, old - 1) end
  if old < 100 then break end
end
return {entry, redis.call('ZRANGEBYSCORE', key, ARGV[3], '+inf', 'WITHSCORES', 'LIMIT', 0, ARGV[4])}
)lua");
  return script;
}

const redis::RedisScript& SnapshotScope() {
  // A collection small enough (per key and within the reply's budget) comes back in the reply; a
  // larger one is named, to be read in pages afterwards, and then the scope is held for the export
  // (its id joins the scope's export set, which Apply refuses writes under) until it releases it
  // or its lease lapses.
  static const redis::RedisScript script(R"lua(
local root, guard, export_id = ARGV[1], ARGV[2], ARGV[3]
local per_key, budget = tonumber(ARGV[4]), tonumber(ARGV[5])
local lease, cutoff = ARGV[6], tonumber(ARGV[7])
local paged = false
local function inline(count)
  if count <= per_key and count <= budget then
    budget = budget - count
    return true
  end
  paged = true
  return false
end
local tables = {}
local versions = redis.call('HGETALL', KEYS[2])
for t = 1, #versions, 2 do
  local name, version = versions[t], versions[t + 1]
  local prefix = root .. 't:' .. string.match(version, '^(%d+)')
  local order, items, history = prefix .. ':keys', prefix .. ':items', prefix .. ':history'
  local count = redis.call('ZCARD', order)
  local item_part
  if inline(count) then
    local keys = redis.call('ZRANGE', order, 0, -1)
    local values = {}
    for k, key in ipairs(keys) do values[k] = redis.call('HGET', items, key) end
    item_part = {'i', keys, values}
  else
    item_part = {'p', order, items, count}
  end
  local length = redis.call('LLEN', history)
  local history_part
  if inline(length) then
    history_part = {'i', redis.call('LRANGE', history, 0, -1)}
  else
    history_part = {'p', history, length}
  end
  tables[#tables + 1] = {name, version, redis.call('HGET', KEYS[1], name), item_part, history_part}
end
local streams = {}
local entries = redis.call('HGETALL', KEYS[3])
for s = 1, #entries, 2 do
  local id, closed = string.match(entries[s + 1], '^(%d+)|%d*|(%d*)|')
  if id and (closed == '' or tonumber(closed) == 0 or tonumber(closed) >= cutoff) then
    local key = root .. 'st:' .. id
    local count = redis.call('ZCARD', key)
    local part
    if inline(count) then
      part = {'i', redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')}
    else
      part = {'p', key, count}
    end
    streams[#streams + 1] = {entries[s], entries[s + 1], part}
  end
end
local backups = {}
entries = redis.call('HGETALL', KEYS[4])
for b = 1, #entries, 2 do
  local key = root .. 'b:' .. (string.match(entries[b + 1], '^([^|]*)|') or '')
  local count = redis.call('HLEN', key)
  local part
  if inline(count) then
    part = {'i', redis.call('HGETALL', key)}
  else
    part = {'p', key, count}
  end
  backups[#backups + 1] = {entries[b], entries[b + 1], part}
end
if paged then
  redis.call('SADD', guard, export_id)
  redis.call('PEXPIRE', guard, lease)
end
return {tables, streams, backups, paged and 1 or 0}
)lua");
  return script;
}

const redis::RedisScript& RenewExport() {
  static const redis::RedisScript script(R"lua(
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
)lua");
  return script;
}

const redis::RedisScript& ClearScope() {
  static const redis::RedisScript script(std::string(kDropLua) + R"lua(
if redis.call('EXISTS', KEYS[5]) == 1 then return 'EXPORTING' end
local versions = redis.call('HGETALL', KEYS[2])
for t = 1, #versions, 2 do drop_table(KEYS[1], KEYS[2], ARGV[1], versions[t]) end
local entries = redis.call('HGETALL', KEYS[3])
for s = 1, #entries, 2 do
  local id = string.match(entries[s + 1], '^(%d+)|')
  if id then redis.call('UNLINK', ARGV[2] .. id) end
end
entries = redis.call('HGETALL', KEYS[4])
for b = 1, #entries, 2 do
  local id = string.match(entries[b + 1], '^([^|]*)|')
  if id then redis.call('UNLINK', ARGV[3] .. id) end
end
redis.call('UNLINK', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
redis.call('SREM', ARGV[4], ARGV[5])
return 'OK'
)lua");
  return script;
}

}  // namespace mallard::dynamodb::redis_scripts
