#pragma once
// Caps the number of distinct values a user-controlled label may take, so a loop of ad-hoc
// task names cannot grow the registry without bound. Past the cap, new values become "_other".
// Capping each label is not enough where two of them combine: 500 groups x 500 tasks are
// 250,000 series. LabelPairLimiter caps the combinations themselves.
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>

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

class LabelPairLimiter {  // thread-safe
 public:
  explicit LabelPairLimiter(size_t max_pairs) : max_pairs_(max_pairs) {}

  // The pair to record: (first, second) itself if already known or still under the cap, else
  // ("_other", "_other"), so that everything past the cap is still counted, in one series.
  std::pair<std::string, std::string> Admit(std::string_view first, std::string_view second);

 private:
  std::mutex mutex_;
  size_t max_pairs_;
  std::unordered_set<std::string> known_;  // first + '\0' + second (label values hold no NUL)
};

}  // namespace sloth
