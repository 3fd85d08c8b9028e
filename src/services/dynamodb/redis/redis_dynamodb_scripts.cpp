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

const redis::RedisScript& Apply() {
  // Index operations adjust the index statistics only when the entry really appeared or went:
  // while an index is being filled from existing items, a write may remove an entry the filler
  // has not added yet, and the counts must stay right either way.
  static const redis::RedisScript script(R"lua(
local sequence_key = ARGV[1]
local checks = tonumber(ARGV[2])
local i = 3
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

}  // namespace mallard::dynamodb::redis_scripts
