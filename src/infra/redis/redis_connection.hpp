#pragma once
// Blocking Redis access for backends that run on worker threads: an RAII hiredis context with
// connect and command timeouts, and a bounded pool of them that reconnects by itself.
//
// Why synchronous hiredis: every backend operation is one script round trip, and the services run
// non-inline backends on a worker pool, so a blocked worker never holds up a network thread. The
// timeouts bound every wait, so a Redis that hangs turns into errors, not into stuck workers.
//
// Errors: a Redis that cannot be reached, or does not answer in time, is a RedisError (the caller
// maps it to "unavailable"); an error *reply* (-ERR ...) is a RedisReply of type Error, because the
// connection is fine and the caller decides what the reply means.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

struct redisContext;

namespace mallard::redis {

struct RedisEndpoint {
  std::string host = "127.0.0.1";
  int port = 6379;
  int database = 0;
  std::string username;  // AUTH: Redis 6 ACL user (empty = the default user)
  std::string password;  // AUTH when not empty
  std::string key_prefix;  // prepended to every key a backend writes
  std::chrono::milliseconds connect_timeout{1000};
  std::chrono::milliseconds command_timeout{3000};
  std::size_t pool_size = 8;

  std::string Describe() const;  // host:port/db, never the password
};

// redis://[[USER]:PASSWORD@]HOST[:PORT][/DB][?prefix=NAME&pool=N&timeout_ms=N&connect_timeout_ms=N]
Result<RedisEndpoint, std::string> ParseRedisUrl(std::string_view url);

// A reply copied out of hiredis, so no hiredis memory outlives the call that made it.
struct RedisReply {
  enum class Type : unsigned char { Nil, Status, Error, Integer, String, Array };
  Type type = Type::Nil;
  std::string text;  // Status, Error, String
  long long integer = 0;
  std::vector<RedisReply> elements;

  bool IsNil() const { return type == Type::Nil; }
  bool IsError() const { return type == Type::Error; }
  // String, Status and Integer replies as text; "" for the others.
  std::string AsText() const;
  // Integer replies, and strings holding an integer; `fallback` otherwise.
  long long AsInteger(long long fallback = 0) const;
};

struct RedisError {
  std::string message;
};
template <typename T>
using RedisResult = Result<T, RedisError>;

class RedisConnection {
 public:
  explicit RedisConnection(RedisEndpoint endpoint);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Connects (and authenticates and selects the database) unless already connected.
  RedisResult<Done> EnsureConnected();
  // True when a connection is open and no stray bytes or EOF wait on it: after a Redis restart the
  // peer has closed the socket, and sending on it would leave the command's fate unknown.
  bool LooksHealthy() const;
  // Sends one command and waits for its reply (at most the command timeout). Any I/O failure
  // closes the connection: its reply stream can no longer be trusted.
  RedisResult<RedisReply> Command(const std::vector<std::string>& args);
  // Sends several commands at once and waits for all replies.
  RedisResult<std::vector<RedisReply>> Pipeline(const std::vector<std::vector<std::string>>& commands);
  void Close();

  // For the subscriber, which drives the socket itself.
  redisContext* Context() const { return context_; }
  const RedisEndpoint& Endpoint() const { return endpoint_; }

 private:
  RedisResult<Done> Append(const std::vector<std::string>& args);
  RedisResult<RedisReply> ReadReply();

  RedisEndpoint endpoint_;
  redisContext* context_ = nullptr;
};

// A Lua script run with EVALSHA, falling back to EVAL when the server does not know it (first use,
// or after a Redis restart emptied its script cache).
struct RedisScript {
  explicit RedisScript(std::string source);
  std::string source;
  std::string sha1;
};

// A bounded set of connections. Callers wait (at most the command timeout) for a free one; after a
// failed connect, further attempts back off briefly so that a down Redis fails requests fast
// instead of making each one wait for its own connect timeout.
class RedisPool {
 public:
  explicit RedisPool(RedisEndpoint endpoint);
  ~RedisPool();

  const RedisEndpoint& Endpoint() const { return endpoint_; }

  RedisResult<RedisReply> Run(const std::vector<std::string>& args);
  RedisResult<std::vector<RedisReply>> Pipeline(const std::vector<std::vector<std::string>>& commands);
  RedisResult<RedisReply> Eval(const RedisScript& script, const std::vector<std::string>& keys,
                               const std::vector<std::string>& args);

 private:
  class Lease;
  RedisResult<Lease> Acquire();
  void Release(std::unique_ptr<RedisConnection> connection);

  RedisEndpoint endpoint_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<RedisConnection>> idle_;
  std::size_t created_ = 0;
  std::chrono::steady_clock::time_point retry_connect_after_{};
  std::chrono::milliseconds backoff_{0};
  std::string last_connect_error_;
};

// `text` as a literal inside a SCAN MATCH pattern (* ? [ ] \ escaped).
std::string GlobEscape(const std::string& text);

// Deletes every key that begins with `prefix` (a store's reset): a page of SCAN at a time, each
// page with one UNLINK, so Redis is never blocked for long. Not atomic: a key written meanwhile may
// stay. Stops at the first failure (an error reply included) and says why.
RedisResult<Done> UnlinkKeysWithPrefix(RedisPool& pool, const std::string& prefix);

}  // namespace mallard::redis
