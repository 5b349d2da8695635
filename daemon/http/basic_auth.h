#pragma once
// HTTP basic auth against bcrypt hashes (web-config basic_auth_users), as exporter-toolkit does
// it: bcrypt (libcrypt's crypt_r) runs one at a time, and its outcome is cached under a SHA-256
// of (user, hash, password), so a scrape pays tens of milliseconds of bcrypt once, not each time.
// A wrong password costs what a right one costs: an unknown user runs bcrypt too (against a
// configured user's hash, so at the same cost), failures are cached like successes, and hashes
// are compared in constant time.
// Threads: any thread may call Allows.
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "daemon/http/web_config.h"

struct crypt_data;

namespace sloth {

class BasicAuthCheck {
 public:
  // How a password is checked against a hash; tests pass a counting one.
  using Verify = std::function<bool(std::string_view password, const std::string& hash)>;

  // `users` must not be empty.
  explicit BasicAuthCheck(std::vector<BasicAuthUser> users, Verify verify = {});
  ~BasicAuthCheck();

  bool Allows(std::string_view user, std::string_view password);

  // How many times bcrypt ran (cache misses).
  uint64_t bcrypt_runs() const;

 private:
  static constexpr size_t kMaxCached = 256;

  std::vector<BasicAuthUser> users_;
  Verify verify_;
  mutable std::mutex cache_mutex_;
  std::unordered_map<std::string, bool> cache_;  // SHA-256 digest -> outcome
  uint64_t bcrypt_runs_ = 0;
  std::mutex bcrypt_mutex_;                    // one bcrypt at a time: a flood of guesses cannot take every core
  std::unique_ptr<crypt_data> crypt_scratch_;  // guarded by bcrypt_mutex_
};

// crypt_r(password, hash) == hash, compared in constant time.
bool BcryptMatches(std::string_view password, const std::string& hash, crypt_data* scratch);

}  // namespace sloth
