#pragma once
// What a service needs from the process: an executor for timers and completions, its own pool for
// work that may wait on I/O, a clock, the other services (peers), named pools for slow work of its
// own, and the account an access key belongs to.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/thread_pool.hpp>

#include <functional>
#include <memory>
#include <string>

#include "common/ids.hpp"

namespace mallard::services {

class PeerDirectory;
class ExecutorDirectory;
class S3LocalFiles;

struct ServiceContext {
  boost::asio::any_io_executor timers;      // long-poll timers, background tasks
  // The module's own pool (ExecutorDirectory::Pool(module name)): a slow store or a slow peer of
  // another module never takes its threads. Null in unit tests: pool work then runs inline.
  boost::asio::thread_pool* blocking_pool = nullptr;
  Clock clock = SystemClock();
  // The other services of this server, invoked in-process (null in unit tests of one service).
  const PeerDirectory* peers = nullptr;
  // Further named pools for slow work of the service's own (an HTTP delivery, a large export).
  ExecutorDirectory* executors = nullptr;
  // The account an access key belongs to, as the gateway maps it (STS GetAccessKeyInfo).
  std::function<std::string(const std::string& access_key_id)> account_of_key;
  // The region of a request that names none (no SigV4 scope): the server's --default-region. Paths a
  // service answers itself (/_aws/…) need it, as they bypass the gateway's request context.
  std::string default_region = "us-east-1";
  // Where the S3 file store keeps objects as plain files, for a SQL engine that reads and writes
  // them (null when the server has no S3 module; its root is empty for the memory store).
  std::shared_ptr<const S3LocalFiles> s3_files;
};

}  // namespace mallard::services
