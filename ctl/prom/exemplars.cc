#include "ctl/prom/exemplars.h"

#include <algorithm>

#include "ctl/prom/text_parser.h"

namespace sloth::prom {
namespace {

// Reads `{a="x",b="y"}` at the front of `in` (removing it); false when it is not a label set.
bool ReadLabelSet(std::string_view& in, Labels* labels) {
  if (in.empty() || in.front() != '{') return false;
  in.remove_prefix(1);
  while (!in.empty() && in.front() != '}') {
    const size_t eq = in.find('=');
    if (eq == std::string_view::npos || eq + 1 >= in.size() || in[eq + 1] != '"') return false;
    std::string name(in.substr(0, eq));
    in.remove_prefix(eq + 2);
    std::string value;
    for (;;) {
      if (in.empty()) return false;
      const char c = in.front();
      in.remove_prefix(1);
      if (c == '"') break;
      if (c == '\\' && !in.empty()) {
        const char e = in.front();
        in.remove_prefix(1);
        value.push_back(e == 'n' ? '\n' : e);
      } else {
        value.push_back(c);
      }
    }
    labels->emplace_back(std::move(name), std::move(value));
    if (!in.empty() && in.front() == ',') in.remove_prefix(1);
  }
  if (in.empty()) return false;
  in.remove_prefix(1);
  std::sort(labels->begin(), labels->end());
  return true;
}

}  // namespace

std::vector<BucketExemplar> ParseBucketExemplars(std::string_view text, std::string_view family) {
  std::vector<BucketExemplar> out;
  const std::string prefix = std::string(family) + "_bucket{";
  while (!text.empty()) {
    const size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    if (!line.starts_with(prefix)) continue;
    line.remove_prefix(prefix.size() - 1);
    BucketExemplar e;
    if (!ReadLabelSet(line, &e.series)) continue;
    const size_t hash = line.find(" # ");
    if (hash == std::string_view::npos) continue;
    line.remove_prefix(hash + 3);
    if (!ReadLabelSet(line, &e.exemplar) || line.empty() || line.front() != ' ') continue;
    line.remove_prefix(1);
    auto value = ParseFloatValue(line.substr(0, line.find(' ')));
    if (!value) continue;
    e.value = *value;
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace sloth::prom
