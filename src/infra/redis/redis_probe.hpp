#pragma once
// Reachability of a Redis, for the health endpoints: PING on a connection of its own (connect,
// AUTH and SELECT included), each step bounded by a timeout, so a Redis that is down, hangs or
// refuses the password shows as such. Every Redis store's module uses it.
#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace mallard::redis {

// A blocking probe of the Redis at `url`: nullopt when it answers PING, else why not (never a
// password). The connection is kept between calls; call it from one thread at a time.
std::function<std::optional<std::string>()> RedisProbe(const std::string& url, std::chrono::milliseconds timeout);

}  // namespace mallard::redis
