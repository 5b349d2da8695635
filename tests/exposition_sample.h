#pragma once
// Reading one sample out of a Prometheus exposition, for tests that check exact metrics.
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace sloth::test {

// The value of the sample `name{...}` whose labels include every `k="v"` of `labels`; -1 if none.
inline double Sample(const std::string& exposition, std::string_view name,
                     const std::vector<std::string>& labels = {}) {
  std::istringstream lines(exposition);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    const std::string series = line.substr(0, space);
    const size_t brace = series.find('{');
    if (series.substr(0, brace) != name) continue;
    const std::string label_text = brace == std::string::npos ? "" : series.substr(brace);
    bool all = true;
    for (const std::string& l : labels) all = all && label_text.find(l) != std::string::npos;
    if (all) return std::stod(line.substr(space + 1));
  }
  return -1;
}

}  // namespace sloth::test
