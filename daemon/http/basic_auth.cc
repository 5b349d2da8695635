#include "daemon/http/basic_auth.h"

#include <crypt.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include <algorithm>
#include <cstring>

namespace sloth {
namespace {

std::string CacheKey(std::string_view user, const std::string& hash, std::string_view password) {
  std::string input;
  input.reserve(user.size() + hash.size() + password.size() + 2);
  input.append(user).push_back('\0');
  input.append(hash).push_back('\0');
  input.append(password);
  std::string digest(32, '\0');
  gnutls_hash_fast(GNUTLS_DIG_SHA256, input.data(), input.size(), digest.data());
  // The password's plain text does not outlive the call.
  std::fill(input.begin(), input.end(), '\0');
  return digest;
}

}  // namespace

bool BcryptMatches(std::string_view password, const std::string& hash, crypt_data* scratch) {
  std::memset(scratch, 0, sizeof *scratch);
  const std::string phrase(password);  // crypt_r wants a C string
  const char* out = ::crypt_r(phrase.c_str(), hash.c_str(), scratch);
  // A password with a NUL byte would be cut short by crypt_r: never a match.
  if (out == nullptr || phrase.size() != std::strlen(phrase.c_str())) return false;
  const size_t n = std::strlen(out);
  if (n != hash.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < n; ++i) diff |= static_cast<unsigned char>(out[i] ^ hash[i]);
  return diff == 0;
}

BasicAuthCheck::BasicAuthCheck(std::vector<BasicAuthUser> users, Verify verify)
    : users_(std::move(users)), verify_(std::move(verify)), crypt_scratch_(std::make_unique<crypt_data>()) {
  if (!verify_) {
    verify_ = [this](std::string_view password, const std::string& hash) {
      return BcryptMatches(password, hash, crypt_scratch_.get());
    };
  }
}

BasicAuthCheck::~BasicAuthCheck() = default;

bool BasicAuthCheck::Allows(std::string_view user, std::string_view password) {
  auto it = std::find_if(users_.begin(), users_.end(), [&](const BasicAuthUser& u) { return u.name == user; });
  const bool known_user = it != users_.end();
  // An unknown user is checked against a real user's hash, so it costs a known user's bcrypt.
  const std::string& hash = known_user ? it->bcrypt_hash : users_.front().bcrypt_hash;
  const std::string key = CacheKey(user, hash, password);
  {
    std::lock_guard lock(cache_mutex_);
    if (auto cached = cache_.find(key); cached != cache_.end()) return cached->second && known_user;
  }
  bool matches;
  {
    std::lock_guard lock(bcrypt_mutex_);
    matches = verify_(password, hash);
  }
  const bool allowed = matches && known_user;
  std::lock_guard lock(cache_mutex_);
  ++bcrypt_runs_;
  if (cache_.size() >= kMaxCached) cache_.erase(cache_.begin());
  cache_.emplace(key, allowed);
  return allowed;
}

uint64_t BasicAuthCheck::bcrypt_runs() const {
  std::lock_guard lock(cache_mutex_);
  return bcrypt_runs_;
}

}  // namespace sloth
