#include "infra/redis/redis_subscriber.hpp"

#include <hiredis/hiredis.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

namespace mallard::redis {

class RedisSubscriber::EntryHandle final : public RedisSubscriber::Handle {
 public:
  EntryHandle(std::weak_ptr<State> state, std::string channel, std::shared_ptr<Entry> entry)
      : state_(std::move(state)), channel_(std::move(channel)), entry_(std::move(entry)) {}
  ~EntryHandle() override {
    {
      // Waits only for a call of this very handler that is running now (a handler is short).
      std::lock_guard lock(entry_->mutex);
      entry_->active = false;
    }
    if (auto state = state_.lock()) state->Remove(channel_, entry_);
  }

 private:
  std::weak_ptr<State> state_;
  std::string channel_;
  std::shared_ptr<Entry> entry_;
};

RedisSubscriber::State::State() : wake_fd(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

RedisSubscriber::State::~State() {
  if (wake_fd >= 0) close(wake_fd);
}

void RedisSubscriber::State::Wake() {
  std::uint64_t one = 1;
  [[maybe_unused]] auto written = write(wake_fd, &one, sizeof one);
}

RedisSubscriber::RedisSubscriber(RedisEndpoint endpoint, std::string broadcast_channel)
    : endpoint_(std::move(endpoint)),
      broadcast_channel_(std::move(broadcast_channel)),
      state_(std::make_shared<State>()) {
  thread_ = std::thread([this] { Run(); });
}

RedisSubscriber::~RedisSubscriber() {
  {
    std::lock_guard lock(state_->mutex);
    state_->stopping = true;
  }
  state_->confirmed_changed.notify_all();
  state_->Wake();
  if (thread_.joinable()) thread_.join();
}

std::unique_ptr<RedisSubscriber::Handle> RedisSubscriber::Subscribe(const std::string& channel,
                                                                    std::function<void()> handler,
                                                                    std::chrono::milliseconds confirm_within) {
  auto entry = std::make_shared<Entry>();
  entry->handler = std::move(handler);
  bool unconfirmed = false;
  bool wait = false;
  {
    std::lock_guard lock(state_->mutex);
    state_->handlers[channel].push_back(entry);
    unconfirmed = !state_->confirmed.count(channel);
    wait = unconfirmed && state_->connected;
  }
  auto handle = std::make_unique<EntryHandle>(state_, channel, entry);
  if (unconfirmed) state_->Wake();
  if (wait) {
    std::unique_lock lock(state_->mutex);
    state_->confirmed_changed.wait_for(lock, confirm_within, [&] {
      return state_->stopping || !state_->connected || state_->confirmed.count(channel) > 0;
    });
  }
  return handle;
}

void RedisSubscriber::State::Remove(const std::string& channel, const std::shared_ptr<Entry>& entry) {
  bool now_unused = false;
  {
    std::lock_guard lock(mutex);
    auto found = handlers.find(channel);
    if (found == handlers.end()) return;
    found->second.remove(entry);
    if (found->second.empty()) {
      handlers.erase(found);
      now_unused = true;
    }
  }
  if (now_unused) Wake();  // the thread unsubscribes; this thread never touches the socket
}

void RedisSubscriber::Call(const std::vector<std::shared_ptr<Entry>>& entries) {
  for (const auto& entry : entries) {
    std::lock_guard lock(entry->mutex);
    if (!entry->active) continue;
    try {
      entry->handler();
    } catch (const std::exception& e) {
      spdlog::error("redis subscriber: a handler threw: {}", e.what());
    }
  }
}

void RedisSubscriber::Dispatch(const std::string& channel) {
  std::vector<std::shared_ptr<Entry>> entries;
  {
    std::lock_guard lock(state_->mutex);
    auto found = state_->handlers.find(channel);
    if (found == state_->handlers.end()) return;
    entries.assign(found->second.begin(), found->second.end());
  }
  Call(entries);
}

void RedisSubscriber::DispatchAll() {
  std::vector<std::shared_ptr<Entry>> entries;
  {
    std::lock_guard lock(state_->mutex);
    for (const auto& [channel, list] : state_->handlers) entries.insert(entries.end(), list.begin(), list.end());
  }
  Call(entries);
}

bool RedisSubscriber::Reconcile(RedisConnection& connection) {
  std::vector<std::string> subscribe = {"SUBSCRIBE"};
  std::vector<std::string> unsubscribe = {"UNSUBSCRIBE"};
  {
    std::lock_guard lock(state_->mutex);
    if (!state_->requested.count(broadcast_channel_)) {
      subscribe.push_back(broadcast_channel_);
      state_->requested.insert(broadcast_channel_);
    }
    for (const auto& [channel, list] : state_->handlers) {
      if (state_->requested.insert(channel).second) subscribe.push_back(channel);
    }
    for (auto it = state_->requested.begin(); it != state_->requested.end();) {
      if (*it != broadcast_channel_ && !state_->handlers.count(*it)) {
        unsubscribe.push_back(*it);
        state_->confirmed.erase(*it);
        it = state_->requested.erase(it);
      } else {
        ++it;
      }
    }
  }
  redisContext* context = connection.Context();
  for (auto* command : {&subscribe, &unsubscribe}) {
    if (command->size() < 2) continue;
    std::vector<const char*> argv;
    std::vector<size_t> lengths;
    for (const auto& arg : *command) {
      argv.push_back(arg.data());
      lengths.push_back(arg.size());
    }
    if (redisAppendCommandArgv(context, static_cast<int>(argv.size()), argv.data(), lengths.data()) != REDIS_OK) {
      return false;
    }
  }
  int done = 0;
  while (!done) {
    if (redisBufferWrite(context, &done) != REDIS_OK) return false;
  }
  return true;
}

bool RedisSubscriber::ReadReplies(RedisConnection& connection) {
  redisContext* context = connection.Context();
  if (redisBufferRead(context) != REDIS_OK) return false;
  for (;;) {
    void* raw = nullptr;
    if (redisGetReplyFromReader(context, &raw) != REDIS_OK) return false;
    if (!raw) return true;
    auto* reply = static_cast<redisReply*>(raw);
    if (reply->type == REDIS_REPLY_ARRAY && reply->elements >= 2 && reply->element[0]->type == REDIS_REPLY_STRING &&
        reply->element[1]->type == REDIS_REPLY_STRING) {
      std::string kind(reply->element[0]->str, reply->element[0]->len);
      std::string channel(reply->element[1]->str, reply->element[1]->len);
      freeReplyObject(raw);
      if (kind == "message") {
        if (channel == broadcast_channel_) {
          DispatchAll();
        } else {
          Dispatch(channel);
        }
      } else if (kind == "subscribe") {
        {
          std::lock_guard lock(state_->mutex);
          if (state_->requested.count(channel)) state_->confirmed.insert(channel);
        }
        state_->confirmed_changed.notify_all();
      }
    } else {
      freeReplyObject(raw);
    }
  }
}

void RedisSubscriber::Run() {
  RedisConnection connection(endpoint_);
  auto backoff = std::chrono::milliseconds(50);
  bool outage_logged = false;
  auto wait_for_wake = [&](int timeout_ms) {
    pollfd wake{state_->wake_fd, POLLIN, 0};
    poll(&wake, 1, timeout_ms);
    std::uint64_t drained;
    [[maybe_unused]] auto got = read(state_->wake_fd, &drained, sizeof drained);
  };
  auto disconnect = [&] {
    connection.Close();
    {
      std::lock_guard lock(state_->mutex);
      state_->connected = false;
      state_->requested.clear();
      state_->confirmed.clear();
    }
    state_->confirmed_changed.notify_all();
  };
  for (;;) {
    {
      std::lock_guard lock(state_->mutex);
      if (state_->stopping) break;
    }
    if (!connection.Context()) {
      auto connected = connection.EnsureConnected();
      if (!connected) {
        if (!outage_logged) spdlog::warn("redis subscriber: {}; retrying", connected.error().message);
        outage_logged = true;
        wait_for_wake(static_cast<int>(backoff.count()));
        backoff = std::min(backoff * 2, std::chrono::milliseconds(1000));
        continue;
      }
      if (outage_logged) spdlog::info("redis subscriber: connected to {} again", endpoint_.Describe());
      outage_logged = false;
      backoff = std::chrono::milliseconds(50);
      std::lock_guard lock(state_->mutex);
      state_->connected = true;
      state_->resync_pending = true;
    }
    if (!Reconcile(connection)) {
      disconnect();
      continue;
    }
    bool resync_now = false;
    {
      std::lock_guard lock(state_->mutex);
      if (state_->resync_pending && state_->confirmed.size() == state_->requested.size()) {
        state_->resync_pending = false;
        resync_now = true;
      }
    }
    if (resync_now) DispatchAll();
    pollfd descriptors[2] = {{connection.Context()->fd, POLLIN, 0}, {state_->wake_fd, POLLIN, 0}};
    if (poll(descriptors, 2, -1) < 0) continue;  // EINTR
    if (descriptors[1].revents & POLLIN) {
      std::uint64_t drained;
      [[maybe_unused]] auto got = read(state_->wake_fd, &drained, sizeof drained);
    }
    if (descriptors[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      if (!ReadReplies(connection)) {
        spdlog::warn("redis subscriber: connection to {} lost; reconnecting", endpoint_.Describe());
        disconnect();
      }
    }
  }
  connection.Close();
}

}  // namespace mallard::redis
