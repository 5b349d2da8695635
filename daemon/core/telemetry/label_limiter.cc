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

}  // namespace sloth
