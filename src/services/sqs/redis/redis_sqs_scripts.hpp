#pragma once
// The Lua scripts behind RedisSqsStore. Each SqsStore operation that reads and then writes is
// one script, so it runs atomically in Redis whatever other Mallard servers do at the same time.
//
// Key layout (P = key prefix + "sqs:", Q = P + "q:" + account:region:name, components escaped):
//   Q                 hash: record (codec blob), fifo, scope (DeduplicationScope), ver (record version),
//                     inc (incarnation: data keys of a deleted and re-created queue never meet), seq, purged
//   Q:<inc>:m:<seq>   hash: one message (id, c = content blob, g, sent, vis, first, last, cnt, sn, tok, dlq)
//   Q:<inc>:vis       zset seq by visible-at millis (every message)
//   Q:<inc>:recv      zset seq by visible-at, messages received at least once (in flight vs delayed)
//   Q:<inc>:order     zset seq by seq (send order: retention, FIFO, moves)
//   Q:<inc>:heads     zset FIFO group by the sequence of its oldest message
//   Q:<inc>:g:<group> zset seq by seq, one FIFO group
//   Q:<inc>:d:<id>    FIFO deduplication entry "messageId\nsequence\nexpires"
//   Q:<inc>:a:<id>    FIFO receive attempt "expires\nseq token\n..."
//   Q:tasks           list of message move tasks, newest first
//   Q:wake            pub/sub channel: a message may have become receivable
//   P dir:<account>:<region>  zset of queue names (lexicographic listing)
//   P deleted:<qid>   when the queue was deleted (QueueDeletedRecently)
//   P incarnation     counter
//   P reset           pub/sub channel: all state was reset
// Times are the callers' `now_millis`, never Redis's clock, so tests can move time; Redis expiry
// (PX) only collects entries well after they stopped mattering.
#include "infra/redis/redis_connection.hpp"

namespace mallard::sqs::redis_scripts {

// What a script returns: the whole reply, or the first element of an array reply.
enum Status : long long {
  kOk = 0,
  kNotFound = 1,
  kDeletedRecently = 2,
  kExists = 3,
  kPurgeInProgress = 4,
  kInvalidReceipt = 5,
  kNotInFlight = 6,
  kStaleReceipt = 7,
  kVisibilityLimit = 8,
  kUnroutable = 9,
};

const redis::RedisScript& CreateQueue();
const redis::RedisScript& UpdateQueue();
const redis::RedisScript& DeleteQueue();
const redis::RedisScript& ListQueues();
const redis::RedisScript& SendMessages();
const redis::RedisScript& ReceiveMessages();
const redis::RedisScript& DeleteMessage();
const redis::RedisScript& ChangeVisibility();
const redis::RedisScript& PurgeQueue();
const redis::RedisScript& CountMessages();
const redis::RedisScript& PeekMessages();
const redis::RedisScript& ExpireMessages();
const redis::RedisScript& MoveMessages();
const redis::RedisScript& PutMoveTask();
const redis::RedisScript& ClaimMoveTask();
// Snapshots (SqsStore::ExportScope / ImportQueue / ClearScope).
const redis::RedisScript& ExportScope();
const redis::RedisScript& ImportQueue();
const redis::RedisScript& ClearScope();

}  // namespace mallard::sqs::redis_scripts
