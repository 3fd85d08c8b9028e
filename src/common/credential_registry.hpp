#pragma once
// CredentialRegistry: temporary credentials that STS issued, so that requests signed with them
// resolve to the identity and account they were issued for, and (under --auth sigv4) so that their
// signatures and session tokens can be verified. Thread-safe.
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace mallard {

struct CallerIdentity {
  std::string account_id;
  std::string arn;      // arn:aws:iam::ACCOUNT:root, or arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION
  std::string user_id;  // ACCOUNT for root, ROLEID:SESSION for an assumed role
  std::int64_t expires_millis = 0;
  // The secret and session token issued with the access key: signature verification needs both.
  std::string secret_access_key;
  std::string session_token;
};

class CredentialRegistry {
 public:
  void Register(const std::string& access_key_id, CallerIdentity identity) {
    std::lock_guard lock(mutex_);
    issued_[access_key_id] = std::move(identity);
  }
  // The identity behind temporary credentials still valid at `now_millis`.
  std::optional<CallerIdentity> Find(const std::string& access_key_id, std::int64_t now_millis) const {
    std::lock_guard lock(mutex_);
    auto found = issued_.find(access_key_id);
    if (found == issued_.end() || found->second.expires_millis <= now_millis) return std::nullopt;
    return found->second;
  }
  // The credentials whatever their expiry, so that verification can tell an expired token from an
  // unknown one.
  std::optional<CallerIdentity> FindIncludingExpired(const std::string& access_key_id) const {
    std::lock_guard lock(mutex_);
    auto found = issued_.find(access_key_id);
    if (found == issued_.end()) return std::nullopt;
    return found->second;
  }
  void Clear() {
    std::lock_guard lock(mutex_);
    issued_.clear();
  }
  // Every credential still valid at `now_millis`, by access key id (STS's snapshots).
  std::map<std::string, CallerIdentity> ValidAt(std::int64_t now_millis) const {
    std::lock_guard lock(mutex_);
    std::map<std::string, CallerIdentity> valid;
    for (const auto& [key, identity] : issued_) {
      if (identity.expires_millis > now_millis) valid.emplace(key, identity);
    }
    return valid;
  }
  // Forgets every credential issued for `account_id` (a snapshot's scope being cleared).
  void ForgetAccount(const std::string& account_id) {
    std::lock_guard lock(mutex_);
    std::erase_if(issued_, [&](const auto& entry) { return entry.second.account_id == account_id; });
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, CallerIdentity> issued_;
};

}  // namespace mallard
