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
//   ARGV: stream sequence counter key, export guard key ("" = none), check count C, C x (hash,
//         field, expected value; "" = absent), then operations, each a name and its arguments (see
//         the script's source for the list).
//   Reply: ["OK", sequence numbers of the RECORD operations in order], ["CONFLICT", check number], or
//          ["EXPORTING"] when the guard key exists (a snapshot export holds the scope): nothing ran.
//   Snapshot imports also use SEQFLOOR (raise the sequence counter), DROPTABLE (a table with all
//   its keys) and DROPSTREAMS (every stream of a table name with its records).
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

// Everything of one scope as of one moment (ExportScope): tables with their items and PITR
// history, streams still retained (closed at or after the cutoff) with their records, backups
// with their items. A collection is answered inline, or — when it is larger than the inline
// limits — named with its size, to be read in pages afterwards; then the export holds the scope:
// its id joins the guard set (expiring after the lease), and Apply refuses writes under it.
//   KEYS: definitions hash, versions hash, streams hash, backups hash
//   ARGV: key root ("<prefix>ddb:"), guard key (the scope's export set), export id, inline limit per
//         collection, inline budget for the whole reply (elements), lease (ms), cutoff millis for
//         closed streams
//   Reply: [tables, streams, backups, 1 if the scope is now held else 0], where
//     table  = [name, version, definition, items, history]
//              items:   ["i", [primary keys in order], [item texts]] | ["p", ordering set, items hash, count]
//              history: ["i", [entries]] | ["p", list, length]
//     stream = [ARN, stream entry, ["i", [member, score, ...]] | ["p", records set, count]]
//     backup = [ARN, backup entry, ["i", [primary key, item, ...]] | ["p", items hash, count]]
const redis::RedisScript& SnapshotScope();

// Extends an export's hold on its scope. KEYS: guard key. ARGV: export id, lease (ms).
// Reply: 1, or 0 when the hold had lapsed (writers may have run since).
const redis::RedisScript& RenewExport();

// Drops every table, stream and backup of a scope at once (ClearScope), unless an export holds it.
//   KEYS: definitions hash, versions hash, streams hash, backups hash, guard key
//   ARGV: table key base, stream records key base, backup items key base, scope set, scope member
//   Reply: "OK" or "EXPORTING" (nothing dropped)
const redis::RedisScript& ClearScope();

}  // namespace mallard::dynamodb::redis_scripts
