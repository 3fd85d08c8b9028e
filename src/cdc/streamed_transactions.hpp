#pragma once
// Transactions that PostgreSQL streams while they are still in progress (pgoutput protocol 2) are
// held until their Stream Commit (then replayed in order) or Stream Abort (then dropped, whole or one
// subtransaction). They are held in files, not in memory: PostgreSQL streams exactly the transactions
// too large for its logical_decoding_work_mem, so holding them in memory would only move that
// problem into this process.
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace mallard::cdc {

class StreamedTransactions {
 public:
  // Files go to `directory` (created when needed) and are removed when a transaction ends and in
  // the destructor, which also removes the directory when that leaves it empty.
  explicit StreamedTransactions(std::string directory);
  ~StreamedTransactions();
  StreamedTransactions(const StreamedTransactions&) = delete;
  StreamedTransactions& operator=(const StreamedTransactions&) = delete;

  // Holds one raw pgoutput message of top-level transaction `xid`, sent by (sub)transaction `subxid`.
  Result<Done, std::string> Append(std::uint32_t xid, std::uint32_t subxid, std::string_view payload);
  // Drops the messages of `subxid`; the whole transaction when subxid == xid.
  void Abort(std::uint32_t xid, std::uint32_t subxid);
  // Calls `visit` with each held message of `xid` in arrival order, except those of aborted
  // subtransactions, then forgets the transaction. A transaction never held replays nothing.
  Result<Done, std::string> Replay(std::uint32_t xid,
                                   const std::function<Result<Done, std::string>(std::string_view)>& visit);

  bool empty() const { return held_.empty(); }
  std::uint64_t BytesHeld() const;

 private:
  struct Held {
    std::FILE* file = nullptr;
    std::string path;
    std::set<std::uint32_t> aborted_subtransactions;
    std::uint64_t bytes = 0;
  };
  void Forget(std::map<std::uint32_t, Held>::iterator it);

  std::string directory_;
  std::map<std::uint32_t, Held> held_;
};

}  // namespace mallard::cdc
