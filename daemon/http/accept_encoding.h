#pragma once
#include <string_view>

namespace sloth {

// True when an Accept-Encoding header value (RFC 9110 §12.5.3) allows gzip: "gzip" or "*"
// with a non-zero q, and gzip not explicitly refused with q=0.
bool AcceptsGzip(std::string_view accept_encoding);

// True when an Accept header value prefers OpenMetrics: "application/openmetrics-text" with a
// non-zero q at least as high as that of "text/plain" (or "*/*"), as Prometheus asks.
bool PrefersOpenMetrics(std::string_view accept);

}  // namespace sloth
