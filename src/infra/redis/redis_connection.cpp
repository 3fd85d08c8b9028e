#include "infra/redis/redis_connection.hpp"

#include <hiredis/hiredis.h>
#include <openssl/evp.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <optional>

#include "common/encoding.hpp"

namespace mallard::redis {
namespace {

timeval ToTimeval(std::chrono::milliseconds duration) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(duration.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((duration.count() % 1000) * 1000);
  return tv;
}

RedisReply CopyReply(const redisReply* reply) {
  RedisReply copy;
  switch (reply->type) {
    case REDIS_REPLY_STRING:
      copy.type = RedisReply::Type::String;
      copy.text.assign(reply->str, reply->len);
      break;
    case REDIS_REPLY_STATUS:
      copy.type = RedisReply::Type::Status;
      copy.text.assign(reply->str, reply->len);
      break;
    case REDIS_REPLY_ERROR:
      copy.type = RedisReply::Type::Error;
      copy.text.assign(reply->str, reply->len);
      break;
    case REDIS_REPLY_INTEGER:
      copy.type = RedisReply::Type::Integer;
      copy.integer = reply->integer;
      break;
    case REDIS_REPLY_ARRAY:
      copy.type = RedisReply::Type::Array;
      copy.elements.reserve(reply->elements);
      for (std::size_t i = 0; i < reply->elements; ++i) copy.elements.push_back(CopyReply(reply->element[i]));
      break;
    default:
      copy.type = RedisReply::Type::Nil;
  }
  return copy;
}

std::optional<long long> ParseInteger(std::string_view text) {
  long long value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string Sha1Hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha1(), nullptr);
  static const char* kHex = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 15];
  }
  return hex;
}

}  // namespace

std::string RedisEndpoint::Describe() const {
  return host + ":" + std::to_string(port) + "/" + std::to_string(database);
}

Result<RedisEndpoint, std::string> ParseRedisUrl(std::string_view url) {
  constexpr std::string_view kScheme = "redis://";
  if (url.substr(0, kScheme.size()) != kScheme) return Fail(std::string("a Redis URL begins with redis://"));
  RedisEndpoint endpoint;
  std::string_view rest = url.substr(kScheme.size());
  std::string_view query;
  if (auto mark = rest.find('?'); mark != std::string_view::npos) {
    query = rest.substr(mark + 1);
    rest = rest.substr(0, mark);
  }
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    auto colon = userinfo.find(':');
    auto user = FormUrlDecode(userinfo.substr(0, colon));
    auto password = colon == std::string_view::npos ? std::optional<std::string>("") : FormUrlDecode(userinfo.substr(colon + 1));
    if (!user || !password) return Fail(std::string("malformed user or password in the Redis URL"));
    endpoint.username = *user;
    endpoint.password = *password;
  }
  std::string_view authority = rest;
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    authority = rest.substr(0, slash);
    std::string_view db = rest.substr(slash + 1);
    if (!db.empty()) {
      auto number = ParseInteger(db);
      if (!number || *number < 0 || *number > 1000000) return Fail("invalid Redis database '" + std::string(db) + "'");
      endpoint.database = static_cast<int>(*number);
    }
  }
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {  // [IPv6]:port
    auto close = authority.find(']');
    if (close == std::string_view::npos) return Fail(std::string("unterminated [IPv6] host in the Redis URL"));
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return Fail(std::string("malformed host in the Redis URL"));
      port = authority.substr(close + 2);
    }
  } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) return Fail(std::string("the Redis URL names no host"));
  endpoint.host = std::string(host);
  if (!port.empty()) {
    auto number = ParseInteger(port);
    if (!number || *number < 1 || *number > 65535) return Fail("invalid Redis port '" + std::string(port) + "'");
    endpoint.port = static_cast<int>(*number);
  }
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    auto equals = pair.find('=');
    std::string name(pair.substr(0, equals));
    auto value = FormUrlDecode(equals == std::string_view::npos ? std::string_view() : pair.substr(equals + 1));
    if (!value) return Fail("malformed value of '" + name + "' in the Redis URL");
    auto positive = [&](long long low, long long high) -> Result<long long, std::string> {
      auto number = ParseInteger(*value);
      if (!number || *number < low || *number > high) {
        return Fail(name + " in the Redis URL must be an integer from " + std::to_string(low) + " to " + std::to_string(high));
      }
      return *number;
    };
    if (name == "prefix") {
      endpoint.key_prefix = *value;
    } else if (name == "pool") {
      auto number = positive(1, 1024);
      if (!number) return Fail(number.error());
      endpoint.pool_size = static_cast<std::size_t>(*number);
    } else if (name == "timeout_ms") {
      auto number = positive(10, 600000);
      if (!number) return Fail(number.error());
      endpoint.command_timeout = std::chrono::milliseconds(*number);
    } else if (name == "connect_timeout_ms") {
      auto number = positive(10, 600000);
      if (!number) return Fail(number.error());
      endpoint.connect_timeout = std::chrono::milliseconds(*number);
    } else {
      return Fail("unknown Redis URL parameter '" + name + "' (known: prefix, pool, timeout_ms, connect_timeout_ms)");
    }
  }
  return endpoint;
}

std::string RedisReply::AsText() const {
  switch (type) {
    case Type::String:
    case Type::Status: return text;
    case Type::Integer: return std::to_string(integer);
    default: return {};
  }
}

long long RedisReply::AsInteger(long long fallback) const {
  if (type == Type::Integer) return integer;
  if (type == Type::String || type == Type::Status) return ParseInteger(text).value_or(fallback);
  return fallback;
}

// ---- RedisConnection -----------------------------------------------------------------------

RedisConnection::RedisConnection(RedisEndpoint endpoint) : endpoint_(std::move(endpoint)) {}

RedisConnection::~RedisConnection() { Close(); }

void RedisConnection::Close() {
  if (context_) redisFree(context_);
  context_ = nullptr;
}

RedisResult<Done> RedisConnection::EnsureConnected() {
  if (context_ && context_->err == 0) return Done{};
  Close();
  context_ = redisConnectWithTimeout(endpoint_.host.c_str(), endpoint_.port, ToTimeval(endpoint_.connect_timeout));
  if (!context_) return Fail(RedisError{"cannot allocate a Redis context"});
  if (context_->err) {
    RedisError error{"Redis at " + endpoint_.Describe() + " is unreachable: " + context_->errstr};
    Close();
    return Fail(std::move(error));
  }
  redisSetTimeout(context_, ToTimeval(endpoint_.command_timeout));
  redisEnableKeepAlive(context_);
  auto setup = [&](const std::vector<std::string>& args, const char* what) -> RedisResult<Done> {
    auto reply = Command(args);
    if (!reply) return Fail(std::move(reply).error());
    if (reply->IsError()) {
      Close();
      return Fail(RedisError{std::string(what) + " failed on Redis at " + endpoint_.Describe() + ": " + reply->text});
    }
    return Done{};
  };
  if (!endpoint_.password.empty()) {
    std::vector<std::string> auth = {"AUTH"};
    if (!endpoint_.username.empty()) auth.push_back(endpoint_.username);
    auth.push_back(endpoint_.password);
    if (auto done = setup(auth, "AUTH"); !done) return done;
  }
  if (endpoint_.database != 0) {
    if (auto done = setup({"SELECT", std::to_string(endpoint_.database)}, "SELECT"); !done) return done;
  }
  return Done{};
}

bool RedisConnection::LooksHealthy() const {
  if (!context_ || context_->err != 0) return false;
  pollfd descriptor{context_->fd, POLLIN, 0};
  // Nothing is pending between commands, so anything readable is EOF, an error, or garbage.
  return poll(&descriptor, 1, 0) == 0;
}

RedisResult<Done> RedisConnection::Append(const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  argv.reserve(args.size());
  lengths.reserve(args.size());
  for (const auto& arg : args) {
    argv.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  if (redisAppendCommandArgv(context_, static_cast<int>(argv.size()), argv.data(), lengths.data()) != REDIS_OK) {
    RedisError error{std::string("cannot format a Redis command: ") + context_->errstr};
    Close();
    return Fail(std::move(error));
  }
  return Done{};
}

RedisResult<RedisReply> RedisConnection::ReadReply() {
  void* raw = nullptr;
  if (redisGetReply(context_, &raw) != REDIS_OK || raw == nullptr) {
    // hiredis reports a socket timeout (SO_RCVTIMEO) as the EAGAIN text; errno itself may be stale by now.
    std::string reason = context_->errstr;
    bool timed_out = context_->err == REDIS_ERR_IO && reason == std::strerror(EAGAIN);
    RedisError error{"Redis at " + endpoint_.Describe() +
                     (timed_out ? " did not answer within " + std::to_string(endpoint_.command_timeout.count()) + " ms"
                                : " failed: " + reason)};
    Close();
    return Fail(std::move(error));
  }
  RedisReply reply = CopyReply(static_cast<redisReply*>(raw));
  freeReplyObject(raw);
  return reply;
}

RedisResult<RedisReply> RedisConnection::Command(const std::vector<std::string>& args) {
  if (!context_) return Fail(RedisError{"not connected to Redis at " + endpoint_.Describe()});
  if (auto appended = Append(args); !appended) return Fail(std::move(appended).error());
  return ReadReply();
}

RedisResult<std::vector<RedisReply>> RedisConnection::Pipeline(const std::vector<std::vector<std::string>>& commands) {
  if (!context_) return Fail(RedisError{"not connected to Redis at " + endpoint_.Describe()});
  for (const auto& command : commands) {
    if (auto appended = Append(command); !appended) return Fail(std::move(appended).error());
  }
  std::vector<RedisReply> replies;
  replies.reserve(commands.size());
  for (std::size_t i = 0; i < commands.size(); ++i) {
    auto reply = ReadReply();
    if (!reply) return Fail(std::move(reply).error());
    replies.push_back(std::move(reply).value());
  }
  return replies;
}

// ---- RedisScript ---------------------------------------------------------------------------

RedisScript::RedisScript(std::string text) : source(std::move(text)), sha1(Sha1Hex(source)) {}

// ---- RedisPool -----------------------------------------------------------------------------

class RedisPool::Lease {
 public:
  Lease(RedisPool* pool, std::unique_ptr<RedisConnection> connection)
      : pool_(pool), connection_(std::move(connection)) {}
  Lease(Lease&& other) noexcept = default;
  Lease& operator=(Lease&&) = delete;
  ~Lease() {
    if (connection_) pool_->Release(std::move(connection_));
  }
  RedisConnection& operator*() { return *connection_; }
  RedisConnection* operator->() { return connection_.get(); }

 private:
  RedisPool* pool_;
  std::unique_ptr<RedisConnection> connection_;
};

RedisPool::RedisPool(RedisEndpoint endpoint) : endpoint_(std::move(endpoint)) {}

RedisPool::~RedisPool() = default;

RedisResult<RedisPool::Lease> RedisPool::Acquire() {
  std::unique_ptr<RedisConnection> connection;
  {
    std::unique_lock lock(mutex_);
    auto deadline = std::chrono::steady_clock::now() + endpoint_.command_timeout;
    while (idle_.empty() && created_ >= endpoint_.pool_size) {
      if (available_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
          created_ >= endpoint_.pool_size) {
        return Fail(RedisError{"all " + std::to_string(endpoint_.pool_size) + " connections to Redis at " +
                               endpoint_.Describe() + " stayed busy"});
      }
    }
    if (!idle_.empty()) {
      connection = std::move(idle_.back());
      idle_.pop_back();
    } else {
      ++created_;
      connection = std::make_unique<RedisConnection>(endpoint_);
    }
  }
  Lease lease(this, std::move(connection));
  if (lease->LooksHealthy()) return lease;
  lease->Close();
  {
    std::lock_guard lock(mutex_);
    if (std::chrono::steady_clock::now() < retry_connect_after_) return Fail(RedisError{last_connect_error_});
  }
  auto connected = lease->EnsureConnected();
  std::lock_guard lock(mutex_);
  if (!connected) {
    backoff_ = std::clamp(backoff_ * 2, std::chrono::milliseconds(50), std::chrono::milliseconds(1000));
    retry_connect_after_ = std::chrono::steady_clock::now() + backoff_;
    last_connect_error_ = connected.error().message;
    return Fail(std::move(connected).error());
  }
  backoff_ = std::chrono::milliseconds(0);
  retry_connect_after_ = {};
  return lease;
}

void RedisPool::Release(std::unique_ptr<RedisConnection> connection) {
  {
    std::lock_guard lock(mutex_);
    idle_.push_back(std::move(connection));
  }
  available_.notify_one();
}

RedisResult<RedisReply> RedisPool::Run(const std::vector<std::string>& args) {
  auto lease = Acquire();
  if (!lease) return Fail(std::move(lease).error());
  return (*lease)->Command(args);
}

RedisResult<std::vector<RedisReply>> RedisPool::Pipeline(const std::vector<std::vector<std::string>>& commands) {
  auto lease = Acquire();
  if (!lease) return Fail(std::move(lease).error());
  return (*lease)->Pipeline(commands);
}

RedisResult<RedisReply> RedisPool::Eval(const RedisScript& script, const std::vector<std::string>& keys,
                                        const std::vector<std::string>& args) {
  std::vector<std::string> command;
  command.reserve(3 + keys.size() + args.size());
  command.push_back("EVALSHA");
  command.push_back(script.sha1);
  command.push_back(std::to_string(keys.size()));
  command.insert(command.end(), keys.begin(), keys.end());
  command.insert(command.end(), args.begin(), args.end());
  auto lease = Acquire();
  if (!lease) return Fail(std::move(lease).error());
  auto reply = (*lease)->Command(command);
  if (reply && reply->IsError() && reply->text.rfind("NOSCRIPT", 0) == 0) {
    // EVAL also caches the script, so later calls take the EVALSHA path again.
    command[0] = "EVAL";
    command[1] = script.source;
    reply = (*lease)->Command(command);
  }
  return reply;
}

std::string GlobEscape(const std::string& text) {
  std::string escaped;
  for (char c : text) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') escaped += '\\';
    escaped += c;
  }
  return escaped;
}

RedisResult<Done> UnlinkKeysWithPrefix(RedisPool& pool, const std::string& prefix) {
  std::string cursor = "0";
  const std::string pattern = GlobEscape(prefix) + "*";
  do {
    auto page = pool.Run({"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"});
    if (!page) return Fail(page.error());
    if (page->IsError() || page->elements.size() != 2) {
      return Fail(RedisError{page->IsError() ? page->text : std::string("unexpected SCAN reply")});
    }
    cursor = page->elements[0].AsText();
    std::vector<std::string> unlink = {"UNLINK"};
    for (const auto& key : page->elements[1].elements) unlink.push_back(key.AsText());
    if (unlink.size() == 1) continue;
    auto removed = pool.Run(unlink);
    if (!removed) return Fail(removed.error());
    if (removed->IsError()) return Fail(RedisError{removed->text});
  } while (cursor != "0");
  return Done{};
}

}  // namespace mallard::redis
