#pragma once
// The parts of an http(s) metrics URL a Prometheus scrape config needs: slothctl prints them
// (`metrics prom`), the master serves them (`GET /sd`). Pure.
#include <optional>
#include <string>
#include <string_view>

namespace sloth {

struct ScrapeTarget {
  std::string scheme;  // "http" or "https"
  std::string target;  // "host:port", "[::1]:9464"; the scheme's default port when none given
  std::string path;    // "/metrics"
};

// nullopt when `url` is not http(s) or has no usable host and port.
std::optional<ScrapeTarget> ParseScrapeTarget(std::string_view url);

}  // namespace sloth
