#include "daemon/core/telemetry/label_limiter.h"

namespace sloth {

std::string LabelValueLimiter::Admit(std::string_view value) {
  std::lock_guard lock(mutex_);
  std::string key(value);
  if (known_.count(key)) return key;
  if (known_.size() >= max_values_) return std::string(kOtherLabelValue);
  known_.insert(key);
  return key;
}

std::pair<std::string, std::string> LabelPairLimiter::Admit(std::string_view first, std::string_view second) {
  std::string key;
  key.reserve(first.size() + 1 + second.size());
  key.append(first).push_back('\0');
  key.append(second);
  std::lock_guard lock(mutex_);
  if (!known_.count(key)) {
    if (known_.size() >= max_pairs_) return {std::string(kOtherLabelValue), std::string(kOtherLabelValue)};
    known_.insert(std::move(key));
  }
  return {std::string(first), std::string(second)};
}

}  // namespace sloth
