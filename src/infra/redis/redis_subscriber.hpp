#pragma once
// RedisSubscriber: one dedicated pub/sub connection on its own thread, shared by every watcher in
// the process. Channels are subscribed while at least one handler wants them, so a publish in
// another process reaches exactly the processes that wait on that channel.
//
// Messages published while the connection is down are lost, so after every (re)connection, once
// Redis has confirmed all subscriptions, every handler is called once: a watcher re-checks its
// state instead of waiting for a notification that will never come.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "infra/redis/redis_connection.hpp"

namespace mallard::redis {

class RedisSubscriber {
 public:
  // `broadcast_channel`: a channel always subscribed whose messages call every handler (used when
  // all state is reset at once).
  RedisSubscriber(RedisEndpoint endpoint, std::string broadcast_channel);
  ~RedisSubscriber();
  RedisSubscriber(const RedisSubscriber&) = delete;
  RedisSubscriber& operator=(const RedisSubscriber&) = delete;

  class Handle {
   public:
    virtual ~Handle() = default;
  };
  // Calls `handler` on the subscriber thread for each message on `channel` until the handle is
  // destroyed; after the handle's destructor returns the handler is never called again. A handler
  // must not destroy its own handle. Waits up to `confirm_within` for Redis to confirm a new
  // channel (not at all while Redis is unreachable), so that a message published after Subscribe
  // returns is delivered. Destroying a handle never waits on Redis.
  std::unique_ptr<Handle> Subscribe(const std::string& channel, std::function<void()> handler,
                                    std::chrono::milliseconds confirm_within);

 private:
  struct Entry {
    std::mutex mutex;
    bool active = true;
    std::function<void()> handler;
  };
  class EntryHandle;
  // Everything the thread and the handles share. Handles hold it weakly: one destroyed after the
  // subscriber (late in a shutdown) finds it gone and does nothing.
  struct State {
    State();
    ~State();
    void Wake();
    void Remove(const std::string& channel, const std::shared_ptr<Entry>& entry);

    int wake_fd = -1;
    std::mutex mutex;
    std::condition_variable confirmed_changed;
    std::map<std::string, std::list<std::shared_ptr<Entry>>> handlers;
    std::set<std::string> requested;  // SUBSCRIBE sent on the current connection
    std::set<std::string> confirmed;  // and confirmed by Redis
    bool connected = false;
    bool resync_pending = false;
    bool stopping = false;
  };

  void Run();
  // Sends SUBSCRIBE/UNSUBSCRIBE so Redis matches the handlers; false when the connection failed.
  bool Reconcile(RedisConnection& connection);
  bool ReadReplies(RedisConnection& connection);
  void Dispatch(const std::string& channel);
  void DispatchAll();
  static void Call(const std::vector<std::shared_ptr<Entry>>& entries);

  RedisEndpoint endpoint_;
  std::string broadcast_channel_;
  std::shared_ptr<State> state_;
  std::thread thread_;
};

}  // namespace mallard::redis
