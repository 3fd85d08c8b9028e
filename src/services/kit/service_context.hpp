#pragma once
// What a service needs from the process to run without blocking network threads: an executor for
// timers and completions, a pool for backend calls that do I/O, and a clock.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/thread_pool.hpp>

#include "common/ids.hpp"

namespace mallard::services {

struct ServiceContext {
  boost::asio::any_io_executor timers;     // long-poll timers, background tasks
  boost::asio::thread_pool* blocking_pool;  // backend calls that may wait on I/O
  Clock clock = SystemClock();
};

}  // namespace mallard::services
