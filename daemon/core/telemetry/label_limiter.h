#pragma once
// Caps the number of distinct values a user-controlled label may take, so a loop of ad-hoc
// task names cannot grow the registry without bound. Past the cap, new values become "_other".
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>

namespace sloth {

inline constexpr std::string_view kOtherLabelValue = "_other";

class LabelValueLimiter {  // thread-safe
 public:
  explicit LabelValueLimiter(size_t max_values) : max_values_(max_values) {}

  // The value to record: `value` itself if already known or still under the cap, else "_other".
  std::string Admit(std::string_view value);

 private:
  std::mutex mutex_;
  size_t max_values_;
  std::unordered_set<std::string> known_;
};

}  // namespace sloth
