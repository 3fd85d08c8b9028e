#include "services/sqs/redis/redis_sqs_scripts.hpp"

namespace mallard::sqs::redis_scripts {
namespace {

// Helpers every script starts with. Numbers are passed to Redis as integer strings: Lua's own
// number-to-string conversion would print large millisecond values in exponent form.
constexpr const char* kPrelude = R"lua(
local function s(n) return string.format('%d', n) end
local function data_base(meta_key, inc) return meta_key .. ':' .. inc .. ':' end
-- 20-digit FIFO sequence numbers: 18000000000000000000 + seq, built as text (Lua numbers are doubles).
local function sequence_number(seq) return '18' .. string.format('%018d', seq) end
local function escape(text)
  return (string.gsub(text, '[^%w_%.%-]', function(c) return string.format('%%%02X', string.byte(c)) end))
end

-- The data key prefix and FIFO flag of the queue `meta_key`, or nil when it does not exist.
local function open_queue(meta_key)
  local q = redis.call('HMGET', meta_key, 'inc', 'fifo')
  if not q[1] then return nil end
  return data_base(meta_key, q[1]), q[2] == '1'
end

-- Stores a message under the next sequence of the queue `meta_key`; returns (seq, sequence number).
-- `enq` is what the retention period counts from (the send time unless the message moved into a
-- FIFO dead-letter queue); the 'age' index orders messages by it.
local function store(meta_key, base, fifo, m)
  local seq = redis.call('HINCRBY', meta_key, 'seq', 1)
  local member = s(seq)
  if fifo then m.sn = sequence_number(seq) end
  local enq = m.enq or m.sent
  redis.call('HSET', base .. 'm:' .. member, 'id', m.id, 'c', m.c, 'g', m.g, 'sent', s(m.sent), 'vis', s(m.vis),
             'first', s(m.first), 'last', s(m.last), 'cnt', s(m.cnt), 'sn', m.sn, 'tok', m.tok, 'dlq', m.dlq,
             'enq', s(enq))
  redis.call('ZADD', base .. 'vis', s(m.vis), member)
  redis.call('ZADD', base .. 'order', member, member)
  redis.call('ZADD', base .. 'age', s(enq), member)
  if fifo then
    local group_key = base .. 'g:' .. m.g
    if redis.call('ZCARD', group_key) == 0 then redis.call('ZADD', base .. 'heads', member, m.g) end
    redis.call('ZADD', group_key, member, member)
  end
  return member, m.sn
end

local function erase(base, fifo, seq, group)
  redis.call('DEL', base .. 'm:' .. seq)
  redis.call('ZREM', base .. 'vis', seq)
  redis.call('ZREM', base .. 'recv', seq)
  redis.call('ZREM', base .. 'order', seq)
  redis.call('ZREM', base .. 'age', seq)
  if fifo then
    local group_key = base .. 'g:' .. group
    redis.call('ZREM', group_key, seq)
    local head = redis.call('ZRANGE', group_key, 0, 0)
    if #head == 0 then
      redis.call('ZREM', base .. 'heads', group)
    else
      redis.call('ZADD', base .. 'heads', head[1], group)
    end
  end
end

local function drop_messages(base)
  local seqs = redis.call('ZRANGE', base .. 'order', 0, -1)
  for i = 1, #seqs, 500 do
    local keys = {}
    for j = i, math.min(i + 499, #seqs) do keys[#keys + 1] = base .. 'm:' .. seqs[j] end
    redis.call('UNLINK', unpack(keys))
  end
  for _, group in ipairs(redis.call('ZRANGE', base .. 'heads', 0, -1)) do redis.call('UNLINK', base .. 'g:' .. group) end
  redis.call('UNLINK', base .. 'vis', base .. 'recv', base .. 'order', base .. 'heads', base .. 'age')
end

-- Drops messages past the retention period, in the order their retention started.
local function expire(base, fifo, now, retention_ms)
  local expired = 0
  while true do
    local due = redis.call('ZRANGEBYSCORE', base .. 'age', '-inf', s(now - retention_ms), 'LIMIT', 0, 100)
    if #due == 0 then break end
    for _, seq in ipairs(due) do
      erase(base, fifo, seq, redis.call('HGET', base .. 'm:' .. seq, 'g'))
      expired = expired + 1
    end
  end
  return expired
end

-- Moves a stored message (keeping its id, body and sent time) into the queue `target_meta`, visible
-- at once, with a fresh receive history. False when that queue does not exist. A redrive into a
-- FIFO dead-letter queue (`dead_letter_source_arn` set) starts its retention period again.
local function transfer(base, fifo, seq, target_meta, now, dead_letter_source_arn)
  local target = redis.call('HMGET', target_meta, 'inc', 'fifo')
  if not target[1] then return false end
  local f = redis.call('HMGET', base .. 'm:' .. seq, 'id', 'c', 'g', 'sent', 'sn', 'enq')
  erase(base, fifo, seq, f[3])
  local target_fifo = target[2] == '1'
  local enq = tonumber(f[6] or f[4])
  if target_fifo and dead_letter_source_arn ~= '' then enq = now end
  store(target_meta, data_base(target_meta, target[1]), target_fifo,
        {id = f[1], c = f[2], g = f[3], sent = tonumber(f[4]), enq = enq, vis = now, first = 0, last = 0, cnt = 0,
         sn = f[5], tok = '', dlq = dead_letter_source_arn})
  return true
end

-- A move task entry: handle, status, moved, runner, heartbeat millis, then the encoded task; those
-- leading fields override the blob's, so scripts update them without decoding it. Entries written
-- before runners existed have only the first three (and count as never heard from).
local function parse_task(entry)
  local handle, status, moved, runner, heartbeat, blob =
    string.match(entry, '^([^\n]*)\n([^\n]*)\n([^\n]*)\n([^\n]*)\n(%-?%d+)\n(.*)$')
  if not handle then
    handle, status, moved, blob = string.match(entry, '^([^\n]*)\n([^\n]*)\n([^\n]*)\n(.*)$')
    runner, heartbeat = '', '0'
  end
  return {handle = handle, status = status, moved = moved, runner = runner, heartbeat = heartbeat, blob = blob}
end
local function task_entry(t)
  return table.concat({t.handle, t.status, t.moved, t.runner, t.heartbeat, t.blob}, '\n')
end
-- The 0-based position and fields of the task `handle` in the list `list_key`, or nil.
local function find_task(list_key, handle)
  for i, entry in ipairs(redis.call('LRANGE', list_key, 0, -1)) do
    local task = parse_task(entry)
    if task.handle == handle then return i - 1, task end
  end
  return nil
end

local MESSAGE_FIELDS = {'id', 'c', 'g', 'sent', 'vis', 'first', 'last', 'cnt', 'sn', 'tok', 'dlq'}
local function read_message(base, seq)
  local values = redis.call('HMGET', base .. 'm:' .. seq, unpack(MESSAGE_FIELDS))
  table.insert(values, 1, seq)
  return values
end
)lua";

redis::RedisScript Make(const char* body) { return redis::RedisScript(std::string(kPrelude) + body); }

}  // namespace

// KEYS: meta, directory, deleted marker, incarnation counter.
// ARGV: record, fifo, scope, now, directory member, recreate delay ms.
const redis::RedisScript& CreateQueue() {
  static const auto script = Make(R"lua(
if redis.call('EXISTS', KEYS[1]) == 1 then
  local existing = redis.call('HMGET', KEYS[1], 'record', 'purged')
  return {3, existing[1], existing[2]}
end
local deleted = redis.call('GET', KEYS[3])
if deleted then
  if tonumber(ARGV[4]) - tonumber(deleted) < tonumber(ARGV[6]) then return {2} end
  redis.call('DEL', KEYS[3])
end
local inc = redis.call('INCR', KEYS[4])
redis.call('HSET', KEYS[1], 'record', ARGV[1], 'fifo', ARGV[2], 'scope', ARGV[3], 'ver', 1, 'inc', inc, 'seq', 0,
           'purged', 0)
redis.call('ZADD', KEYS[2], 0, ARGV[5])
return {0}
)lua");
  return script;
}

// Compare-and-set of the record: the caller read version ARGV[1] and computed ARGV[2].
// KEYS: meta. ARGV: expected version, record, scope. Returns 1 stored, 0 conflict, -1 no queue.
const redis::RedisScript& UpdateQueue() {
  static const auto script = Make(R"lua(
local version = redis.call('HGET', KEYS[1], 'ver')
if not version then return -1 end
if version ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'record', ARGV[2], 'scope', ARGV[3], 'ver', tonumber(version) + 1)
return 1
)lua");
  return script;
}

// KEYS: meta, directory, deleted marker, move tasks. ARGV: now, directory member, marker ttl ms.
const redis::RedisScript& DeleteQueue() {
  static const auto script = Make(R"lua(
local inc = redis.call('HGET', KEYS[1], 'inc')
if not inc then return 1 end
drop_messages(data_base(KEYS[1], inc))
redis.call('DEL', KEYS[1], KEYS[4])
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('SET', KEYS[3], ARGV[1], 'PX', ARGV[3])
-- Waiting receives wake up and find the queue gone.
redis.call('PUBLISH', KEYS[1] .. ':wake', '')
return 0
)lua");
  return script;
}

// KEYS: directory. ARGV: lexicographic min, max, meta key prefix of the account and region.
// Returns record, purged, record, purged, ... in name order.
const redis::RedisScript& ListQueues() {
  static const auto script = Make(R"lua(
local result = {}
for _, member in ipairs(redis.call('ZRANGEBYLEX', KEYS[1], ARGV[1], ARGV[2])) do
  local fields = redis.call('HMGET', ARGV[3] .. member, 'record', 'purged')
  if fields[1] then
    result[#result + 1] = fields[1]
    result[#result + 1] = fields[2]
  end
end
return result
)lua");
  return script;
}

// KEYS: meta. ARGV: now, deduplication window ms, then per message: id, content, group,
// deduplication id, delay ms. Returns {0, id, sequence number, ...} per message in order.
const redis::RedisScript& SendMessages() {
  static const auto script = Make(R"lua(
local q = redis.call('HMGET', KEYS[1], 'inc', 'fifo', 'scope')
if not q[1] then return {1} end
local base = data_base(KEYS[1], q[1])
local fifo = q[2] == '1'
local group_scope = q[3] == 'messageGroup'
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local result = {0}
local wake = false
for i = 3, #ARGV, 5 do
  local id, content, group, dedup, delay = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], tonumber(ARGV[i + 4])
  local dedup_key
  local earlier
  if fifo then
    dedup_key = base .. 'd:' .. (group_scope and (group .. '\n' .. dedup) or dedup)
    local seen = redis.call('GET', dedup_key)
    if seen then
      local seen_id, seen_sn, expires = string.match(seen, '^([^\n]*)\n([^\n]*)\n(%d+)$')
      if tonumber(expires) > now then earlier = {seen_id, seen_sn} end
    end
  end
  if earlier then
    result[#result + 1] = earlier[1]
    result[#result + 1] = earlier[2]
  else
    local _, sn = store(KEYS[1], base, fifo, {id = id, c = content, g = group, sent = now, vis = now + delay, first = 0,
                                             last = 0, cnt = 0, sn = '', tok = '', dlq = ''})
    if delay == 0 then wake = true end
    if fifo then
      redis.call('SET', dedup_key, id .. '\n' .. sn .. '\n' .. s(now + window), 'PX', s(window + 60000))
    end
    result[#result + 1] = id
    result[#result + 1] = sn
  end
end
if wake then redis.call('PUBLISH', KEYS[1] .. ':wake', '') end
return result
)lua");
  return script;
}

// KEYS: meta, dead-letter queue meta (the queue itself when there is none).
// ARGV: now, visibility ms, max messages, retention ms, attempt id, attempt window ms,
// max receive count (0 = no redrive), this queue's ARN, then one receipt token per message.
// Returns {0, next visible millis or -1, message...}, each message as read_message gives it.
const redis::RedisScript& ReceiveMessages() {
  static const auto script = Make(R"lua(
local meta_key, dlq_meta = KEYS[1], KEYS[2]
local base, fifo = open_queue(meta_key)
if not base then return {1} end
local now = tonumber(ARGV[1])
local visibility = tonumber(ARGV[2])
local max = tonumber(ARGV[3])
local attempt_id = ARGV[5]
local max_receive_count = tonumber(ARGV[7])
expire(base, fifo, now, tonumber(ARGV[4]))
local result = {0, -1}

-- A retried FIFO receive returns the same messages and receipts while none of them changed.
if attempt_id ~= '' then
  local attempt_key = base .. 'a:' .. attempt_id
  local saved = redis.call('GET', attempt_key)
  if saved then
    local lines = {}
    for line in string.gmatch(saved, '[^\n]+') do lines[#lines + 1] = line end
    local unchanged = tonumber(lines[1]) > now
    local seqs = {}
    for i = 2, #lines do
      local seq, token = string.match(lines[i], '^(%d+) (.*)$')
      local f = redis.call('HMGET', base .. 'm:' .. seq, 'tok', 'vis')
      unchanged = unchanged and f[1] == token and tonumber(f[2]) > now
      seqs[#seqs + 1] = seq
    end
    if unchanged then
      for _, seq in ipairs(seqs) do result[#result + 1] = read_message(base, seq) end
      return result
    end
    redis.call('DEL', attempt_key)
  end
end

-- A missing dead-letter queue keeps messages here rather than dropping them.
local redrive = max_receive_count > 0 and redis.call('EXISTS', dlq_meta) == 1
local redriven = false
local function redrive_if_due(seq)
  if not redrive then return false end
  if tonumber(redis.call('HGET', base .. 'm:' .. seq, 'cnt')) < max_receive_count then return false end
  transfer(base, fifo, seq, dlq_meta, now, ARGV[8])
  redriven = true
  return true
end

local delivered = {}
local function deliver(seq)
  local key = base .. 'm:' .. seq
  redis.call('HINCRBY', key, 'cnt', 1)
  if redis.call('HGET', key, 'first') == '0' then redis.call('HSET', key, 'first', s(now)) end
  local visible_at = s(now + visibility)
  redis.call('HSET', key, 'last', s(now), 'tok', ARGV[8 + #delivered + 1], 'vis', visible_at)
  redis.call('ZADD', base .. 'vis', visible_at, seq)
  redis.call('ZADD', base .. 'recv', visible_at, seq)
  delivered[#delivered + 1] = seq
end

if not fifo then
  local taken = {}
  while #delivered < max do
    -- With a zero visibility timeout delivered messages stay visible: skip them, never repeat one.
    local candidates = redis.call('ZRANGEBYSCORE', base .. 'vis', '-inf', s(now), 'LIMIT', 0, max + #delivered)
    local progressed = false
    for _, seq in ipairs(candidates) do
      if #delivered >= max then break end
      if not taken[seq] then
        progressed = true
        if not redrive_if_due(seq) then
          taken[seq] = true
          deliver(seq)
        end
      end
    end
    if not progressed then break end
  end
else
  -- Groups in the order of their oldest message; each contributes the visible messages before its
  -- first invisible one (a message in flight or delayed holds back the rest of its group); the
  -- oldest `max` of all contributions are delivered, in sequence order.
  local candidates = {}
  local function collect_group(group)
    local group_key = base .. 'g:' .. group
    local offset, taken = 0, 0
    while taken < max do
      local members = redis.call('ZRANGE', group_key, offset, offset + max - 1)
      if #members == 0 then return end
      for _, seq in ipairs(members) do
        if tonumber(redis.call('HGET', base .. 'm:' .. seq, 'vis')) > now then return end
        if not redrive_if_due(seq) then
          candidates[#candidates + 1] = tonumber(seq)
          taken = taken + 1
          offset = offset + 1
          if taken >= max then return end
        end
      end
    end
  end
  -- Heads are read a page at a time; a redrive moves its group's head later, so a group can show
  -- up again on a later page, and is skipped then.
  local visited = {}
  local after = '-inf'
  local finished = false
  while not finished do
    local heads = redis.call('ZRANGEBYSCORE', base .. 'heads', after, '+inf', 'WITHSCORES', 'LIMIT', 0, 100)
    if #heads == 0 then break end
    after = '(' .. heads[#heads]
    for i = 1, #heads, 2 do
      local group, head = heads[i], tonumber(heads[i + 1])
      if #candidates >= max then
        table.sort(candidates)
        while #candidates > max do table.remove(candidates) end
        if head > candidates[max] then
          finished = true
          break
        end
      end
      if not visited[group] then
        visited[group] = true
        collect_group(group)
      end
    end
  end
  table.sort(candidates)
  for i = 1, math.min(max, #candidates) do deliver(s(candidates[i])) end
end

if attempt_id ~= '' and #delivered > 0 then
  local window = tonumber(ARGV[6])
  local lines = {s(now + window)}
  for _, seq in ipairs(delivered) do lines[#lines + 1] = seq .. ' ' .. redis.call('HGET', base .. 'm:' .. seq, 'tok') end
  redis.call('SET', base .. 'a:' .. attempt_id, table.concat(lines, '\n'), 'PX', s(window + 60000))
end
if redriven then redis.call('PUBLISH', dlq_meta .. ':wake', '') end
for _, seq in ipairs(delivered) do result[#result + 1] = read_message(base, seq) end
if #delivered == 0 then
  -- The next moment something here can become receivable (FIFO messages held back by their
  -- group wait for a delete, which publishes a wake-up).
  local next_visible = redis.call('ZRANGEBYSCORE', base .. 'vis', '(' .. s(now), '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
  if #next_visible > 0 then result[2] = tonumber(next_visible[2]) end
end
return result
)lua");
  return script;
}

// KEYS: meta. ARGV: seq, receipt token, message id, now. Returns a status.
const redis::RedisScript& DeleteMessage() {
  static const auto script = Make(R"lua(
local base, fifo = open_queue(KEYS[1])
if not base then return 1 end
local f = redis.call('HMGET', base .. 'm:' .. ARGV[1], 'id', 'tok', 'vis', 'g')
if not f[1] then return 0 end
if f[1] ~= ARGV[3] then return 5 end
local current = f[2] == ARGV[2]
-- FIFO refuses a receipt past its visibility window; standard queues accept an old receipt and do nothing.
if fifo and (not current or tonumber(f[3]) <= tonumber(ARGV[4])) then return 7 end
if not current then return 0 end
erase(base, fifo, ARGV[1], f[4])
if fifo then redis.call('PUBLISH', KEYS[1] .. ':wake', '') end
return 0
)lua");
  return script;
}

// KEYS: meta. ARGV: seq, receipt token, message id, visibility ms, now. Returns a status.
const redis::RedisScript& ChangeVisibility() {
  static const auto script = Make(R"lua(
local q = redis.call('HMGET', KEYS[1], 'inc')
if not q[1] then return 1 end
local base = data_base(KEYS[1], q[1])
local key = base .. 'm:' .. ARGV[1]
local f = redis.call('HMGET', key, 'id', 'tok', 'vis', 'cnt', 'last')
if not f[1] or f[1] ~= ARGV[3] then return 5 end
local now = tonumber(ARGV[5])
if tonumber(f[4]) == 0 or tonumber(f[3]) <= now then return 6 end
if f[2] ~= ARGV[2] then return 7 end
local timeout = tonumber(ARGV[4])
if now + timeout - tonumber(f[5]) > 43200000 then return 8 end
local visible_at = s(now + timeout)
redis.call('HSET', key, 'vis', visible_at)
redis.call('ZADD', base .. 'vis', visible_at, ARGV[1])
redis.call('ZADD', base .. 'recv', visible_at, ARGV[1])
if timeout == 0 then redis.call('PUBLISH', KEYS[1] .. ':wake', '') end
return 0
)lua");
  return script;
}

// KEYS: meta. ARGV: now, minimum interval ms. Returns a status.
const redis::RedisScript& PurgeQueue() {
  static const auto script = Make(R"lua(
local q = redis.call('HMGET', KEYS[1], 'inc', 'purged')
if not q[1] then return 1 end
local now = tonumber(ARGV[1])
local purged = tonumber(q[2])
if purged ~= 0 and now - purged < tonumber(ARGV[2]) then return 4 end
redis.call('HSET', KEYS[1], 'purged', ARGV[1])
drop_messages(data_base(KEYS[1], q[1]))
return 0
)lua");
  return script;
}

// KEYS: meta. ARGV: now. Returns {0, visible, in flight, delayed}.
const redis::RedisScript& CountMessages() {
  static const auto script = Make(R"lua(
local inc = redis.call('HGET', KEYS[1], 'inc')
if not inc then return {1} end
local base = data_base(KEYS[1], inc)
local now = s(tonumber(ARGV[1]))
local visible = redis.call('ZCOUNT', base .. 'vis', '-inf', now)
local invisible = redis.call('ZCOUNT', base .. 'vis', '(' .. now, '+inf')
local in_flight = redis.call('ZCOUNT', base .. 'recv', '(' .. now, '+inf')
return {0, visible, in_flight, invisible - in_flight}
)lua");
  return script;
}

// KEYS: meta. Returns {0, message...}: every message in send order, each as read_message gives
// it. Reads only, so a peek never moves a receive count, a visibility or a receipt token.
const redis::RedisScript& PeekMessages() {
  static const auto script = Make(R"lua(
local base = open_queue(KEYS[1])
if not base then return {1} end
local result = {0}
for _, seq in ipairs(redis.call('ZRANGE', base .. 'order', 0, -1)) do result[#result + 1] = read_message(base, seq) end
return result
)lua");
  return script;
}

// KEYS: meta. ARGV: now, retention ms. Returns {0, expired}.
const redis::RedisScript& ExpireMessages() {
  static const auto script = Make(R"lua(
local base, fifo = open_queue(KEYS[1])
if not base then return {1} end
return {0, expire(base, fifo, tonumber(ARGV[1]), tonumber(ARGV[2]))}
)lua");
  return script;
}

// KEYS: source meta, destination meta (the source when each message goes back to its origin).
// ARGV: now, limit, '1' when a destination is given, meta key prefix ("...q:") for origins.
// Returns {0, moved}, {1} (no source) or {9, moved} when some message's origin is gone (those
// stay in the source, at its end).
const redis::RedisScript& MoveMessages() {
  static const auto script = Make(R"lua(
local base, fifo = open_queue(KEYS[1])
if not base then return {1} end
local now = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local taken = {}
local offset = 0
while #taken < limit do
  local seqs = redis.call('ZRANGE', base .. 'order', offset, offset + 199)
  if #seqs == 0 then break end
  for _, seq in ipairs(seqs) do
    if tonumber(redis.call('HGET', base .. 'm:' .. seq, 'vis')) <= now then
      taken[#taken + 1] = seq
      if #taken >= limit then break end
    end
  end
  offset = offset + 200
end
local moved, unroutable, woken = 0, {}, {}
for _, seq in ipairs(taken) do
  local target = nil
  if ARGV[3] == '1' then
    target = KEYS[2]
  else
    local arn = redis.call('HGET', base .. 'm:' .. seq, 'dlq')
    local region, account, name = string.match(arn, '^arn:[^:]*:[^:]*:([^:]*):([^:]*):([^:]*)$')
    if name then target = ARGV[4] .. escape(account) .. ':' .. escape(region) .. ':' .. escape(name) end
  end
  if target and transfer(base, fifo, seq, target, now, '') then
    moved = moved + 1
    woken[target] = true
  else
    unroutable[#unroutable + 1] = seq
  end
end
-- Unroutable messages go to the end of this queue, with a fresh receive history.
for _, seq in ipairs(unroutable) do transfer(base, fifo, seq, KEYS[1], now, '') end
for target in pairs(woken) do redis.call('PUBLISH', target .. ':wake', '') end
if #unroutable > 0 then return {9, moved} end
return {0, moved}
)lua");
  return script;
}

// KEYS: task list, set of sources with a RUNNING task. ARGV: task handle, status, moved, runner,
// entry (see parse_task), this source's member of that set. Replaces the task with that handle,
// except that a cancelled task stays cancelled when its runner reports progress afterwards (only
// `moved` is taken) and that a RUNNING task taken over by another runner refuses the old one's
// reports (returns 1); new tasks go first and only the newest 10 are kept.
const redis::RedisScript& PutMoveTask() {
  static const auto script = Make(R"lua(
local position, task = find_task(KEYS[1], ARGV[1])
if not position then
  redis.call('LPUSH', KEYS[1], ARGV[5])
  redis.call('LTRIM', KEYS[1], 0, 9)
  if ARGV[2] == 'RUNNING' then redis.call('SADD', KEYS[2], ARGV[6]) end
  return 0
end
if task.status == 'CANCELLED' and ARGV[2] == 'RUNNING' then
  task.moved = ARGV[3]
  redis.call('LSET', KEYS[1], position, task_entry(task))
  return 0
end
if task.status == 'RUNNING' and task.runner ~= ARGV[4] then return 1 end
redis.call('LSET', KEYS[1], position, ARGV[5])
if ARGV[2] ~= 'RUNNING' then redis.call('SREM', KEYS[2], ARGV[6]) end
return 0
)lua");
  return script;
}

// KEYS: task list. ARGV: task handle, runner, now, stale before. Returns 1 when claimed.
const redis::RedisScript& ClaimMoveTask() {
  static const auto script = Make(R"lua(
local position, task = find_task(KEYS[1], ARGV[1])
if not position or task.status ~= 'RUNNING' or tonumber(task.heartbeat) >= tonumber(ARGV[4]) then return 0 end
task.runner, task.heartbeat = ARGV[2], ARGV[3]
redis.call('LSET', KEYS[1], position, task_entry(task))
return 1
)lua");
  return script;
}

// A whole account and region in one atomic step (so a message being redriven or moved is in
// exactly one queue). KEYS: directory. ARGV: meta key prefix of the scope, glob-escaped deleted
// marker prefix of the scope. Deduplication entries and deletion marks are found with KEYS, which
// walks the whole keyspace: an export costs O(all keys), once.
// Returns {queues, deleted} where each queue is {name, record, purged, seq, fifo, messages, dedup,
// tasks}, each message {seq, id, c, g, sent, vis, first, last, cnt, sn, tok, dlq, enq}, dedup a
// flat list key, value, and deleted a flat list marker key, millis.
const redis::RedisScript& ExportScope() {
  static const auto script = Make(R"lua(
local function glob(text) return (string.gsub(text, '[%*%?%[%]\\]', '\\%0')) end
local queues = {}
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local meta = ARGV[1] .. member
  local q = redis.call('HMGET', meta, 'record', 'purged', 'seq', 'fifo', 'inc')
  if q[1] then
    local base = data_base(meta, q[5])
    local messages = {}
    for _, seq in ipairs(redis.call('ZRANGE', base .. 'order', 0, -1)) do
      local values = redis.call('HMGET', base .. 'm:' .. seq, 'id', 'c', 'g', 'sent', 'vis', 'first', 'last', 'cnt',
                                'sn', 'tok', 'dlq', 'enq')
      table.insert(values, 1, seq)
      messages[#messages + 1] = values
    end
    local dedup = {}
    for _, key in ipairs(redis.call('KEYS', glob(base .. 'd:') .. '*')) do
      local value = redis.call('GET', key)
      if value then
        dedup[#dedup + 1] = string.sub(key, #base + 3)
        dedup[#dedup + 1] = value
      end
    end
    local tasks = redis.call('LRANGE', meta .. ':tasks', 0, -1)
    queues[#queues + 1] = {member, q[1], q[2] or '0', q[3] or '0', q[4] or '0', messages, dedup, tasks}
  end
end
local deleted = {}
for _, key in ipairs(redis.call('KEYS', ARGV[2] .. '*')) do
  local value = redis.call('GET', key)
  if value then
    deleted[#deleted + 1] = key
    deleted[#deleted + 1] = value
  end
end
return {queues, deleted}
)lua");
  return script;
}

// Replaces a queue whole. KEYS: meta, directory, deleted marker, incarnation counter, move tasks,
// move task sources. ARGV: record, fifo, scope, directory member, last seq, purged, sources member,
// message count, deduplication count, task count, any RUNNING task (1/0), then per message seq,
// id, c, g, sent, vis, first, last, cnt, sn, tok, dlq, enq; per deduplication entry key, value,
// ttl ms; per task its entry (newest first).
const redis::RedisScript& ImportQueue() {
  static const auto script = Make(R"lua(
local old = redis.call('HMGET', KEYS[1], 'inc', 'ver')
if old[1] then drop_messages(data_base(KEYS[1], old[1])) end
redis.call('DEL', KEYS[1], KEYS[3], KEYS[5])
local inc = redis.call('INCR', KEYS[4])
local fifo = ARGV[2] == '1'
redis.call('HSET', KEYS[1], 'record', ARGV[1], 'fifo', ARGV[2], 'scope', ARGV[3], 'ver', (tonumber(old[2]) or 0) + 1,
           'inc', inc, 'seq', ARGV[5], 'purged', ARGV[6])
redis.call('ZADD', KEYS[2], 0, ARGV[4])
local base = data_base(KEYS[1], inc)
local i = 12
for _ = 1, tonumber(ARGV[8]) do
  local seq, g, vis, cnt, enq = ARGV[i], ARGV[i + 3], ARGV[i + 5], ARGV[i + 8], ARGV[i + 12]
  redis.call('HSET', base .. 'm:' .. seq, 'id', ARGV[i + 1], 'c', ARGV[i + 2], 'g', g, 'sent', ARGV[i + 4], 'vis', vis,
             'first', ARGV[i + 6], 'last', ARGV[i + 7], 'cnt', cnt, 'sn', ARGV[i + 9], 'tok', ARGV[i + 10],
             'dlq', ARGV[i + 11], 'enq', enq)
  redis.call('ZADD', base .. 'vis', vis, seq)
  if tonumber(cnt) > 0 then redis.call('ZADD', base .. 'recv', vis, seq) end
  redis.call('ZADD', base .. 'order', seq, seq)
  redis.call('ZADD', base .. 'age', enq, seq)
  if fifo then
    local group_key = base .. 'g:' .. g
    redis.call('ZADD', group_key, seq, seq)
    local head = redis.call('ZRANGE', group_key, 0, 0)
    redis.call('ZADD', base .. 'heads', head[1], g)
  end
  i = i + 13
end
for _ = 1, tonumber(ARGV[9]) do
  redis.call('SET', base .. 'd:' .. ARGV[i], ARGV[i + 1], 'PX', ARGV[i + 2])
  i = i + 3
end
for _ = 1, tonumber(ARGV[10]) do
  redis.call('RPUSH', KEYS[5], ARGV[i])
  i = i + 1
end
if ARGV[11] == '1' then redis.call('SADD', KEYS[6], ARGV[7]) else redis.call('SREM', KEYS[6], ARGV[7]) end
redis.call('PUBLISH', KEYS[1] .. ':wake', '')
return 0
)lua");
  return script;
}

// Drops a whole account and region. KEYS: directory, move task sources. ARGV: meta key prefix of
// the scope, glob-escaped deleted marker prefix of the scope. Returns 0.
const redis::RedisScript& ClearScope() {
  static const auto script = Make(R"lua(
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local meta = ARGV[1] .. member
  local inc = redis.call('HGET', meta, 'inc')
  if inc then drop_messages(data_base(meta, inc)) end
  redis.call('DEL', meta, meta .. ':tasks')
  redis.call('SREM', KEYS[2], ARGV[3] .. member)
  redis.call('PUBLISH', meta .. ':wake', '')
end
redis.call('DEL', KEYS[1])
for _, key in ipairs(redis.call('KEYS', ARGV[2] .. '*')) do redis.call('DEL', key) end
return 0
)lua");
  return script;
}

}  // namespace mallard::sqs::redis_scripts
