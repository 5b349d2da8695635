#include "daemon/http/accept_encoding.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace sloth {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// The q value of one coding's parameters ("q=0.5"); 1 when absent or unreadable.
double Quality(std::string_view params) {
  while (!params.empty()) {
    auto semi = params.find(';');
    std::string_view param = Trim(params.substr(0, semi));
    params = semi == std::string_view::npos ? std::string_view{} : params.substr(semi + 1);
    if (param.size() > 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=') {
      double q = 1;
      std::string_view v = param.substr(2);
      auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), q);
      if (ec == std::errc() && ptr == v.data() + v.size()) return q;
      return 1;
    }
  }
  return 1;
}

// Calls `item(name, q)` for each comma-separated item of a header ("gzip;q=0.5", "text/plain").
template <typename Fn>
void ForEachItem(std::string_view header, Fn item) {
  while (!header.empty()) {
    auto comma = header.find(',');
    std::string_view entry = Trim(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
    auto semi = entry.find(';');
    item(Trim(entry.substr(0, semi)), semi == std::string_view::npos ? 1.0 : Quality(entry.substr(semi + 1)));
  }
}

}  // namespace

bool AcceptsGzip(std::string_view header) {
  double gzip_q = -1, star_q = -1;
  ForEachItem(header, [&](std::string_view coding, double q) {
    if (EqualsNoCase(coding, "gzip") || EqualsNoCase(coding, "x-gzip")) gzip_q = q;
    if (coding == "*") star_q = q;
  });
  if (gzip_q >= 0) return gzip_q > 0;
  return star_q > 0;
}

bool PrefersOpenMetrics(std::string_view header) {
  double openmetrics_q = 0, text_q = 0;
  ForEachItem(header, [&](std::string_view type, double q) {
    if (EqualsNoCase(type, "application/openmetrics-text")) openmetrics_q = std::max(openmetrics_q, q);
    if (EqualsNoCase(type, "text/plain") || type == "text/*" || type == "*/*") text_q = std::max(text_q, q);
  });
  return openmetrics_q > 0 && openmetrics_q >= text_q;
}

}  // namespace sloth
