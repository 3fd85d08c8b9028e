#pragma once
// The Lua scripts of the Redis DynamoDB store. Each runs atomically inside Redis, so a script is
// the unit of isolation: every read a decision depends on is one script, and every write is one
// script that first re-checks what the decision was based on (compare-and-set), so several Mallard
// processes writing one Redis never interleave inside an operation.
#include "infra/redis/redis_connection.hpp"

namespace mallard::dynamodb::redis_scripts {

// Reads table versions, definitions and items in one snapshot.
//   KEYS: definitions hash, versions hash
//   ARGV: table key base, table count N, N table names, then (table number 1..N, primary key) pairs
//   Reply: per table [version|nil, definition|nil], then per pair the item text or nil.
const redis::RedisScript& ReadUnit();

// Checks, then applies a list of operations, all or nothing.
//   ARGV: stream sequence counter key, check count C, C x (hash, field, expected value; "" = absent),
//         then operations, each a name and its arguments (see the script's source for the list).
//   Reply: ["OK", sequence numbers of the RECORD operations in order] or ["CONFLICT", check number].
const redis::RedisScript& Apply();

// One batch of a Query or Scan: members of a lexicographic range of an ordering set and the items
// they lead to.
//   ARGV: ordering set, items hash, "F"|"R" (direction), min, max (ZRANGEBYLEX syntax), count,
//         "T" (members are primary keys) | "I" (index keys without a sort key) | "S" (with one)
//   Reply: [members, items (nil where an item vanished)]
const redis::RedisScript& RangeBatch();

// Drops stream records older than the retention window, then reads records after a sequence.
//   KEYS: streams hash
//   ARGV: stream ARN, records key base, min score ("(N" or "-inf"), count, cutoff millis
//   Reply: nil (no such stream) or [stream entry, [member, score, member, score, ...]]
const redis::RedisScript& ReadStream();

}  // namespace mallard::dynamodb::redis_scripts
