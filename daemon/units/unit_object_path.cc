#include "daemon/units/unit_watcher.h"

namespace sloth {
namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string UnitNameFromObjectPath(std::string_view path) {
  constexpr std::string_view kPrefix = "/org/freedesktop/systemd1/unit/";
  if (!path.starts_with(kPrefix)) return {};
  path.remove_prefix(kPrefix.size());
  // sd_bus_path_encode: every byte but [A-Za-z0-9] is written as _XX (hex).
  std::string name;
  name.reserve(path.size());
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '_' && i + 2 < path.size() && HexDigit(path[i + 1]) >= 0 && HexDigit(path[i + 2]) >= 0) {
      name.push_back(static_cast<char>(HexDigit(path[i + 1]) * 16 + HexDigit(path[i + 2])));
      i += 2;
    } else {
      name.push_back(path[i]);
    }
  }
  return name;
}

}  // namespace sloth
