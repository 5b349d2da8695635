#include "common/scrape_target.h"

#include <cctype>

#include <fmt/format.h>

namespace sloth {

std::optional<ScrapeTarget> ParseScrapeTarget(std::string_view url) {
  ScrapeTarget target;
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return std::nullopt;
  target.scheme = std::string(url.substr(0, scheme_end));
  for (auto& c : target.scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (target.scheme != "http" && target.scheme != "https") return std::nullopt;
  std::string_view rest = url.substr(scheme_end + 3);
  const auto path_start = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, path_start);
  target.path = path_start == std::string_view::npos ? "/" : std::string(rest.substr(path_start));
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  if (authority.empty()) return std::nullopt;
  std::string_view host = authority;
  std::string_view port;
  if (authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = authority.substr(0, close + 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return std::nullopt;
      port = after.substr(1);
    }
  } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty() || host == "[]") return std::nullopt;
  if (port.empty()) port = target.scheme == "https" ? "443" : "80";
  if (port.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
  target.target = fmt::format("{}:{}", host, port);
  return target;
}

}  // namespace sloth
