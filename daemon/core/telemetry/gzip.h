#pragma once
#include <string>
#include <string_view>

namespace sloth {

// One gzip member (RFC 1952) holding `data`. Members concatenate into a valid gzip stream,
// which is how a cached part and a fresh part of the exposition are sent together.
std::string GzipCompress(std::string_view data, int level = 6);

// Inflates a gzip stream of one or more members; throws std::runtime_error on corrupt input.
std::string GzipDecompress(std::string_view data);

}  // namespace sloth
