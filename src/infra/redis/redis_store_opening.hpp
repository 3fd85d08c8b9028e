#pragma once
// Opening a Redis-backed store from its spec the same way for every service: the URL parsed (an
// error names the service's setting), one PING at start-up — a Redis that is down is not fatal:
// requests fail with ServiceUnavailable until it answers, and the log says so once — and a health
// probe on a connection of its own. `Store` is constructed from a RedisEndpoint and has Ping().
#include <spdlog/spdlog.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/redaction.hpp"
#include "common/result.hpp"
#include "infra/redis/redis_connection.hpp"
#include "infra/redis/redis_probe.hpp"

namespace mallard::redis {

template <typename Store>
struct OpenedRedisStore {
  std::shared_ptr<Store> store;
  std::function<std::optional<std::string>()> probe;  // for the health endpoint
};

// `label` names the setting in messages: "SQS backend" → "invalid SQS backend 'redis://…': …".
template <typename Store>
Result<OpenedRedisStore<Store>, std::string> OpenRedisStore(const std::string& spec, const std::string& label) {
  auto endpoint = ParseRedisUrl(spec);
  if (!endpoint) return Fail("invalid " + label + " '" + WithoutPassword(spec) + "': " + endpoint.error());
  auto store = std::make_shared<Store>(*endpoint);
  if (auto reachable = store->Ping(); !reachable) {
    spdlog::warn("{}: {}; requests will fail until Redis answers", label, reachable.error().detail);
  }
  return OpenedRedisStore<Store>{std::move(store), RedisProbe(spec, std::chrono::milliseconds(500))};
}

}  // namespace mallard::redis
